/// How the stored values of a quantized weight are scaled back to the weight's values: a
/// companion tensor of scale factors (`NAME_scale_inv` as DeepSeek-V3 and Qwen3-FP8 store them,
/// `NAME_scale` as compressed-tensors does), one factor per block of `blockRows × blockColumns`
/// elements. The weight's value at (row, column) is `stored × scale[row / blockRows][column / blockColumns]`.
///
/// A per-tensor scale is one block covering the whole matrix, a per-channel scale a block of
/// one row. Tensors other than matrices are viewed as one row of all their elements.
public struct TensorScale: Sendable, Hashable, Codable {
    /// What one factor covers, as the companion's shape declares it.
    public enum Granularity: String, Sendable, Hashable, Codable {
        /// One factor for the whole tensor.
        case tensor
        /// One factor per row (output channel).
        case row
        /// One factor per block of `blockRows × blockColumns`.
        case block
    }

    /// The companion tensor holding the factors (also listed in `Checkpoint.tensors`).
    public var location: TensorLocation
    /// Rows of the weight one factor covers.
    public var blockRows: Int
    /// Columns of the weight one factor covers.
    public var blockColumns: Int
    public var granularity: Granularity
    /// A second, per-tensor level of scaling (NVFP4): every factor is multiplied by this
    /// one-value tensor (ModelOpt's `weight_scale_2`) or divided by it (compressed-tensors'
    /// `weight_global_scale`).
    public var global: GlobalFactor?
    /// Zero points of an asymmetric quantization (GPTQ, AWQ, compressed-tensors): value = (code −
    /// zero) × factor, one zero per factor.
    public var zeroPoints: ZeroPoints?
    /// The stored code of the value zero when it is not the dtype's own (`DType.codeOffset`):
    /// compressed-tensors stores 8-bit codes as the signed code + 128 (U8 bytes), so value =
    /// (code − 128) × factor. `nil` for every other layout.
    public var codeCentre: Int?
    /// The algorithm that chose the codes when the checkpoint states it and the layout does not
    /// (llm-compressor's `recipe.yaml`, `QuantizationSettings.quantizer`); `nil` otherwise.
    public var quantizer: QuantizationSettings.Quantizer?
    /// GPTQ's `g_idx` (I32, one entry per weight row): the factor row of each weight row, for
    /// weights quantized in activation order; `nil` when rows map to factor rows by `blockRows`.
    public var groupIndex: TensorLocation?
    /// compressed-tensors' `weight_g_idx` (I32 or I64, one entry per weight column): the factor
    /// column of each weight column, for weights GPTQ quantized in activation order with
    /// llm-compressor's `actorder: group`; `nil` when columns map to factors by `blockColumns`.
    public var columnGroupIndex: TensorLocation?
    /// bitsandbytes' `quant_map` (F32 [16]): the value of each 4-bit code before scaling.
    public var codebook: TensorLocation?
    /// bitsandbytes' double quantization: the factors (`absmax`, the companion) are themselves
    /// 8-bit codes, factor = `nested_quant_map[code] × nested_absmax[block / blockSize] + offset`.
    public var nestedFactors: NestedFactors?
    /// A constant every factor is multiplied by: bitsandbytes' LLM.int8 stores each row's largest
    /// magnitude (`SCB`), and the factor is SCB / 127.
    public var multiplier: Float?
    /// MLX's affine quantization: a bias per factor (same shape as the companion), value =
    /// code × factor + bias, the code unsigned.
    public var biases: TensorLocation?

    /// The one-value tensor of a two-level scaling.
    public struct GlobalFactor: Sendable, Hashable, Codable {
        public var location: TensorLocation
        /// Whether factors are divided by the value (compressed-tensors) rather than multiplied.
        public var divides: Bool

        public init(tensor: TensorInfo, divides: Bool) {
            location = TensorLocation(tensor)
            self.divides = divides
        }
    }

    /// Zero points, one per factor: packed like GPTQ's and AWQ's codes (`qzeros`, I32 `[G, N·bits/32]`),
    /// packed down the factor rows (compressed-tensors), or one signed byte each.
    public struct ZeroPoints: Sendable, Hashable, Codable {
        /// How the zeros are laid out.
        public enum Storage: String, Sendable, Hashable, Codable {
            /// `32 / bits` zeros of consecutive factor columns per I32 word, placed by `order`
            /// (GPTQ's and AWQ's `qzeros` `[G, N·bits/32]`).
            case columnWords = "column-words"
            /// `32 / bits` zeros of consecutive factor rows per I32 word, the first in the lowest
            /// bits (compressed-tensors' `weight_zero_point` `[⌈R / ⌊32/bits⌋⌉, G]`, packed along dim 0).
            case rowWords = "row-words"
            /// Each factor column's zeros one dense little-endian bit stream down the factor rows,
            /// in word rows (compressed-tensors ≥ 0.18's `weight_zero_point` `[⌈R·bits/32⌉, G]` at
            /// 3, 5, 6 and 7 bits): zero (r, g) is field r of the stream of words (k, g).
            case rowStream = "row-stream"
            /// One I8 per factor holding the signed zero (compressed-tensors' unpacked
            /// `weight_zero_point`): the zero code is it plus the code of value zero.
            case signedBytes = "signed-bytes"
        }

        public var location: TensorLocation
        public var storage: Storage
        /// How the zeros are packed in their words (`columnWords`): in column order (GPTQ) or AWQ's interleaved order.
        public var order: CodePacking.Order
        public var bits: Int
        /// Whether the stored zero is one less than the zero dequantization uses (GPTQ's
        /// `zeros -= 1` when packing, undone by `zeros + 1` when dequantizing).
        public var storedMinusOne: Bool

        public init(tensor: TensorInfo, order: CodePacking.Order, bits: Int, storedMinusOne: Bool) {
            location = TensorLocation(tensor)
            storage = .columnWords
            self.order = order
            self.bits = bits
            self.storedMinusOne = storedMinusOne
        }

        /// compressed-tensors' zero points: packed down the factor rows (I32) or one signed byte each (I8).
        public init(tensor: TensorInfo, storage: Storage, bits: Int) {
            location = TensorLocation(tensor)
            self.storage = storage
            order = .gptq
            self.bits = bits
            storedMinusOne = false
        }
    }

    /// The second level of bitsandbytes' double quantization.
    public struct NestedFactors: Sendable, Hashable, Codable {
        /// `nested_quant_map` (F32 [256]).
        public var codebook: TensorLocation
        /// `nested_absmax` (F32, one per `blockSize` factors).
        public var scales: TensorLocation
        public var blockSize: Int
        /// `nested_offset` from the quant state, added to every factor.
        public var offset: Float

        public init(codebook: TensorInfo, scales: TensorInfo, blockSize: Int, offset: Float) {
            self.codebook = TensorLocation(codebook)
            self.scales = TensorLocation(scales)
            self.blockSize = blockSize
            self.offset = offset
        }
    }

    public init(companion: TensorInfo, granularity: Granularity, blockRows: Int, blockColumns: Int, global: GlobalFactor? = nil) {
        location = TensorLocation(companion)
        self.granularity = granularity
        self.blockRows = blockRows
        self.blockColumns = blockColumns
        self.global = global
    }

    /// The companion's name.
    public var name: String { location.name }
    /// Its element type (F32, BF16 or F16; F8_E8M0 or F8_E4M3 for MXFP4 and NVFP4).
    public var dtype: DType { location.dtype }
    /// Its shape: the grid of blocks (`[]`, `[1]` for one factor; `[rows]` or `[rows, 1]` per row).
    public var shape: [Int] { location.shape }
    /// The file holding its bytes (index into `Checkpoint.files`).
    public var fileIndex: Int { location.fileIndex }

    /// The companion as a tensor of the checkpoint, for reading.
    public var companion: TensorInfo { location.tensor }

    /// How the scaling reads: `per-tensor`, `per-row` or `ROWS×COLUMNS block`, with `(× per-tensor)`
    /// or `(÷ per-tensor)` for a two-level scaling.
    public var description: String {
        Self.describe(granularity, blockRows: blockRows, blockColumns: blockColumns)
            + (global.map { $0.divides ? " (÷ per-tensor)" : " (× per-tensor)" } ?? "")
    }

    /// `per-tensor`, `per-row` or `ROWS×COLUMNS block`.
    public static func describe(_ granularity: Granularity, blockRows: Int, blockColumns: Int) -> String {
        switch granularity {
        case .tensor: "per-tensor"
        case .row: "per-row"
        case .block: "\(blockRows)×\(blockColumns) block"
        }
    }

    /// The (rows, columns) a weight of this shape is scaled as: a matrix as it is, anything
    /// else as one row.
    public static func matrixView(_ shape: [Int]) -> (rows: Int, columns: Int) {
        shape.count == 2 ? (shape[0], shape[1]) : (1, shape.reduce(1, *))
    }
}
