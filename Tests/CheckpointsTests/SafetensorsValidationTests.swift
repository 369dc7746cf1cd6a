import Checkpoints
import CheckpointFixtures
import Foundation
import Testing

@Suite("Safetensors validation: each malformed file breaks one specific rule")
struct SafetensorsValidationTests {
    @Test("the malformed corpus: each file gives its specific error, naming the file and the tensor", arguments: MalformedCorpus.cases)
    func malformed(_ example: MalformedCase) throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(example.bytes, to: "bad.safetensors")
        let error = try #require(openingError(path), "\(example.label) opened without error")
        #expect(example.matches(error.rule), "\(example.label): got \(error.rule)")
        #expect(error.file == path)
        #expect(error.tensor == example.tensor)
    }

    @Test("the message printed for each malformed file is a sentence naming file, tensor and rule", arguments: MalformedCorpus.cases)
    func message(_ example: MalformedCase) throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(example.bytes, to: "bad.safetensors")
        let message = try #require(openingError(path)).description
        #expect(message.contains(path), "\(message)")
        if let tensor = example.tensor { #expect(message.contains("tensor '\(tensor)'"), "\(message)") }
        #expect(message.contains(example.phrase), "\(message)")
        #expect(message.hasSuffix(".") || message.hasSuffix(".)"), "\(message)")
    }

    @Test("exact messages for a few rules")
    func exactMessages() throws {
        let directory = try TemporaryDirectory()
        func message(_ bytes: [UInt8]) throws -> String {
            let path = try directory.write(bytes, to: "m.safetensors")
            guard let error = openingError(path) else {
                Issue.record("opened without error")
                return ""
            }
            return error.description
        }
        let path = directory.path("m.safetensors")
        typealias B = SafetensorsBytes
        #expect(try message(B.file(headerJSON: B.header([B.entry("w", dtype: .f32, shape: [2], offsets: (0, 8)),
                                                        B.entry("v", dtype: .f32, shape: [2], offsets: (4, 12))]),
                                   data: Array(repeating: 0, count: 12)))
            == "tensor 'v' in \(path) starts at data offset 4, overlapping the previous tensor which ends at 8 (rule: tensors do not overlap).")
        #expect(try message(B.file(headerJSON: "{}", declaredHeaderLength: 200_000_000))
            == "\(path) declares a 200000000-byte header, above the 100000000-byte limit of the safetensors format.")
        #expect(try message(B.file(headerJSON: B.header([B.entry("w", dtype: "\"F32\"", shape: "[3]", offsets: "[0,4]")]), data: [0, 0, 0, 0]))
            == "tensor 'w' in \(path) spans 4 bytes but its shape and dtype need 12 (rule: shape × dtype size = data_offsets length).")
    }

    // MARK: - Edge cases that are valid

    @Test("valid edge cases: empty tensor, scalar, no tensors, tensors listed out of offset order, padded header")
    func validEdgeCases() throws {
        let directory = try TemporaryDirectory()
        typealias B = SafetensorsBytes
        // Declared in the opposite order of their offsets; an empty tensor between them; header padded with spaces.
        let header = B.header([
            B.entry("scalar", dtype: .f32, shape: [], offsets: (2, 6)),
            B.entry("empty", dtype: .bf16, shape: [0, 5], offsets: (2, 2)),
            B.entry("first", dtype: .u8, shape: [2], offsets: (0, 2)),
            "\"__metadata__\":{\"format\":\"pt\",\"note\":\"é\\n\"}",
        ]) + "    "
        let path = try directory.write(B.file(headerJSON: header, data: [7, 8] + littleEndianBytes([Float(1.5).bitPattern])), to: "m.safetensors")
        let reader = try CheckpointReader(path: path)
        #expect(reader.checkpoint.tensors.map(\.name).sorted() == ["empty", "first", "scalar"])
        #expect(reader.checkpoint.tensors.last?.name == "scalar")  // offset order
        #expect(reader.checkpoint.files[0].metadata == ["format": "pt", "note": "é\n"])
        let scalar = try #require(reader.checkpoint.tensor(named: "scalar"))
        #expect(scalar.shape == [] && scalar.elementCount == 1 && scalar.shapeDescription == "[]")
        let bytes = try readAllTensorBytes(reader)
        #expect(bytes["first"] == [7, 8] && bytes["empty"] == [] && decodeFloats(.f32, bytes["scalar"] ?? []) == [1.5])

        let noTensors = try directory.write(B.file(headerJSON: "{\"__metadata__\":{\"a\":\"b\"}}"), to: "empty.safetensors")
        let emptyReader = try CheckpointReader(path: noTensors)
        #expect(emptyReader.checkpoint.tensors.isEmpty && emptyReader.checkpoint.parameterCount == 0)
    }

    @Test("a file truncated after it was opened gives .truncated for the tensor being read")
    func truncatedWhileReading() throws {
        let directory = try TemporaryDirectory()
        let tensors: [SafetensorsWriter.Tensor] = [.patterned("a", dtype: .f32, shape: [64]), .patterned("b", dtype: .f32, shape: [64])]
        let path = try directory.write(SafetensorsBytes.file(tensors), to: "m.safetensors")
        let reader = try CheckpointReader(path: path)
        let size = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: UInt64(size - 100))
        try handle.close()
        let b = try #require(reader.checkpoint.tensor(named: "b"))
        let error = #expect(throws: CheckpointError.self) {
            try reader.readChunks(of: b, chunkBytes: 64) { _ in }
        }
        #expect(error?.file == path && error?.tensor == "b")
        // b's bytes 156..<256 are gone: the first 64-byte chunk is whole, the second has 28 bytes left (256 − 100 − 128).
        #expect(error?.rule == .truncated(expected: 64, got: 28))
        #expect(error?.description.contains("could not be read in full") == true)
    }

    @Test("readFileChunks streams a whole file, header included")
    func wholeFile() throws {
        let directory = try TemporaryDirectory()
        let bytes = SafetensorsBytes.file([.patterned("a", dtype: .bf16, shape: [33, 7]), .patterned("b", dtype: .i64, shape: [5])])
        let path = try directory.write(bytes, to: "m.safetensors")
        let reader = try CheckpointReader(path: path)
        for chunkBytes in [1, 7, 100, 1 << 20] {
            var streamed: [UInt8] = []
            try reader.readFileChunks(fileIndex: 0, chunkBytes: chunkBytes) { chunk in
                #expect(chunk.count <= chunkBytes)
                streamed += chunk
            }
            #expect(streamed == bytes)
        }
    }
}
