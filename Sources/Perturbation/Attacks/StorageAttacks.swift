import SyntheticModels

/// Stores weight matrices transposed, in the `(in, out)` "kernel" layout of Flax/JAX: every
/// 2-D floating-point tensor except embedding tables (token, position, token-type). Without a
/// recognised architecture, every 2-D floating-point tensor whose name does not mention
/// `embed`, `wte` or `wpe`. Values are untouched; only the bytes on disk change.
public struct TransposedStorage: Perturbation {
    public var step: PerturbationStep { .transposeStorage }

    public init() {}

    public func apply(to model: inout CheckpointModel) throws(PerturbationError) -> PerturbationRecord {
        var transposed: [String] = []
        for index in model.entries.indices where model.entries[index].isFloatingPoint && model.entries[index].tensor.shape.count == 2 {
            let name = model.entries[index].name
            let isEmbedding: Bool
            if let spec = model.spec {
                let role = TensorRole.classify(name, family: spec.family).role
                isEmbedding = role == .tokenEmbedding || role == .positionEmbedding || role == .tokenTypeEmbedding
            } else {
                isEmbedding = name.contains("embed") || name.contains("wte") || name.contains("wpe")
            }
            guard !isEmbedding else { continue }
            model.entries[index].storedTransposed.toggle()
            transposed.append(name)
        }
        return PerturbationRecord(
            attack: step.name, functionPreserving: true,
            summary: "stored \(transposed.count) weight matrices transposed ((in, out) layout)",
            parameters: ["tensors": .integer(transposed.count), "transposed": .strings(transposed)])
    }
}

/// Writes the checkpoint as `shards` safetensors files with a `model.safetensors.index.json`
/// (contiguous runs of tensors, balanced by bytes). Storage only.
public struct Resharding: Perturbation {
    public var shards: Int
    public var step: PerturbationStep { .reshard }

    public init(shards: Int) {
        self.shards = shards
    }

    public func apply(to model: inout CheckpointModel) throws(PerturbationError) -> PerturbationRecord {
        guard shards >= 1, shards <= model.entries.count else {
            throw PerturbationError(attack: step.name, rule: .invalidArgument("the shard count must be between 1 and the number of tensors (\(model.entries.count)), got \(shards)"))
        }
        model.shardCount = shards
        return PerturbationRecord(
            attack: step.name, functionPreserving: true,
            summary: shards == 1 ? "stored as one safetensors file" : "split into \(shards) safetensors shards with an index",
            parameters: ["shards": .integer(shards)])
    }
}

/// Edits the safetensors `__metadata__`: removes everything first (`clear`), then removes
/// `remove` keys, then sets `set`. Storage only.
public struct MetadataEdit: Perturbation {
    public var set: [String: String]
    public var remove: [String]
    public var clear: Bool
    public var step: PerturbationStep { .editMetadata }

    public init(set: [String: String] = [:], remove: [String] = [], clear: Bool = false) {
        self.set = set
        self.remove = remove
        self.clear = clear
    }

    public func apply(to model: inout CheckpointModel) throws(PerturbationError) -> PerturbationRecord {
        if clear { model.metadata = [:] }
        for key in remove { model.metadata[key] = nil }
        for (key, value) in set { model.metadata[key] = value }
        var parts: [String] = []
        if clear { parts.append("cleared") }
        if !remove.isEmpty { parts.append("removed \(remove.sorted().joined(separator: ", "))") }
        if !set.isEmpty { parts.append("set " + set.keys.sorted().map { "\($0)=\(set[$0]!)" }.joined(separator: ", ")) }
        return PerturbationRecord(
            attack: step.name, functionPreserving: true,
            summary: "safetensors metadata " + (parts.isEmpty ? "unchanged" : parts.joined(separator: "; ")),
            parameters: ["set": .map(set), "removed": .strings(remove.sorted()), "cleared": .bool(clear)])
    }
}
