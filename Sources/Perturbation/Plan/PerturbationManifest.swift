import Foundation

/// `perturbation.json`: the ground truth of a perturbed checkpoint, for evaluations.
///
/// Format `provenance-perturbation/1`; keys in snake_case, sorted.
public struct PerturbationManifest: Sendable, Codable, Equatable {
    public static let formatName = "provenance-perturbation/1"
    /// The default file name, written into the output directory.
    public static let fileName = "perturbation.json"

    public struct Source: Sendable, Codable, Equatable {
        /// The path as given.
        public var path: String
        /// `llama`, `bert` or `unknown`.
        public var architecture: String
        public var tensors: Int
        public var parameters: Int

        public init(path: String, architecture: String, tensors: Int, parameters: Int) {
            self.path = path
            self.architecture = architecture
            self.tensors = tensors
            self.parameters = parameters
        }
    }

    public struct Output: Sendable, Codable, Equatable {
        public var files: [String]
        public var tensors: Int
        public var parameters: Int
        /// Stored dtypes and how many tensors use each.
        public var dtypes: [String: Int]

        public init(files: [String], tensors: Int, parameters: Int, dtypes: [String: Int]) {
            self.files = files
            self.tensors = tensors
            self.parameters = parameters
            self.dtypes = dtypes
        }
    }

    public var format: String
    public var tool: String
    /// The master seed (`--seed`).
    public var seed: UInt64
    public var input: Source
    /// Attacks in the order they were applied.
    public var attacks: [PerturbationRecord]
    /// True when every applied attack preserves the model's function.
    public var functionPreserving: Bool
    public var output: Output

    public init(tool: String, seed: UInt64, input: Source, attacks: [PerturbationRecord], output: Output) {
        format = Self.formatName
        self.tool = tool
        self.seed = seed
        self.input = input
        self.attacks = attacks
        functionPreserving = attacks.allSatisfy(\.functionPreserving)
        self.output = output
    }

    enum CodingKeys: String, CodingKey {
        case format, tool, seed, input, attacks, output
        case functionPreserving = "function_preserving"
    }

    /// Pretty, key-sorted JSON.
    public func jsonBytes() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self)) + [UInt8(ascii: "\n")]
    }
}

extension CheckpointModel {
    /// A summary of this model for a manifest.
    public func manifestSource(path: String) -> PerturbationManifest.Source {
        .init(path: path, architecture: spec?.family.rawValue ?? "unknown", tensors: entries.count, parameters: parameterCount)
    }

    /// Stored dtypes and their tensor counts.
    public var storedDTypeCounts: [String: Int] {
        entries.reduce(into: [:]) { counts, entry in
            let stored = ggufType.map { GGUFExport.storedType(of: entry, as: $0) } ?? entry.storageDType
            counts[stored.name, default: 0] += 1
        }
    }
}
