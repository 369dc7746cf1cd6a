/// A model could not be run by `ReferenceForward`: which tensor, which rule.
public struct ForwardError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Rule: Sendable, Equatable {
        /// A tensor the architecture needs is absent.
        case missingTensor
        /// A tensor has another shape than the architecture needs.
        case wrongShape(expected: [Int], actual: [Int])
        /// A token id is outside the vocabulary.
        case tokenOutOfRange(token: Int, vocabularySize: Int)
        /// The sequence is longer than the learned position table.
        case sequenceTooLong(length: Int, maximum: Int)
        /// The token-type list does not match the token list, or a type id is out of range.
        case invalidTokenTypes(String)
        /// The spec itself is inconsistent (e.g. heads do not divide the hidden size).
        case invalidSpec(String)
    }

    /// The tensor involved, when there is one.
    public var tensor: String?
    public var rule: Rule

    public init(tensor: String? = nil, rule: Rule) {
        self.tensor = tensor
        self.rule = rule
    }

    public var description: String {
        let subject = tensor.map { "tensor '\($0)'" } ?? "the model"
        switch rule {
        case .missingTensor:
            return "\(subject) is missing; the forward pass needs it."
        case .wrongShape(let expected, let actual):
            return "\(subject) has shape \(actual) but the spec needs \(expected)."
        case .tokenOutOfRange(let token, let size):
            return "token id \(token) is outside the vocabulary of \(size) entries."
        case .sequenceTooLong(let length, let maximum):
            return "the sequence has \(length) tokens but the model has only \(maximum) learned positions."
        case .invalidTokenTypes(let reason):
            return "the token types are invalid: \(reason)."
        case .invalidSpec(let reason):
            return "the spec is inconsistent: \(reason)."
        }
    }
}
