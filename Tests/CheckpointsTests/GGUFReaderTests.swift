import Checkpoints
import Foundation
import Testing

@Suite("GGUF reading: reference file from gguf-py, writer round trips")
struct GGUFReaderTests {
    static let referencePath = FormatFixtures.path("GGUF/reference.gguf")

    @Test("metadata of every value type reads back with its type and value")
    func referenceMetadata() throws {
        let checkpoint = try CheckpointReader(path: Self.referencePath).checkpoint
        #expect(checkpoint.format == .gguf)
        #expect(checkpoint.layout == .singleFile)
        let gguf = try #require(checkpoint.gguf)
        #expect(gguf.version == 3)
        #expect(gguf.alignment == 32)
        let m = gguf.metadata
        #expect(m["general.architecture"] == .string("testarch"))
        #expect(m["test.uint8"] == .uint8(200))
        #expect(m["test.int8"] == .int8(-100))
        #expect(m["test.uint16"] == .uint16(60000))
        #expect(m["test.int16"] == .int16(-30000))
        #expect(m["test.uint32"] == .uint32(4_000_000_000))
        #expect(m["test.int32"] == .int32(-2_000_000_000))
        #expect(m["test.float32"] == .float32(0.15625))
        #expect(m["test.bool"] == .bool(true))
        #expect(m["test.string"] == .string("héllo, GGUF"))
        #expect(m["test.uint64"] == .uint64(18_000_000_000_000_000_000))
        #expect(m["test.int64"] == .int64(-9_000_000_000_000_000_000))
        #expect(m["test.float64"] == .float64(-2.5e-300))
        #expect(m["test.array.uint16"] == .array(.uint16([1, 2, 65535])))
        #expect(m["test.array.float32"] == .array(.float32([0.5, -1.25])))
        #expect(m["test.array.bool"] == .array(.bool([true, false, true])))
        #expect(m["test.array.string"] == .array(.string(["a", "bc", ""])))
        #expect(m["test.array.nested"] == .array(.array([.int32([1, 2]), .int32([3]), .int32([4, 5, 6])])))
        #expect(m.entries.first?.key == "general.architecture")
        #expect(m.entries.count == 20)
        #expect(gguf.architecture == "testarch" && checkpoint.architecture == "testarch")
        #expect(gguf.fileType == 15 && gguf.fileTypeName == "Q4_K_M")
        #expect(gguf.vocabularySize == 7 && checkpoint.vocabularySize == 7)
        #expect(gguf.nameMappingArchitecture == nil)

        let rendered = checkpoint.files[0].metadata
        #expect(rendered["test.array.nested"] == "[[1, 2], [3], [4, 5, 6]]")
        #expect(rendered["test.array.string"] == "[\"a\", \"bc\", \"\"]")
        #expect(rendered["test.bool"] == "true")
        #expect(rendered["test.int64"] == "-9000000000000000000")
        #expect(m.rendered(arrayLimit: 2)["tokenizer.ggml.tokens"] == "[7 × string]")
    }

    @Test("tensor shapes are row-major (GGUF's innermost-first dimensions reversed), dtypes and offsets as written")
    func referenceTensors() throws {
        let checkpoint = try CheckpointReader(path: Self.referencePath).checkpoint
        let shapes = Dictionary(uniqueKeysWithValues: checkpoint.tensors.map { ($0.name, $0.shape) })
        for dtype in GGMLDequantizationTests.inReferenceFile {
            let tensor = try #require(checkpoint.tensor(named: "quant.\(dtype.name)"))
            #expect(tensor.dtype == dtype)
            #expect(tensor.shape == [2, dtype.block.elements == 32 ? 64 : 256])
            #expect(tensor.offset % 32 == 0)
            #expect(tensor.storedName == nil && tensor.rowPermutation == nil)
        }
        #expect(shapes["plain.F32"] == [3, 4])
        #expect(shapes["plain.F16"] == [2, 3])
        #expect(shapes["plain.I32"] == [2, 3])
        #expect(checkpoint.quantizationTypes == GGMLDequantizationTests.inReferenceFile)
        #expect(checkpoint.tensors.first?.offset == checkpoint.files[0].headerSize)
        #expect(!checkpoint.hasRemappedTensors)
    }

    @Test("tensor values stream out equal to gguf-py's dequantization, at any chunk size")
    func referenceValues() throws {
        let reader = try CheckpointReader(path: Self.referencePath)
        for dtype in GGMLDequantizationTests.inReferenceFile {
            let tensor = try #require(reader.checkpoint.tensor(named: "quant.\(dtype.name)"))
            let expected = try FormatFixtures.floats("GGML/\(dtype.name).expected.f32")
            for chunkBytes in [1, dtype.block.bytes * 3, CheckpointReader.defaultChunkBytes] {
                #expect(sameBits(try readAllFloats(reader, tensor, chunkBytes: chunkBytes), expected), "\(dtype.name) chunk \(chunkBytes)")
            }
            // Random access to the second row.
            let rowLength = tensor.shape[1]
            var row = [Float](repeating: .nan, count: rowLength)
            try row.withUnsafeMutableBufferPointer { try reader.readElements(of: tensor, range: rowLength..<2 * rowLength, into: $0) }
            #expect(sameBits(row, Array(expected[rowLength...])), "\(dtype.name) second row")
        }
        let plain = try #require(reader.checkpoint.tensor(named: "plain.F32"))
        #expect(try readAllFloats(reader, plain) == (0..<12).map { Float($0) - 5.5 })
        let integers = try #require(reader.checkpoint.tensor(named: "plain.I32"))
        #expect(try readAllFloats(reader, integers) == [1, -2, 3, -4, 5, -6])
    }

    @Test("GGUFWriter reproduces gguf-py's file byte for byte")
    func writerMatchesReferenceWriter() throws {
        let reader = try CheckpointReader(path: Self.referencePath)
        let directory = try FormatTestDirectory()
        let path = directory.path("copy.gguf")
        var tensors: [GGUFWriter.Tensor] = []
        for tensor in reader.checkpoint.tensors {
            var bytes = [UInt8](repeating: 0, count: Int(tensor.byteCount))
            try bytes.withUnsafeMutableBytes { try reader.readBytes(of: tensor, at: 0, into: $0) }
            tensors.append(.init(name: tensor.name, dtype: tensor.dtype, shape: tensor.shape, bytes: bytes))
        }
        try GGUFWriter.write(tensors, metadata: try #require(reader.checkpoint.gguf).metadata, to: path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(contentsOf: URL(fileURLWithPath: Self.referencePath)))
    }

    @Test("versions 2 and 3 read the same; alignment other than 32 is honoured", arguments: [UInt32(2), 3], [32, 64, 1])
    func writerRoundTrip(version: UInt32, alignment: Int) throws {
        let directory = try FormatTestDirectory()
        let path = directory.path("model.gguf")
        var metadata = GGUFMetadata()
        metadata["general.architecture"] = .string("custom")
        metadata["custom.flag"] = .bool(false)
        metadata["custom.deep"] = .array(.array([.array([.string(["x"])]), .array([.float64([1.5])])]))
        let values = (0..<96).map { Float($0) / 8 - 3 }
        try GGUFWriter.write([
            .init(name: "a", shape: [3, 32], values: values, as: .q8_0),
            .init(name: "b", shape: [5], values: [1, 2, 3, 4, 5], as: .f32),
            .init(name: "c", shape: [2, 3], values: [1, 2, 3, 4, 5, 6], as: .bf16),
        ], metadata: metadata, version: version, alignment: alignment, to: path)
        let reader = try CheckpointReader(path: path)
        let gguf = try #require(reader.checkpoint.gguf)
        #expect(gguf.version == version)
        #expect(gguf.alignment == alignment)
        #expect(gguf.metadata["custom.deep"] == metadata["custom.deep"])
        #expect(gguf.metadata["custom.flag"] == .bool(false))
        #expect(reader.checkpoint.tensors.map(\.name) == ["a", "b", "c"])
        #expect(reader.checkpoint.tensors.allSatisfy { $0.offset % UInt64(alignment) == 0 })
        let a = try #require(reader.checkpoint.tensor(named: "a"))
        #expect(a.shape == [3, 32] && a.dtype == .q8_0)
        #expect(sameBits(try readAllFloats(reader, a), decode(GGMLQuantizer.quantize(values, as: .q8_0), as: .q8_0)))
        #expect(try readAllFloats(reader, try #require(reader.checkpoint.tensor(named: "b"))) == [1, 2, 3, 4, 5])
        #expect(try readAllFloats(reader, try #require(reader.checkpoint.tensor(named: "c"))) == [1, 2, 3, 4, 5, 6])
    }

    @Test("a GGUF with no tensors and only metadata opens")
    func metadataOnly() throws {
        let directory = try FormatTestDirectory()
        let path = directory.path("empty.gguf")
        try GGUFWriter.write([], metadata: GGUFMetadata([.init(key: "general.name", value: .string("nothing"))]), to: path)
        let checkpoint = try CheckpointReader(path: path).checkpoint
        #expect(checkpoint.tensors.isEmpty)
        #expect(checkpoint.files[0].metadata == ["general.name": "nothing"])
    }
}
