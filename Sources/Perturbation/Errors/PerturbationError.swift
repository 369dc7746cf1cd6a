import Checkpoints

/// A perturbation could not be applied or its output could not be written: which attack,
/// file or tensor, and which rule.
///
/// `description` reads as a sentence, ready for a command-line error message.
public struct PerturbationError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Rule: Sendable, Equatable {
        /// The attack needs the architecture (Hugging Face Llama or BERT naming) and it was not recognised.
        case architectureUnknown(reason: String)
        /// The attack does not apply to this architecture (e.g. rotation of a LayerNorm model).
        case notApplicable(reason: String)
        /// A tensor the attack needs is absent.
        case missingTensor
        /// A floating-point tensor the attack does not know how to transform; transforming the
        /// rest would silently change the model's function.
        case unrecognisedTensor
        /// Two checkpoints that must match (merge, graft) have different shapes for a tensor.
        case shapeMismatch(expected: [Int], actual: [Int])
        /// An argument is out of range or malformed.
        case invalidArgument(String)
        /// The output exists and overwriting was not allowed.
        case outputExists
        /// A value cannot be stored in the requested dtype.
        case notEncodable(dtype: DType, reason: String)
        /// Reading the input failed.
        case checkpoint(CheckpointError)
        /// A file-system operation failed.
        case io(operation: String, message: String)
    }

    /// The attack being applied, e.g. `permute-heads`.
    public var attack: String?
    /// The file or directory involved.
    public var file: String?
    /// The tensor involved.
    public var tensor: String?
    public var rule: Rule

    public init(attack: String? = nil, file: String? = nil, tensor: String? = nil, rule: Rule) {
        self.attack = attack
        self.file = file
        self.tensor = tensor
        self.rule = rule
    }

    public var description: String {
        let prefix = attack.map { "\($0): " } ?? ""
        let subject = [tensor.map { "tensor '\($0)'" }, file].compactMap { $0 }.joined(separator: " in ")
        let named = subject.isEmpty ? "the model" : subject
        switch rule {
        case .architectureUnknown(let reason):
            return prefix + "the architecture of \(file ?? "the model") was not recognised (\(reason)); this attack needs Hugging Face Llama or BERT tensor names."
        case .notApplicable(let reason):
            return prefix + reason + "."
        case .missingTensor:
            return prefix + "\(named) is missing; the attack needs it."
        case .unrecognisedTensor:
            return prefix + "\(named) has no known role, so the attack cannot transform it consistently (refusing rather than changing the model's function)."
        case .shapeMismatch(let expected, let actual):
            return prefix + "\(named) has shape \(actual) but \(expected) is needed to combine the two checkpoints."
        case .invalidArgument(let reason):
            return prefix + reason + "."
        case .outputExists:
            return prefix + "\(file ?? "the output") already exists; pass --force to replace it."
        case .notEncodable(let dtype, let reason):
            return prefix + "\(named) cannot be stored as \(dtype.name): \(reason)."
        case .checkpoint(let error):
            return prefix + error.description
        case .io(let operation, let message):
            return prefix + "\(file ?? "a file") could not be written (\(operation): \(message))."
        }
    }
}
