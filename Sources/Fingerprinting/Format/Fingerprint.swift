import Checkpoints
import ProvenanceCrypto

/// The fingerprint of one checkpoint: exact digests, statistics, sketches, neuron
/// profiles, structure and index keys, computed in one streaming pass.
///
/// It holds no timestamps and no host paths: the same checkpoint always gives the same
/// fingerprint (and the same file bytes). See `docs/FINGERPRINT_FORMAT.md`.
public struct Fingerprint: Sendable {
    /// Format, tool and the parameters every comparison must share.
    public var header: Header
    /// What was fingerprinted: format, layout, files (name, size, SHA-256).
    public var source: Source
    public var structure: ModelStructure
    /// Name-free digests over all tensors.
    public var roots: Roots
    /// One entry per tensor, in checkpoint order.
    public var tensors: [TensorFingerprint]
    /// The probe through which neuron profiles were taken.
    public var probe: Probe
    /// Permutation-robust neuron profiles of selected layers.
    public var profiles: [NeuronProfileSet]
    /// Locality-sensitive keys for registry look-up.
    public var indexKeys: [IndexKey]
    /// Mixture-of-experts layers stored one tensor per expert: the summed sketch of each
    /// layer's experts of one role, which replaces the members' own sketches (§4b).
    public var expertGroups: [ExpertGroupFingerprint] = []
    /// Fused gate/up tensors (`FusedProjection`): the gate and up parts sketched as the separate
    /// matrices a split copy stores (§4c). The fused tensor keeps its own sketch too.
    public var fusedParts: [FusedPartFingerprint] = []

    public struct Header: Sendable, Hashable, Codable {
        public var format: String
        public var formatVersion: Int
        public var tool: String
        public var toolVersion: String
        public var seed: String
        public var sketchSide: Int
        public var probeTokens: Int
        public var profileNeurons: Int
        public var lshBands: Int
        public var lshBandBits: Int
    }

    public struct Source: Sendable, Hashable, Codable {
        public struct File: Sendable, Hashable, Codable {
            public var name: String
            public var size: UInt64
            /// SHA-256 of the whole file (equals the Hugging Face LFS oid); absent if not computed.
            public var sha256: SHA256Digest?
        }
        public var format: String
        public var layout: String
        public var files: [File]
        public var tensorCount: Int
        public var parameterCount: Int
        public var repository: String?
        public var revision: String?
    }

    public struct Roots: Sendable, Hashable, Codable {
        /// SHA-256 over the sorted raw tensor digests (see the format document).
        public var raw: SHA256Digest
        /// SHA-256 over the sorted canonical tensor digests: survives renames, re-sharding,
        /// transposed storage and lossless dtype changes.
        public var canonical: SHA256Digest
    }

    public struct Probe: Sendable, Hashable, Codable {
        public var kind: ProbeBasis.Kind
        public var tokenIDs: [Int]
        /// Cosines between probe vectors, `t × t` row-major (index keys only).
        public var gram: [Float]
    }
}

/// The fingerprint of one tensor.
public struct TensorFingerprint: Sendable, Hashable {
    public var name: String
    public var dtype: String
    public var shape: [Int]
    /// Index into `Fingerprint.source.files`.
    public var file: Int
    public var role: TensorRole
    public var layer: Int?
    /// `name` or `shape`.
    public var roleBasis: String
    /// SHA-256 of the stored bytes.
    public var sha256: SHA256Digest
    public var canonical: CanonicalForm
    /// `nil` for tensors whose values cannot be decoded (F6, C64).
    public var statistics: TensorStatistics?
    /// The narrowest float grid holding every value (`F8_E4M3`, `F8_E5M2`, `BF16`, `F16`, `F32`),
    /// for floating-point tensors other than F64.
    public var valueGrid: String?
    /// For GGML types with a rounding grid (`DType.hasRoundingGrid`): Σ step²/12 over the
    /// elements, the squared error that rounding to the stored grid is expected to have
    /// caused, from the blocks' own scales. Matching compares it with the observed deviation.
    public var roundingEnergy: Double?
    /// For a weight stored as codes with a companion tensor of scale factors (block-scaled
    /// FP8, per-channel INT8): that tensor and the block one factor covers. Every other field
    /// describes the scaled values, except `sha256`, which covers the stored codes.
    public var scale: Scaling?
    /// For a rank-3 stack of mixture-of-experts matrices (`ExpertLayout`): how many experts it
    /// holds. Its sketch and LSH keys then describe the sum of the experts' matrices.
    public var experts: Int?
    /// For a stack of experts in a type without blocks (F32, F16, BF16, …): group digests over
    /// its experts digested one by one as 2-D tensors (`ExpertLayout.groupDigest`), so the same
    /// experts stored one tensor per expert are recognised as an exact copy.
    public var expertDigests: ExpertDigests?
    /// The linear sketch: 64 × 64 (row-major) for matrices, 64 for vectors; empty if none.
    public var sketch: [Float]
    /// LSH keys of the sketch (canonical orientation; both orientations for square matrices).
    public var lshKeys: [UInt64]

    /// The canonical encoding of a tensor's values.
    public struct CanonicalForm: Sendable, Hashable, Codable {
        /// SHA-256 of the canonical bytes.
        public var sha256: SHA256Digest
        /// Narrowest of BF16, F16, F32, F64 holding every value exactly (integers unchanged).
        public var dtype: String
        /// Shape after orientation (2-D tensors are stored tall; see the format document).
        public var shape: [Int]
        /// Whether the canonical orientation is the transpose of the stored one.
        public var transposed: Bool
    }

    /// Group digests over the experts of a stack, in expert order.
    public struct ExpertDigests: Sendable, Hashable, Codable {
        /// Over each expert's raw digest (its stored bytes).
        public var raw: SHA256Digest
        /// Over each expert's canonical digest.
        public var canonical: SHA256Digest
    }

    /// How a weight's codes are scaled to its values.
    public struct Scaling: Sendable, Hashable, Codable {
        /// The companion tensor holding the factors.
        public var tensor: String
        /// `[rows, columns]` of the weight one factor covers.
        public var block: [Int]
        /// `tensor`, `row` or `block`: what one factor covers, as the companion's shape declares it.
        public var granularity: TensorScale.Granularity
        /// The zero-point companion of an asymmetric quantization (GPTQ's and AWQ's `qzeros`).
        public var zeroPoints: String?
        /// The group index of activation-ordered groups: GPTQ's `g_idx` (each row's group in
        /// its `[K, N]` layout, `packing` gptq) or compressed-tensors' `weight_g_idx` (each
        /// column's group, no `packing`).
        public var groupIndex: String?
        /// How the codes are packed in the stored words: `gptq` or `awq`.
        public var packing: String?
        /// MLX's affine biases (`P.biases`): value = code × factor + bias.
        public var biases: String?
        /// The algorithm that chose the codes, when the checkpoint states it and the layout does
        /// not: `gptq`, `awq` or `round-to-nearest` (llm-compressor's `recipe.yaml`).
        public var quantizer: String?

        public init(tensor: String, block: [Int], granularity: TensorScale.Granularity,
                    zeroPoints: String? = nil, groupIndex: String? = nil, packing: String? = nil, biases: String? = nil,
                    quantizer: String? = nil) {
            self.tensor = tensor
            self.block = block
            self.granularity = granularity
            self.zeroPoints = zeroPoints
            self.groupIndex = groupIndex
            self.packing = packing
            self.biases = biases
            self.quantizer = quantizer
        }
    }

    /// Whether this tensor carries a sketch.
    public var hasSketch: Bool { !sketch.isEmpty }

    /// The 2-D view used by the sketch (one expert's matrix for a stack of experts).
    public var matrixView: (rows: Int, cols: Int)? { SketchGeometry.matrixView(shape, experts: experts) }
}

/// The experts of one mixture-of-experts layer and role, stored one tensor per expert
/// (`ExpertLayout.groupName`): the sketch evidence of them all, the sum of their sketches.
/// The members keep their digests and statistics but carry no sketch or LSH keys of their own.
public struct ExpertGroupFingerprint: Sendable, Hashable {
    /// The members' name with the expert index replaced by `*`.
    public var name: String
    /// Indices into `Fingerprint.tensors`, in expert order.
    public var members: [Int]
    /// Σ of the members' 64 × 64 sketches (summed in Double, in expert order).
    public var sketch: [Float]
    /// LSH keys of the summed sketch, centred by the sum of the members' means.
    public var lshKeys: [UInt64]
}

/// One part of a fused tensor (`FusedProjection`), sketched as the matrix it becomes when a
/// conversion splits the tensor (llama.cpp's `ffn_gate_exps`/`ffn_up_exps`, a llamafied
/// `gate_proj`; latent attention's per-head `attn_k_b`/`attn_v_b` stacks).
public struct FusedPartFingerprint: Sendable, Hashable {
    /// The fused tensor: an index into `Fingerprint.tensors`.
    public var tensor: Int
    public var part: FusedProjection.Part
    public var axis: FusedProjection.Axis
    public var layout: FusedProjection.Layout
    /// Heads of a head-block split (each part a stack of one matrix per head); `nil` otherwise.
    public var heads: Int?
    /// The part's 2-D view (one expert's or head's matrix for a stack).
    public var rows: Int
    public var cols: Int
    /// Elements of the part (over every expert), their mean and sum of squares; non-finite
    /// values count as 0, as in sketches.
    public var count: Int
    public var mean: Double
    public var sumSquares: Double
    /// The part's 64 × 64 sketch (the sum over experts or heads for a stack).
    public var sketch: [Float]
    /// LSH keys of the sketch, centred by the mean times the experts (or heads).
    public var lshKeys: [UInt64]

    public init(tensor: Int, part: FusedProjection.Part, axis: FusedProjection.Axis, layout: FusedProjection.Layout, heads: Int? = nil,
                rows: Int, cols: Int, count: Int, mean: Double, sumSquares: Double, sketch: [Float], lshKeys: [UInt64]) {
        self.tensor = tensor
        self.part = part
        self.axis = axis
        self.layout = layout
        self.heads = heads
        self.rows = rows
        self.cols = cols
        self.count = count
        self.mean = mean
        self.sumSquares = sumSquares
        self.sketch = sketch
        self.lshKeys = lshKeys
    }

    /// The matrices the part's sketch sums, given its tensor: experts of a stack times heads.
    public func stackedMatrices(of tensor: TensorFingerprint) -> Int {
        (tensor.experts ?? 1) * (heads ?? 1)
    }
}

/// Neuron profiles of one layer's paired matrices (e.g. MLP up/down, attention V/O, Q/K).
public struct NeuronProfileSet: Sendable, Hashable {
    /// `mlp`, `attention.vo` or `attention.qk`.
    public var kind: String
    public var layer: Int
    /// The matrix whose neurons are its rows (input side), and the paired matrix.
    public var inputTensor: String
    public var pairedTensor: String
    /// Neurons in the layer; `selected` holds the indices kept (largest ‖in‖·‖paired‖ first).
    public var neuronCount: Int
    public var selected: [Int]
    /// Unit-norm profiles, `selected.count × t` row-major, for the input and the paired matrix.
    public var inputProfiles: [Float]
    public var pairedProfiles: [Float]
}

/// A locality-sensitive look-up key.
public struct IndexKey: Sendable, Hashable, Codable, Comparable {
    /// `sketch` (per-tensor sketch band) or `probe` (embedding-probe Gram band).
    public var kind: String
    public var value: UInt64

    public init(kind: String, value: UInt64) {
        self.kind = kind
        self.value = value
    }

    public static func < (lhs: IndexKey, rhs: IndexKey) -> Bool {
        (lhs.kind, lhs.value) < (rhs.kind, rhs.value)
    }
}
