/// One row of the evaluation: a model built from a lineage model by a list of attacks (none:
/// the source's files as published), and what a correct detector says about it.
struct SuspectRecipe: Sendable {
    enum Group: String, Sendable {
        case storage = "exact / storage"
        case quantization = "GGUF quantization"
        case value = "value noise"
        case reparametrisation = "function-preserving"
        case structure = "structural"
        case training = "further training"
        case combination = "combined"
        case negative = "negative (honest)"
    }

    /// Short identifier, also the cache directory name.
    var name: String
    var group: Group
    var source: LineageModel
    var attacks: [Attack]
    /// Master seed of the attacks (as `provenance perturb --seed`).
    var seed: UInt64
    var expectation: Expectation

    /// Whether the suspect is the source's files copied byte for byte.
    var isByteCopy: Bool { attacks.isEmpty }

    /// The command that rebuilds this suspect with the product's tool.
    var command: String {
        if isByteCopy { return "cp -r \(source.rawValue) \(name)" }
        return "provenance perturb \(source.rawValue) \(name) \(Attack.options(attacks)) --seed \(seed)"
    }
}
