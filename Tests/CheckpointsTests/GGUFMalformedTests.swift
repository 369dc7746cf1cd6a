import Checkpoints
import Foundation
import Testing

/// A GGUF file assembled field by field, so tests can break any rule.
struct RawGGUF {
    var magic: [UInt8] = Array("GGUF".utf8)
    var version: UInt32 = 3
    var tensorCount: UInt64?
    var keyValueCount: UInt64?
    var keyValues: [[UInt8]] = [RawGGUF.keyValue("general.architecture", type: 8, RawGGUF.string("test"))]
    var tensors: [[UInt8]] = [RawGGUF.tensor("w", dimensions: [4], type: 0, offset: 0)]
    var alignment = 32
    var data: [UInt8] = (0..<4).flatMap { RawGGUF.le(Float($0).bitPattern) }
    var trailing: [UInt8] = []

    func bytes() -> [UInt8] {
        var out = magic + Self.le(version) + Self.le(tensorCount ?? UInt64(tensors.count)) + Self.le(keyValueCount ?? UInt64(keyValues.count))
        out += keyValues.flatMap { $0 } + tensors.flatMap { $0 }
        if !tensors.isEmpty { out += [UInt8](repeating: 0, count: (alignment - out.count % alignment) % alignment) }
        return out + data + trailing
    }

    static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
    static func string(_ text: String) -> [UInt8] { le(UInt64(text.utf8.count)) + Array(text.utf8) }
    static func keyValue(_ key: String, type: UInt32, _ payload: [UInt8]) -> [UInt8] { string(key) + le(type) + payload }
    static func tensor(_ name: String, dimensions: [UInt64], type: UInt32, offset: UInt64) -> [UInt8] {
        string(name) + le(UInt32(dimensions.count)) + dimensions.flatMap { le($0) } + le(type) + le(offset)
    }
}

@Suite("GGUF validation: every malformed input gets its own typed error")
struct GGUFMalformedTests {
    let directory: FormatTestDirectory

    init() throws { directory = try FormatTestDirectory() }

    /// Writes `raw`, opens it, and checks the error names the file, tensor and rule.
    func expectError(_ raw: RawGGUF, tensor: String? = nil, _ rule: CheckpointError.Rule, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let path = try directory.write(raw.bytes(), to: "bad-\(UUID().uuidString).gguf")
        let error = checkpointError { _ = try CheckpointReader(path: path) }
        #expect(error == CheckpointError(file: path, tensor: tensor, rule: rule), sourceLocation: sourceLocation)
        if let error { #expect(error.description.hasSuffix("."), sourceLocation: sourceLocation) }
    }

    @Test("the unmodified raw file is valid")
    func baseline() throws {
        let path = try directory.write(RawGGUF().bytes(), to: "ok.gguf")
        let reader = try CheckpointReader(path: path)
        #expect(try readAllFloats(reader, reader.checkpoint.tensors[0]) == [0, 1, 2, 3])
    }

    @Test("framing: magic, version, counts, truncation")
    func framing() throws {
        var raw = RawGGUF()
        raw.magic = Array("GGUX".utf8)
        try expectError(raw, .gguf(.badMagic(found: "47 47 55 58")))
        for version: UInt32 in [0, 1, 4, 0x0300_0000] {
            raw = RawGGUF()
            raw.version = version
            try expectError(raw, .gguf(.unsupportedVersion(version)))
        }
        let bigEndian = CheckpointError(file: "f", rule: .gguf(.unsupportedVersion(0x0300_0000))).description
        #expect(bigEndian.contains("big-endian"))

        raw = RawGGUF()
        raw.keyValueCount = 1 << 40
        let header = 4 + 4 + 8 + 8
        let size = UInt64(raw.bytes().count)
        try expectError(raw, .gguf(.countBeyondFile(what: "metadata key/value pairs", count: 1 << 40, remainingBytes: size - UInt64(header))))
        raw = RawGGUF()
        raw.tensorCount = UInt64.max
        let afterKV = UInt64(header + raw.keyValues[0].count)
        try expectError(raw, .gguf(.countBeyondFile(what: "tensors", count: .max, remainingBytes: size - afterKV)))

        // Cut inside the length field of the first value (24 header bytes, 28 key bytes, 4 type bytes).
        let truncated = Array(RawGGUF().bytes().prefix(58))
        let path = try directory.write(truncated, to: "short.gguf")
        #expect(checkpointError { _ = try CheckpointReader(path: path) } == CheckpointError(file: path, rule: .truncated(expected: 64, got: 58)))
    }

    @Test("metadata: lengths, keys, value types, booleans, nesting, UTF-8, alignment")
    func metadata() throws {
        var raw = RawGGUF()
        raw.keyValues = [RawGGUF.le(UInt64(1) << 50) + Array("k".utf8)]
        let remaining = UInt64(raw.bytes().count - 24 - 8)
        try expectError(raw, .gguf(.lengthBeyondFile(what: "metadata key", length: 1 << 50, remainingBytes: remaining)))

        raw = RawGGUF()
        raw.keyValues = [RawGGUF.keyValue("", type: 0, [1])]
        try expectError(raw, .gguf(.emptyKey(index: 0)))

        raw = RawGGUF()
        raw.keyValues.append(RawGGUF.keyValue("general.architecture", type: 0, [1]))
        try expectError(raw, .gguf(.duplicateKey("general.architecture")))

        raw = RawGGUF()
        raw.keyValues.append(RawGGUF.keyValue("odd", type: 13, [1]))
        try expectError(raw, .gguf(.invalidValueType(key: "odd", type: 13)))

        raw = RawGGUF()
        raw.keyValues.append(RawGGUF.keyValue("flag", type: 7, [2]))
        try expectError(raw, .gguf(.invalidBool(key: "flag", value: 2)))

        raw = RawGGUF()
        raw.keyValues.append(RawGGUF.keyValue("flags", type: 9, RawGGUF.le(UInt32(7)) + RawGGUF.le(UInt64(2)) + [1, 5]))
        try expectError(raw, .gguf(.invalidBool(key: "flags", value: 5)))

        raw = RawGGUF()
        raw.keyValues.append(RawGGUF.keyValue("list", type: 9, RawGGUF.le(UInt32(4)) + RawGGUF.le(UInt64(1) << 40)))
        let listRemaining = UInt64(raw.bytes().count) - UInt64(24 + raw.keyValues[0].count + RawGGUF.string("list").count + 4 + 4 + 8)
        try expectError(raw, .gguf(.lengthBeyondFile(what: "array in 'list'", length: 1 << 40, remainingBytes: listRemaining)))

        raw = RawGGUF()
        var nested = RawGGUF.le(UInt32(0)) + RawGGUF.le(UInt64(0))  // innermost: empty uint8 array
        for _ in 0..<9 { nested = RawGGUF.le(UInt32(9)) + RawGGUF.le(UInt64(1)) + nested }
        raw.keyValues.append(RawGGUF.keyValue("deep", type: 9, nested))
        try expectError(raw, .gguf(.nestingTooDeep(key: "deep", limit: 8)))

        raw = RawGGUF()
        raw.keyValues.append(RawGGUF.le(UInt64(2)) + [0xC3, 0x28] + RawGGUF.le(UInt32(0)) + [1])
        try expectError(raw, .gguf(.invalidUTF8(what: "metadata key")))

        raw = RawGGUF()
        raw.keyValues.append(RawGGUF.keyValue("general.alignment", type: 10, RawGGUF.le(UInt64(32))))
        try expectError(raw, .gguf(.invalidAlignment(reason: "it must be a uint32, found type 10")))
        raw = RawGGUF()
        raw.keyValues.append(RawGGUF.keyValue("general.alignment", type: 4, RawGGUF.le(UInt32(48))))
        try expectError(raw, .gguf(.invalidAlignment(reason: "48 is not a power of two")))
    }

    @Test("tensor descriptions: names, dimensions, types, block alignment")
    func tensorDescriptions() throws {
        var raw = RawGGUF()
        let long = String(repeating: "n", count: 64)
        raw.tensors = [RawGGUF.tensor(long, dimensions: [4], type: 0, offset: 0)]
        try expectError(raw, tensor: long, .gguf(.nameTooLong(length: 64, limit: 64)))

        raw = RawGGUF()
        raw.tensors.append(RawGGUF.tensor("w", dimensions: [4], type: 0, offset: 32))
        try expectError(raw, tensor: "w", .duplicateTensorName)

        raw = RawGGUF()
        raw.tensors = [RawGGUF.tensor("w", dimensions: [1, 1, 1, 1, 4], type: 0, offset: 0)]
        try expectError(raw, tensor: "w", .gguf(.tooManyDimensions(5, limit: 4)))

        raw = RawGGUF()
        raw.tensors = [RawGGUF.tensor("w", dimensions: [4, UInt64(bitPattern: -2)], type: 0, offset: 0)]
        try expectError(raw, tensor: "w", .gguf(.negativeDimension(index: 1, value: -2)))

        raw = RawGGUF()
        raw.tensors = [RawGGUF.tensor("w", dimensions: [1 << 40, 1 << 40], type: 0, offset: 0)]
        try expectError(raw, tensor: "w", .shapeOverflow)
        raw.tensors = [RawGGUF.tensor("w", dimensions: [1 << 61], type: 0, offset: 0)]
        try expectError(raw, tensor: "w", .shapeOverflow)

        raw = RawGGUF()
        raw.tensors = [RawGGUF.tensor("w", dimensions: [256], type: 15, offset: 0)]
        try expectError(raw, tensor: "w", .gguf(.unsupportedType(id: 15, name: "Q8_K")))
        raw.tensors = [RawGGUF.tensor("w", dimensions: [4], type: 99, offset: 0)]
        try expectError(raw, tensor: "w", .gguf(.unsupportedType(id: 99, name: nil)))

        raw = RawGGUF()
        raw.tensors = [RawGGUF.tensor("w", dimensions: [33, 2], type: 8, offset: 0)]
        try expectError(raw, tensor: "w", .gguf(.rowNotBlockAligned(rowLength: 33, type: .q8_0)))
    }

    @Test("data layout: order, alignment, bounds, trailing bytes")
    func dataLayout() throws {
        var raw = RawGGUF()
        raw.tensors = [RawGGUF.tensor("w", dimensions: [4], type: 0, offset: 16)]
        try expectError(raw, tensor: "w", .gguf(.misplacedData(offset: 16, expected: 0)))

        raw = RawGGUF()
        raw.tensors.append(RawGGUF.tensor("v", dimensions: [4], type: 0, offset: 16))
        raw.data += [UInt8](repeating: 0, count: 16 + 16)
        try expectError(raw, tensor: "v", .gguf(.misplacedData(offset: 16, expected: 32)))

        raw = RawGGUF()
        raw.tensors = [RawGGUF.tensor("w", dimensions: [8], type: 0, offset: 0)]
        let size = UInt64(raw.bytes().count)
        try expectError(raw, tensor: "w", .gguf(.dataBeyondFile(end: size + 16, fileSize: size)))

        raw = RawGGUF()
        raw.trailing = [UInt8](repeating: 0, count: 16 + 5)  // 16 bytes of padding are allowed, 5 more are not
        let paddedEnd = UInt64(raw.bytes().count - 5)
        try expectError(raw, .gguf(.trailingBytes(end: paddedEnd, fileSize: paddedEnd + 5)))
        raw.trailing = [UInt8](repeating: 0, count: 16)
        let path = try directory.write(raw.bytes(), to: "padded.gguf")
        #expect(try CheckpointReader(path: path).checkpoint.tensors.count == 1)
    }

    @Test("string values with invalid UTF-8 are kept (replacement character), not fatal")
    func lenientValues() throws {
        var raw = RawGGUF()
        raw.keyValues.append(RawGGUF.keyValue("tokenizer.ggml.tokens", type: 9,
                                              RawGGUF.le(UInt32(8)) + RawGGUF.le(UInt64(2)) + RawGGUF.string("a") + RawGGUF.le(UInt64(1)) + [0xFF]))
        let path = try directory.write(raw.bytes(), to: "lenient.gguf")
        let gguf = try #require(try CheckpointReader(path: path).checkpoint.gguf)
        #expect(gguf.metadata["tokenizer.ggml.tokens"] == .array(.string(["a", "\u{FFFD}"])))
        #expect(gguf.vocabularySize == 2)
    }
}
