import Checkpoints
import CheckpointFixtures

/// A safetensors file that breaks exactly one rule, and the error it must produce.
struct MalformedCase: Sendable, CustomStringConvertible {
    enum Expected: Sendable {
        /// Exactly this rule, associated values included.
        case rule(CheckpointError.Rule)
        /// `.headerNotJSON` with any parser detail.
        case headerNotJSON
    }

    var label: String
    var bytes: [UInt8]
    var expected: Expected
    /// The tensor the error must name (`nil`: it must name none).
    var tensor: String?
    /// Words the printed message must contain to tell the user which rule was broken.
    var phrase: String

    var description: String { label }

    func matches(_ rule: CheckpointError.Rule) -> Bool {
        switch expected {
        case .rule(let expected): return rule == expected
        case .headerNotJSON:
            if case .headerNotJSON = rule { return true }
            return false
        }
    }
}

/// The malformed-input corpus: one case per rule of the safetensors format (issue 2).
enum MalformedCorpus {
    typealias B = SafetensorsBytes

    static func json(_ text: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
        B.file(headerJSON: text, data: data, declaredHeaderLength: declaredLength)
    }

    static func header(_ entries: String..., data: [UInt8]) -> [UInt8] {
        json(B.header(entries), data: data)
    }

    static let f32x2 = B.entry("a", dtype: .f32, shape: [2], offsets: (0, 8))
    static let valid = B.file([.init(name: "a", shape: [2], values: [1, 2]), .init(name: "b", shape: [3], values: [3, 4, 5])])
    static let validHeader = Array(B.header([f32x2]).utf8)

    static let cases: [MalformedCase] = [
        // Framing: length field and header size
        MalformedCase(label: "empty file", bytes: [], expected: .rule(.fileShorterThanHeaderLength(fileSize: 0)),
                      phrase: "shorter than the 8-byte"),
        MalformedCase(label: "truncated header length field", bytes: [0x10, 0, 0, 0, 0], expected: .rule(.fileShorterThanHeaderLength(fileSize: 5)),
                      phrase: "shorter than the 8-byte"),
        MalformedCase(label: "truncated header (file ends inside the JSON)", bytes: Array(B.file(header: validHeader).prefix(8 + validHeader.count / 2)),
                      expected: .rule(.headerLengthBeyondFile(headerLength: UInt64(validHeader.count), fileSize: UInt64(8 + validHeader.count / 2))),
                      phrase: "the header must fit in the file"),
        MalformedCase(label: "header length beyond the file", bytes: json("{}", declaredLength: 1000),
                      expected: .rule(.headerLengthBeyondFile(headerLength: 1000, fileSize: 10)), phrase: "only 10 bytes long"),
        MalformedCase(label: "header length exactly 100 MB but beyond the file", bytes: json("{}", declaredLength: 100_000_000),
                      expected: .rule(.headerLengthBeyondFile(headerLength: 100_000_000, fileSize: 10)), phrase: "the header must fit in the file"),
        MalformedCase(label: "header length above 100 MB", bytes: json("{}", declaredLength: 100_000_001),
                      expected: .rule(.headerTooLarge(headerLength: 100_000_001, limit: 100_000_000)), phrase: "above the 100000000-byte limit"),
        MalformedCase(label: "header length 2^64 - 1", bytes: json("{}", declaredLength: .max),
                      expected: .rule(.headerTooLarge(headerLength: .max, limit: 100_000_000)), phrase: "limit"),

        // Header text
        MalformedCase(label: "invalid UTF-8 byte 0xFF", bytes: B.file(header: Array("{\"a".utf8) + [0xFF] + Array("\":1}".utf8)),
                      expected: .rule(.headerNotUTF8(byteOffset: 3)), phrase: "not valid UTF-8"),
        MalformedCase(label: "overlong UTF-8 encoding", bytes: B.file(header: Array("{\"".utf8) + [0xC0, 0x80] + Array("\":1}".utf8)),
                      expected: .rule(.headerNotUTF8(byteOffset: 2)), phrase: "not valid UTF-8"),
        MalformedCase(label: "UTF-8 encoded surrogate", bytes: B.file(header: Array("{\"x".utf8) + [0xED, 0xA0, 0x80] + Array("\":1}".utf8)),
                      expected: .rule(.headerNotUTF8(byteOffset: 3)), phrase: "not valid UTF-8"),
        MalformedCase(label: "empty header", bytes: json(""), expected: .headerNotJSON, phrase: "not valid JSON"),
        MalformedCase(label: "unterminated JSON object", bytes: json("{\"a\":"), expected: .headerNotJSON, phrase: "not valid JSON"),
        MalformedCase(label: "text after the JSON value", bytes: json("{} x"), expected: .headerNotJSON, phrase: "not valid JSON"),
        MalformedCase(label: "nesting deeper than the parser allows",
                      bytes: json("{\"__metadata__\":" + String(repeating: "[", count: 200) + String(repeating: "]", count: 200) + "}"),
                      expected: .headerNotJSON, phrase: "nesting deeper"),
        MalformedCase(label: "JSON array instead of an object", bytes: json("[]"), expected: .rule(.headerNotObject), phrase: "not a JSON object"),
        MalformedCase(label: "JSON string instead of an object", bytes: json("\"tensors\""), expected: .rule(.headerNotObject), phrase: "not a JSON object"),
        MalformedCase(label: "JSON number instead of an object", bytes: json("42"), expected: .rule(.headerNotObject), phrase: "not a JSON object"),

        // __metadata__
        MalformedCase(label: "__metadata__ value that is not a string", bytes: json("{\"__metadata__\":{\"format\":1}}"),
                      expected: .rule(.metadataNotStringMap(key: "format")), phrase: "__metadata__ maps strings to strings"),
        MalformedCase(label: "__metadata__ that is not an object", bytes: json("{\"__metadata__\":[\"pt\"]}"),
                      expected: .rule(.metadataNotStringMap(key: "__metadata__")), phrase: "__metadata__ maps strings to strings"),

        // Tensor entries
        MalformedCase(label: "duplicate tensor names", bytes: header(B.entry("a", offsets: "[0,4]"), B.entry("a", offsets: "[4,8]"), data: Array(repeating: 0, count: 8)),
                      expected: .rule(.duplicateTensorName), tensor: "a", phrase: "declared twice"),
        MalformedCase(label: "entry that is not an object", bytes: json("{\"a\":3}"),
                      expected: .rule(.invalidField(field: "entry", reason: "expected an object with dtype, shape and data_offsets, found a number")),
                      tensor: "a", phrase: "invalid 'entry'"),
        MalformedCase(label: "missing dtype", bytes: header(B.entry("a", dtype: nil), data: [0, 0, 0, 0]),
                      expected: .rule(.missingField("dtype")), tensor: "a", phrase: "no 'dtype' field"),
        MalformedCase(label: "missing shape", bytes: header(B.entry("a", shape: nil), data: [0, 0, 0, 0]),
                      expected: .rule(.missingField("shape")), tensor: "a", phrase: "no 'shape' field"),
        MalformedCase(label: "missing data_offsets", bytes: header(B.entry("a", offsets: nil), data: [0, 0, 0, 0]),
                      expected: .rule(.missingField("data_offsets")), tensor: "a", phrase: "no 'data_offsets' field"),
        MalformedCase(label: "dtype that is not a string", bytes: header(B.entry("a", dtype: "5"), data: [0, 0, 0, 0]),
                      expected: .rule(.invalidField(field: "dtype", reason: "expected a string, found a number")), tensor: "a", phrase: "invalid 'dtype'"),
        MalformedCase(label: "unknown dtype", bytes: header(B.entry("a", dtype: "\"F128\""), data: [0, 0, 0, 0]),
                      expected: .rule(.unknownDType("F128")), tensor: "a", phrase: "not a safetensors dtype"),
        MalformedCase(label: "dtype in the wrong case", bytes: header(B.entry("a", dtype: "\"f32\""), data: [0, 0, 0, 0]),
                      expected: .rule(.unknownDType("f32")), tensor: "a", phrase: "not a safetensors dtype"),
        MalformedCase(label: "negative shape", bytes: header(B.entry("a", shape: "[-1]"), data: [0, 0, 0, 0]),
                      expected: .rule(.invalidField(field: "shape", reason: "dimension -1 is negative")), tensor: "a", phrase: "is negative"),
        MalformedCase(label: "shape dimension beyond 64 bits", bytes: header(B.entry("a", shape: "[18446744073709551616]"), data: [0, 0, 0, 0]),
                      expected: .rule(.shapeOverflow), tensor: "a", phrase: "overflows 64 bits"),
        MalformedCase(label: "shape whose element count overflows", bytes: header(B.entry("a", shape: "[4294967296,4294967296]"), data: [0, 0, 0, 0]),
                      expected: .rule(.shapeOverflow), tensor: "a", phrase: "overflows 64 bits"),
        MalformedCase(label: "shape whose byte size overflows", bytes: header(B.entry("a", dtype: "\"F64\"", shape: "[2305843009213693952]"), data: [0, 0, 0, 0]),
                      expected: .rule(.shapeOverflow), tensor: "a", phrase: "overflows 64 bits"),
        MalformedCase(label: "fractional shape", bytes: header(B.entry("a", shape: "[1.5]"), data: [0, 0, 0, 0]),
                      expected: .rule(.invalidField(field: "shape", reason: "dimension 1.5 is not a non-negative integer")), tensor: "a", phrase: "invalid 'shape'"),
        MalformedCase(label: "packed F4 with an odd element count", bytes: header(B.entry("a", dtype: "\"F4\"", shape: "[3]", offsets: "[0,2]"), data: [0, 0]),
                      expected: .rule(.invalidField(field: "shape", reason: "3 elements do not fill whole bytes of packed F4")), tensor: "a", phrase: "packed F4"),
        MalformedCase(label: "data_offsets with one number", bytes: header(B.entry("a", offsets: "[4]"), data: [0, 0, 0, 0]),
                      expected: .rule(.invalidField(field: "data_offsets", reason: "expected an array of two non-negative integers")), tensor: "a", phrase: "invalid 'data_offsets'"),
        MalformedCase(label: "negative data_offsets", bytes: header(B.entry("a", offsets: "[-4,0]"), data: [0, 0, 0, 0]),
                      expected: .rule(.invalidField(field: "data_offsets", reason: "offsets -4, 0 are not non-negative 64-bit integers")), tensor: "a", phrase: "invalid 'data_offsets'"),
        MalformedCase(label: "data_offsets beyond 64 bits", bytes: header(B.entry("a", offsets: "[0,18446744073709551620]"), data: [0, 0, 0, 0]),
                      expected: .rule(.invalidField(field: "data_offsets", reason: "offsets 0, 18446744073709551620 are not non-negative 64-bit integers")), tensor: "a", phrase: "invalid 'data_offsets'"),

        // Offsets and sizes
        MalformedCase(label: "byte length that does not match shape × dtype", bytes: header(B.entry("a", shape: "[2]", offsets: "[0,4]"), data: [0, 0, 0, 0]),
                      expected: .rule(.byteLengthMismatch(expected: 8, declared: 4)), tensor: "a", phrase: "shape × dtype size = data_offsets length"),
        MalformedCase(label: "reversed offsets", bytes: header(B.entry("a", shape: "[1]", offsets: "[4,0]"), data: [0, 0, 0, 0]),
                      expected: .rule(.offsetsReversed(start: 4, end: 0)), tensor: "a", phrase: "end before they start"),
        MalformedCase(label: "overlapping offsets", bytes: header(f32x2, B.entry("b", dtype: .f32, shape: [2], offsets: (4, 12)), data: Array(repeating: 0, count: 12)),
                      expected: .rule(.offsetsOverlap(start: 4, previousEnd: 8)), tensor: "b", phrase: "rule: tensors do not overlap"),
        MalformedCase(label: "gap between tensors", bytes: header(B.entry("a", offsets: "[0,4]"), B.entry("b", offsets: "[8,12]"), data: Array(repeating: 0, count: 12)),
                      expected: .rule(.offsetsGap(start: 8, previousEnd: 4)), tensor: "b", phrase: "rule: tensors are contiguous"),
        MalformedCase(label: "gap before the first tensor", bytes: header(B.entry("a", offsets: "[4,8]"), data: Array(repeating: 0, count: 8)),
                      expected: .rule(.offsetsGap(start: 4, previousEnd: 0)), tensor: "a", phrase: "rule: tensors are contiguous"),
        MalformedCase(label: "offsets beyond the data section", bytes: header(f32x2, data: [0, 0, 0, 0]),
                      expected: .rule(.offsetsOutOfRange(end: 8, dataSize: 4)), tensor: "a", phrase: "beyond the 4-byte data section"),
        MalformedCase(label: "offsets far beyond the file (no allocation from them)",
                      bytes: header(B.entry("a", shape: "[274877906944]", offsets: "[0,1099511627776]"), data: [0, 0, 0, 0]),
                      expected: .rule(.offsetsOutOfRange(end: 1_099_511_627_776, dataSize: 4)), tensor: "a", phrase: "beyond the 4-byte data section"),
        MalformedCase(label: "truncated data (file cut inside the last tensor)", bytes: Array(valid.dropLast(3)),
                      expected: .rule(.offsetsOutOfRange(end: 20, dataSize: 17)), tensor: "b", phrase: "the file is truncated"),
        MalformedCase(label: "trailing bytes after the last tensor", bytes: header(B.entry("a", offsets: "[0,4]"), data: Array(repeating: 0, count: 7)),
                      expected: .rule(.trailingBytes(covered: 4, dataSize: 7)), phrase: "3 bytes after the last tensor"),
    ]
}
