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

    /// The companion tensor holding the factors (also listed in `Checkpoint.tensors`). Its
    /// fields are copied rather than nested: a `TensorInfo` cannot hold a `TensorInfo`;
    /// `companion` rebuilds it.
    public var name: String
    /// Its element type (F32, BF16 or F16).
    public var dtype: DType
    /// Its shape: the grid of blocks (`[]`, `[1]` for one factor; `[rows]` or `[rows, 1]` per row).
    public var shape: [Int]
    /// Where its bytes are: index into `Checkpoint.files`, absolute offset, length.
    public var fileIndex: Int
    public var offset: UInt64
    public var byteCount: UInt64
    /// Rows of the weight one factor covers.
    public var blockRows: Int
    /// Columns of the weight one factor covers.
    public var blockColumns: Int
    public var granularity: Granularity
    /// A second, per-tensor level of scaling (NVFP4): every factor is multiplied by this
    /// one-value tensor (ModelOpt's `weight_scale_2`) or divided by it (compressed-tensors'
    /// `weight_global_scale`).
    public var global: GlobalFactor?

    /// The one-value tensor of a two-level scaling.
    public struct GlobalFactor: Sendable, Hashable, Codable {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        public var fileIndex: Int
        public var offset: UInt64
        public var byteCount: UInt64
        /// Whether factors are divided by the value (compressed-tensors) rather than multiplied.
        public var divides: Bool

        public init(tensor: TensorInfo, divides: Bool) {
            name = tensor.name
            dtype = tensor.dtype
            shape = tensor.shape
            fileIndex = tensor.fileIndex
            offset = tensor.offset
            byteCount = tensor.byteCount
            self.divides = divides
        }

        /// The tensor, for reading.
        public var tensor: TensorInfo {
            TensorInfo(name: name, dtype: dtype, shape: shape, fileIndex: fileIndex, offset: offset, byteCount: byteCount)
        }
    }

    public init(companion: TensorInfo, granularity: Granularity, blockRows: Int, blockColumns: Int, global: GlobalFactor? = nil) {
        self.granularity = granularity
        name = companion.name
        dtype = companion.dtype
        shape = companion.shape
        fileIndex = companion.fileIndex
        offset = companion.offset
        byteCount = companion.byteCount
        self.blockRows = blockRows
        self.blockColumns = blockColumns
        self.global = global
    }

    /// The companion as a tensor of the checkpoint, for reading.
    public var companion: TensorInfo {
        TensorInfo(name: name, dtype: dtype, shape: shape, fileIndex: fileIndex, offset: offset, byteCount: byteCount)
    }

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
