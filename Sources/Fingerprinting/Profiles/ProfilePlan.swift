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
        /// Stored in the `(in, out)` kernel layout: the neuron axis of both matrices is swapped.
        var transposed = false
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

        // Storage layout: PyTorch `(out, in)`, or the transposed `(in, out)` kernel layout of
        // Flax/JAX checkpoints (and of a copier who stores matrices transposed). MLP shapes tell
        // them apart; square attention matrices follow the layout the MLP matrices show.
        func mlpLayout(_ up: Int, _ down: Int) -> Bool? {
            let u = shape(up), d = shape(down)
            guard u.count == 2, d.count == 2 else { return nil }
            if u[1] == hidden, d == [hidden, u[0]] { return false }
            if u[0] == hidden, u[1] != hidden, d == [u[1], hidden] { return true }
            return nil
        }
        var mlpLayouts: [Bool] = []
        for layer in byLayer.keys.sorted() {
            let roleMap = byLayer[layer]!
            if let up = roleMap[.mlpUp] ?? roleMap[.mlpGate], let down = roleMap[.mlpDown], let layout = mlpLayout(up, down) {
                mlpLayouts.append(layout)
            }
        }
        let kernelLayout = !mlpLayouts.isEmpty && mlpLayouts.allSatisfy { $0 }
        /// Whether an (input, paired) pair whose neurons are the input's rows and the paired
        /// matrix's columns (in PyTorch layout) is stored transposed; nil when the shapes fit neither.
        func pairLayout(_ input: Int, _ paired: Int) -> Bool? {
            let a = shape(input), b = shape(paired)
            guard a.count == 2, b.count == 2 else { return nil }
            let pytorch = a[1] == hidden && b == [hidden, a[0]]
            let kernel = a[0] == hidden && b == [a[1], hidden]
            if pytorch && kernel { return kernelLayout }
            return pytorch ? false : (kernel ? true : nil)
        }
        /// The same for Q/K, whose neurons are both matrices' rows in PyTorch layout.
        func sameSideLayout(_ query: Int, _ key: Int) -> Bool? {
            let q = shape(query)
            guard q.count == 2, shape(key) == q else { return nil }
            let pytorch = q[1] == hidden, kernel = q[0] == hidden
            if pytorch && kernel { return kernelLayout }
            return pytorch ? false : (kernel ? true : nil)
        }

        var candidates: [Group] = []
        for layer in byLayer.keys.sorted() {
            let roleMap = byLayer[layer]!
            if let up = roleMap[.mlpUp] ?? roleMap[.mlpGate], let down = roleMap[.mlpDown], let transposed = mlpLayout(up, down) {
                candidates.append(Group(kind: "mlp", layer: layer, input: up, paired: down, transposed: transposed))
            }
            if let value = roleMap[.attentionValue], let output = roleMap[.attentionOutput], let transposed = pairLayout(value, output) {
                candidates.append(Group(kind: "attention.vo", layer: layer, input: value, paired: output, transposed: transposed))
            }
            if let query = roleMap[.attentionQuery], let key = roleMap[.attentionKey], let transposed = sameSideLayout(query, key) {
                candidates.append(Group(kind: "attention.qk", layer: layer, input: query, paired: key, transposed: transposed))
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
            // In PyTorch layout the input's neurons are rows; the paired matrix's are columns
            // (rows for Q/K, which both read the stream). The kernel layout swaps both.
            let inputAxis: ProfileAccumulator.NeuronAxis = group.transposed ? .columns : .rows
            let pairedReadsStream = group.kind == "attention.qk"
            let pairedAxis: ProfileAccumulator.NeuronAxis = pairedReadsStream ? inputAxis : (group.transposed ? .rows : .columns)
            matrices[group.input] = MatrixPlan(axis: inputAxis, gamma: nil)
            matrices[group.paired] = MatrixPlan(axis: pairedAxis, gamma: nil)
            // Fold the preceding RMSNorm/LayerNorm weight into input-side matrices (Llama naming).
            let layerNorms = norms[group.layer] ?? []
            let attentionNorm = layerNorms.first { $0.name.contains("input_layernorm") || $0.name.contains("attn_norm") || $0.name.contains("ln_1") }
            let mlpNorm = layerNorms.first { $0.name.contains("post_attention_layernorm") || $0.name.contains("ffn_norm") || $0.name.contains("ln_2") }
            let norm = group.kind == "mlp" ? mlpNorm : attentionNorm
            if let norm {
                gammaSources[group.input] = norm.index
                if pairedReadsStream { gammaSources[group.paired] = norm.index }
            }
        }
    }
}
