// MARK: - GGML type ids

extension DType {
    /// The GGML type id of this dtype in GGUF tensor descriptions, or `nil` if GGML has none.
    public var ggmlTypeID: UInt32? {
        switch self {
        case .f32: 0
        case .f16: 1
        case .q4_0: 2
        case .q4_1: 3
        case .q5_0: 6
        case .q5_1: 7
        case .q8_0: 8
        case .q2K: 10
        case .q3K: 11
        case .q4K: 12
        case .q5K: 13
        case .q6K: 14
        case .iq4NL: 20
        case .iq4XS: 23
        case .mxfp4: 39
        case .nvfp4: 40
        case .q1_0: 41
        case .q2_0: 42
        case .tq1_0: 34
        case .tq2_0: 35
        case .iq2XXS: 16
        case .iq2XS: 17
        case .iq3XXS: 18
        case .iq1S: 19
        case .iq3S: 21
        case .iq2S: 22
        case .iq1M: 29
        case .i8: 24
        case .i16: 25
        case .i32: 26
        case .i64: 27
        case .f64: 28
        case .bf16: 30
        default: nil
        }
    }

    /// The dtype a GGUF tensor description's GGML type id stands for, or `nil` for ids this
    /// tool cannot even size (see `ggmlTypeName(forID:)` for the names of those).
    public init?(ggmlTypeID id: UInt32) {
        guard let dtype = DType.byGGMLTypeID[id] else { return nil }
        self = dtype
    }

    /// The name of a GGML type id (supported or not), or `nil` for ids GGML never defined.
    public static func ggmlTypeName(forID id: UInt32) -> String? {
        if let dtype = DType(ggmlTypeID: id) { return dtype.name }
        return unsupportedGGMLTypeNames[id]
    }

    private static let byGGMLTypeID: [UInt32: DType] = Dictionary(
        uniqueKeysWithValues: DType.allCases.compactMap { dtype in dtype.ggmlTypeID.map { ($0, dtype) } })

    /// GGML ids that never appear in model files: removed types, intermediate dot-product
    /// types, and ids of repacked layouts that were removed from GGUF.
    private static let unsupportedGGMLTypeNames: [UInt32: String] = [
        4: "Q4_2", 5: "Q4_3", 9: "Q8_1", 15: "Q8_K",
        31: "Q4_0_4_4", 32: "Q4_0_4_8", 33: "Q4_0_8_8",
        36: "IQ4_NL_4_4", 37: "IQ4_NL_4_8", 38: "IQ4_NL_8_8",
    ]
}
