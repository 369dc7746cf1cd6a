import Checkpoints

/// Which layers and matrices get neuron profiles, and how each matrix is read.
struct ProfilePlan: Sendable {
    /// Most layers profiled (evenly spaced when a model has more).
    static let layerLimit = 8
    /// Neurons kept per profile set.
    static let neuronLimit = 512

    struct Group: Sendable {
        var kind: String
        var layer: Int
        var input: Int
        var paired: Int
    }

    struct MatrixPlan: Sendable {
        var axis: ProfileAccumulator.NeuronAxis
        var gamma: [Float]?
    }

    var groups: [Group] = []
    /// Tensor index → how to profile it.
    var matrices: [Int: MatrixPlan] = [:]
    /// Norm tensors whose weights must be read first, by the tensor index they fold into.
    var gammaSources: [Int: Int] = [:]

    init() {}

    /// Plans groups for tensors with known roles and the expected PyTorch orientation.
    init(tensors: [TensorInfo], roles: [RoleInference.Assignment], hidden: Int) {
        guard hidden > 0 else { return }
        var byLayer: [Int: [TensorRole: Int]] = [:]
        var norms: [Int: [(name: String, index: Int)]] = [:]
        for (index, assignment) in roles.enumerated() {
            guard let layer = assignment.layer else { continue }
            if assignment.role == .norm, tensors[index].shape == [hidden] {
                norms[layer, default: []].append((tensors[index].name.lowercased(), index))
            }
            guard tensors[index].shape.count == 2 else { continue }
            if byLayer[layer, default: [:]][assignment.role] == nil { byLayer[layer, default: [:]][assignment.role] = index }
        }
        func shape(_ index: Int) -> [Int] { tensors[index].shape }

        var candidates: [Group] = []
        for layer in byLayer.keys.sorted() {
            let roleMap = byLayer[layer]!
            if let up = roleMap[.mlpUp] ?? roleMap[.mlpGate], let down = roleMap[.mlpDown],
               shape(up).count == 2, shape(up)[1] == hidden, shape(down) == [hidden, shape(up)[0]] {
                candidates.append(Group(kind: "mlp", layer: layer, input: up, paired: down))
            }
            if let value = roleMap[.attentionValue], let output = roleMap[.attentionOutput],
               shape(value)[1] == hidden, shape(output) == [hidden, shape(value)[0]] {
                candidates.append(Group(kind: "attention.vo", layer: layer, input: value, paired: output))
            }
            if let query = roleMap[.attentionQuery], let key = roleMap[.attentionKey],
               shape(query)[1] == hidden, shape(key) == shape(query) {
                candidates.append(Group(kind: "attention.qk", layer: layer, input: query, paired: key))
            }
        }
        let layers = Array(Set(candidates.map(\.layer))).sorted()
        var chosen = Set(layers)
        if layers.count > Self.layerLimit {
            chosen = Set((0..<Self.layerLimit).map { k in
                layers[Int((Double(k) * Double(layers.count - 1) / Double(Self.layerLimit - 1)).rounded())]
            })
        }
        groups = candidates.filter { chosen.contains($0.layer) }
        for group in groups {
            let pairedAxis: ProfileAccumulator.NeuronAxis = group.kind == "attention.qk" ? .rows : .columns
            matrices[group.input] = MatrixPlan(axis: .rows, gamma: nil)
            matrices[group.paired] = MatrixPlan(axis: pairedAxis, gamma: nil)
            // Fold the preceding RMSNorm/LayerNorm weight into input-side matrices (Llama naming).
            let layerNorms = norms[group.layer] ?? []
            let attentionNorm = layerNorms.first { $0.name.contains("input_layernorm") || $0.name.contains("attn_norm") || $0.name.contains("ln_1") }
            let mlpNorm = layerNorms.first { $0.name.contains("post_attention_layernorm") || $0.name.contains("ffn_norm") || $0.name.contains("ln_2") }
            let norm = group.kind == "mlp" ? mlpNorm : attentionNorm
            if let norm {
                gammaSources[group.input] = norm.index
                if pairedAxis == .rows { gammaSources[group.paired] = norm.index }
            }
        }
    }
}
