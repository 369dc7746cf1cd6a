import SyntheticModels

/// One attack from the catalogue in `docs/PERTURBATION.md`: a deterministic transform of a
/// `CheckpointModel`.
public protocol Perturbation: Sendable {
    /// Where the attack runs when several are composed (`PerturbationPlan` sorts by it).
    var step: PerturbationStep { get }
    /// Applies the attack and says exactly what was done.
    func apply(to model: inout CheckpointModel) throws(PerturbationError) -> PerturbationRecord
}

/// The fixed order in which composed attacks run.
///
/// Combining with other checkpoints comes first (both still in the original basis), then
/// structural edits, then function-preserving reparametrisations, then value noise and
/// rounding, and finally storage-only changes. Head and hidden-width pruning are the exception
/// among structural edits: they run after the reparametrisations, which assume a head dimension
/// of hidden size / heads (pruning by importance commutes with a permutation anyway).
public enum PerturbationStep: Int, CaseIterable, Comparable, Sendable, Codable {
    case merge
    case graft
    case selectLayers
    case extendVocabulary
    case pruneNeurons
    case permuteNeurons
    case permuteHeads
    case permuteExperts
    case rescale
    case rotate
    case permuteHidden
    case pruneHeads
    case pruneHidden
    case noise
    case convertDType
    case transposeStorage
    case rename
    case reshard
    case editMetadata
    case gguf

    public static func < (lhs: PerturbationStep, rhs: PerturbationStep) -> Bool { lhs.rawValue < rhs.rawValue }

    /// A stable name, used for derived seeds and in manifests.
    public var name: String {
        switch self {
        case .merge: "merge"
        case .graft: "graft"
        case .selectLayers: "select-layers"
        case .extendVocabulary: "extend-vocab"
        case .pruneNeurons: "prune-neurons"
        case .permuteNeurons: "permute-neurons"
        case .permuteHeads: "permute-heads"
        case .permuteExperts: "permute-experts"
        case .rescale: "rescale"
        case .rotate: "rotate"
        case .permuteHidden: "permute-hidden"
        case .pruneHeads: "prune-heads"
        case .pruneHidden: "prune-hidden"
        case .noise: "noise"
        case .convertDType: "dtype"
        case .transposeStorage: "transpose"
        case .rename: "rename"
        case .reshard: "reshard"
        case .editMetadata: "metadata"
        case .gguf: "gguf"
        }
    }
}

/// What one attack did: ground truth for an evaluation.
public struct PerturbationRecord: Sendable, Codable, Equatable {
    /// The attack's name, e.g. `permute-neurons`.
    public var attack: String
    /// Whether the model computes the same function afterwards (up to float rounding).
    public var functionPreserving: Bool
    /// One human-readable line.
    public var summary: String
    /// Seeds, weights, layer lists and other parameters.
    public var parameters: [String: ManifestValue]

    public init(attack: String, functionPreserving: Bool, summary: String, parameters: [String: ManifestValue] = [:]) {
        self.attack = attack
        self.functionPreserving = functionPreserving
        self.summary = summary
        self.parameters = parameters
    }

    enum CodingKeys: String, CodingKey {
        case attack, summary, parameters
        case functionPreserving = "function_preserving"
    }
}

/// A JSON value in a manifest.
public enum ManifestValue: Sendable, Equatable, Codable {
    case string(String)
    case integer(Int)
    case number(Double)
    case bool(Bool)
    case integers([Int])
    case strings([String])
    case map([String: String])

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .integers(let value): try container.encode(value)
        case .strings(let value): try container.encode(value)
        case .map(let value): try container.encode(value)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([Int].self) { self = .integers(value) }
        else if let value = try? container.decode([String].self) { self = .strings(value) }
        else { self = .map(try container.decode([String: String].self)) }
    }
}

// MARK: - Role lookups shared by attacks

extension CheckpointModel {
    /// Every entry with its role and layer, for a recognised architecture.
    func classified(_ spec: TransformerSpec) -> [(index: Int, role: TensorRole, layer: Int?)] {
        entries.indices.map { index in
            let (role, layer) = TensorRole.classify(entries[index].name, family: spec.family)
            return (index, role, layer)
        }
    }

    /// The head dimension, from layer 0's query rows: head pruning leaves fewer heads of the same
    /// width, so it is no longer hidden size / heads.
    func headDimension(_ spec: TransformerSpec, attack: String) throws(PerturbationError) -> Int {
        let name = layerNames(spec, layer: 0).query + ".weight"
        let tensor = try self.tensor(name, attack: attack)
        let rows = tensor.shape.first ?? 0, hd = rows / max(spec.headCount, 1)
        guard tensor.shape.count == 2, hd > 0, rows == spec.headCount * hd else {
            throw PerturbationError(attack: attack, tensor: name, rule: .shapeMismatch(expected: [spec.headCount * max(hd, 1), spec.hiddenSize], actual: tensor.shape))
        }
        return hd
    }

    /// Refuses a non-Llama architecture, saying why the attack needs Llama.
    func requireLlama(_ spec: TransformerSpec, attack: String, reason: String) throws(PerturbationError) {
        guard spec.family == .llama else { throw PerturbationError(attack: attack, rule: .notApplicable(reason: reason)) }
    }

    /// Refuses floating-point tensors without a known role (an attack that moves the hidden
    /// dimension must transform every tensor that touches it).
    func requireAllRolesKnown(_ spec: TransformerSpec, attack: String) throws(PerturbationError) {
        for item in classified(spec) where item.role == .unknown && entries[item.index].isFloatingPoint {
            throw PerturbationError(attack: attack, tensor: entries[item.index].name, rule: .unrecognisedTensor)
        }
    }

    /// The floating-point tensors that meet the residual stream, each with the axis that does,
    /// checked to have the hidden size along it (a matrix as columns or rows, a vector whole).
    func residualTensors(_ spec: TransformerSpec, attack: String) throws(PerturbationError) -> [(index: Int, axis: TensorRole.ResidualAxis)] {
        let d = spec.hiddenSize
        var result: [(index: Int, axis: TensorRole.ResidualAxis)] = []
        for item in classified(spec) where entries[item.index].isFloatingPoint {
            let tensor = entries[item.index].tensor
            let axis = item.role.residualAxis
            switch axis {
            case .columns:
                guard tensor.shape.count == 2, tensor.shape[1] == d else {
                    throw PerturbationError(attack: attack, tensor: tensor.name, rule: .shapeMismatch(expected: [tensor.shape.first ?? 0, d], actual: tensor.shape))
                }
            case .rows:
                guard tensor.shape.count == 2, tensor.shape[0] == d else {
                    throw PerturbationError(attack: attack, tensor: tensor.name, rule: .shapeMismatch(expected: [d, tensor.shape.last ?? 0], actual: tensor.shape))
                }
            case .vector:
                guard tensor.shape == [d] else {
                    throw PerturbationError(attack: attack, tensor: tensor.name, rule: .shapeMismatch(expected: [d], actual: tensor.shape))
                }
            case .none:
                continue
            }
            result.append((item.index, axis))
        }
        return result
    }

    /// Applies `body` to the tensor named `name`.
    mutating func updateTensor(_ name: String, attack: String, _ body: (inout ModelWeights.Tensor) -> Void) throws(PerturbationError) {
        let index = try requireIndex(of: name, for: attack)
        body(&entries[index].tensor)
    }

    /// The tensor named `name`.
    func tensor(_ name: String, attack: String) throws(PerturbationError) -> ModelWeights.Tensor {
        entries[try requireIndex(of: name, for: attack)].tensor
    }

    /// The tensor named `name`, which must have shape `shape`.
    func tensor(_ name: String, shape: [Int], attack: String) throws(PerturbationError) -> ModelWeights.Tensor {
        let tensor = try self.tensor(name, attack: attack)
        guard tensor.shape == shape else { throw PerturbationError(attack: attack, tensor: name, rule: .shapeMismatch(expected: shape, actual: tensor.shape)) }
        return tensor
    }

    /// Replaces the values of the tensor named `name`, which must have shape `expected`, by
    /// `transform(values)` of shape `shape` (structural edits change shapes).
    mutating func replaceTensor(_ name: String, expected: [Int], shape: [Int], attack: String, _ transform: ([Float]) -> [Float]) throws(PerturbationError) {
        let tensor = try self.tensor(name, shape: expected, attack: attack)
        let index = try requireIndex(of: name, for: attack)
        entries[index].tensor = ModelWeights.Tensor(name: tensor.name, shape: shape, values: transform(tensor.values))
    }

    /// Hugging Face names of the per-layer tensors an attack moves, by family.
    func layerNames(_ spec: TransformerSpec, layer: Int) -> LayerNames {
        switch spec.family {
        case .llama:
            let p = "model.layers.\(layer)."
            return LayerNames(
                query: p + "self_attn.q_proj", key: p + "self_attn.k_proj", value: p + "self_attn.v_proj",
                attentionOutput: p + "self_attn.o_proj", mlpInputs: [p + "mlp.gate_proj", p + "mlp.up_proj"],
                linearMLPInput: p + "mlp.up_proj", mlpOutput: p + "mlp.down_proj", hasBiases: false)
        case .bert:
            let p = "encoder.layer.\(layer)."
            return LayerNames(
                query: p + "attention.self.query", key: p + "attention.self.key", value: p + "attention.self.value",
                attentionOutput: p + "attention.output.dense", mlpInputs: [p + "intermediate.dense"],
                linearMLPInput: nil, mlpOutput: p + "output.dense", hasBiases: true)
        }
    }
}

/// Module paths (without `.weight`/`.bias`) of one layer.
struct LayerNames {
    var query: String
    var key: String
    var value: String
    var attentionOutput: String
    /// Matrices whose rows are MLP neurons (gate and up, or intermediate).
    var mlpInputs: [String]
    /// The MLP input that enters linearly (Llama `up_proj`), which per-neuron rescaling may scale.
    var linearMLPInput: String?
    /// The matrix whose columns are MLP neurons (down, or output).
    var mlpOutput: String
    /// Whether the projections have biases (BERT).
    var hasBiases: Bool
}
