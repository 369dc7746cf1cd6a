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
    /// `out-in` (PyTorch Linear) or `in-out` (kernel layout), as detected.
    var layout = "out-in"
    /// Tensor index → how to profile it.
    var matrices: [Int: MatrixPlan] = [:]
    /// When names give no layer structure (opaque, shuffled names): every hidden-width weight
    /// matrix is profiled on its own, square ones along both axes. Tensor index → axes.
    var standalone: [Int: [ProfileAccumulator.NeuronAxis]] = [:]
    /// Neurons kept per standalone profile (all of them up to this many, so the two matrices
    /// of a layer keep the same neurons).
    static let standaloneNeuronLimit = 4096
    /// Norm tensors whose weights must be read first, by the tensor index they fold into.
    var gammaSources: [Int: Int] = [:]

    init() {}

    /// Plans groups for tensors with known roles. The storage layout — PyTorch's (out, in) or
    /// the transposed (in, out) "kernel" layout — is decided for the whole model from its MLP
    /// matrices (square matrices cannot tell), and applied to every matrix.
    init(tensors: [TensorInfo], roles: [RoleInference.Assignment], hidden: Int) {
        guard hidden > 0 else { return }
        var byLayer: [Int: [TensorRole: Int]] = [:]
        var norms: [Int: [(name: String, index: Int)]] = [:]
        var torchVotes = 0, kernelVotes = 0
        for (index, assignment) in roles.enumerated() {
            let shape = tensors[index].shape
            if shape.count == 2, shape[0] != shape[1] {
                switch assignment.role {
                case .mlpUp, .mlpGate:
                    if shape[1] == hidden { torchVotes += 1 } else if shape[0] == hidden { kernelVotes += 1 }
                case .mlpDown:
                    if shape[0] == hidden { torchVotes += 1 } else if shape[1] == hidden { kernelVotes += 1 }
                default: break
                }
            }
            guard let layer = assignment.layer else { continue }
            if assignment.role == .norm, shape == [hidden] {
                norms[layer, default: []].append((tensors[index].name.lowercased(), index))
            }
            guard shape.count == 2 else { continue }
            if byLayer[layer, default: [:]][assignment.role] == nil { byLayer[layer, default: [:]][assignment.role] = index }
        }
        let kernelLayout = kernelVotes > torchVotes
        layout = kernelLayout ? "in-out" : "out-in"

        /// Neurons of a matrix: rows of an input-side matrix in PyTorch layout, and so on.
        func neurons(_ index: Int, inputSide: Bool) -> Int? {
            let shape = tensors[index].shape
            guard shape.count == 2 else { return nil }
            let neuronAxisIsRows = inputSide != kernelLayout
            let (neurons, hiddenDimension) = neuronAxisIsRows ? (shape[0], shape[1]) : (shape[1], shape[0])
            return hiddenDimension == hidden ? neurons : nil
        }
        func axis(inputSide: Bool) -> ProfileAccumulator.NeuronAxis { inputSide != kernelLayout ? .rows : .columns }

        var candidates: [Group] = []
        for layer in byLayer.keys.sorted() {
            let roleMap = byLayer[layer]!
            if let up = roleMap[.mlpUp] ?? roleMap[.mlpGate], let down = roleMap[.mlpDown],
               let n = neurons(up, inputSide: true), neurons(down, inputSide: false) == n {
                candidates.append(Group(kind: "mlp", layer: layer, input: up, paired: down))
            }
            if let value = roleMap[.attentionValue], let output = roleMap[.attentionOutput],
               let n = neurons(value, inputSide: true), neurons(output, inputSide: false) == n {
                candidates.append(Group(kind: "attention.vo", layer: layer, input: value, paired: output))
            }
            if let query = roleMap[.attentionQuery], let key = roleMap[.attentionKey],
               let n = neurons(query, inputSide: true), neurons(key, inputSide: true) == n {
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
        if groups.isEmpty {
            planStandalone(tensors: tensors, roles: roles, hidden: hidden)
            return
        }
        for group in groups {
            let pairedIsInputSide = group.kind == "attention.qk"
            matrices[group.input] = MatrixPlan(axis: axis(inputSide: true), gamma: nil)
            matrices[group.paired] = MatrixPlan(axis: axis(inputSide: pairedIsInputSide), gamma: nil)
            // Fold the preceding RMSNorm/LayerNorm weight into input-side matrices (Llama naming).
            let layerNorms = norms[group.layer] ?? []
            let attentionNorm = layerNorms.first { $0.name.contains("input_layernorm") || $0.name.contains("attn_norm") || $0.name.contains("ln_1") }
            let mlpNorm = layerNorms.first { $0.name.contains("post_attention_layernorm") || $0.name.contains("ffn_norm") || $0.name.contains("ln_2") }
            let norm = group.kind == "mlp" ? mlpNorm : attentionNorm
            if let norm {
                gammaSources[group.input] = norm.index
                if pairedIsInputSide { gammaSources[group.paired] = norm.index }
            }
        }
    }

    /// Plans standalone profiles for every weight matrix with a hidden dimension.
    private mutating func planStandalone(tensors: [TensorInfo], roles: [RoleInference.Assignment], hidden: Int) {
        let excluded: Set<TensorRole> = [.tokenEmbedding, .positionEmbedding, .tokenTypeEmbedding, .outputHead]
        for (index, tensor) in tensors.enumerated() where tensor.shape.count == 2 && roles[index].role.isWeightMatrix {
            guard !excluded.contains(roles[index].role) else { continue }
            let rows = tensor.shape[0], cols = tensor.shape[1]
            var axes: [ProfileAccumulator.NeuronAxis] = []
            if cols == hidden && rows <= Self.standaloneNeuronLimit * 4 { axes.append(.rows) }
            if rows == hidden && cols <= Self.standaloneNeuronLimit * 4 { axes.append(.columns) }
            if !axes.isEmpty { standalone[index] = axes }
        }
    }
}
