import Checkpoints
import CheckpointFixtures
import Foundation
import Testing

@Suite("Writing safetensors files atomically")
struct SafetensorsWriterTests {
    @Test("the header is padded with spaces to a multiple of 8 bytes, so the data is 8-byte aligned")
    func alignment() throws {
        for nameLength in 1...9 {
            let header = SafetensorsWriter.headerBytes([.init(name: String(repeating: "x", count: nameLength), dtype: .f64, shape: [1])],
                                                       metadata: nil)
            #expect(header.count % 8 == 0)
            #expect(String(decoding: header, as: UTF8.self).trimmingCharacters(in: .whitespaces).hasSuffix("}"))
        }
    }

    @Test("names and metadata with quotes, backslashes and control characters survive the round trip")
    func escaping() throws {
        let directory = try TemporaryDirectory()
        let name = "layer \"0\"\\weight\n\u{1}é"
        let path = directory.path("m.safetensors")
        try SafetensorsWriter.write([.init(name: name, shape: [1], values: [2])], metadata: ["k\"ey": "va\\lue\t"], to: path)
        let reader = try CheckpointReader(path: path)
        #expect(reader.checkpoint.tensors.map(\.name) == [name])
        #expect(reader.checkpoint.files[0].metadata == ["k\"ey": "va\\lue\t"])
    }

    @Test("streamed tensors that get the wrong number of bytes leave no file behind")
    func noPartialFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("m.safetensors")
        #expect(throws: SafetensorsWriterError.self) {
            try SafetensorsWriter.write([.init(name: "a", dtype: .f32, shape: [4])], to: path) { _, sink in
                try [UInt8](repeating: 0, count: 12).withUnsafeBytes { try sink($0) }
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("AtomicFileWriter: nothing appears until commit; an abandoned writer removes its temporary file")
    func atomicWriter() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("out.bin")
        do {
            let writer = try AtomicFileWriter(path: path)
            try writer.write([1, 2, 3])
            #expect(!FileManager.default.fileExists(atPath: path))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        let writer = try AtomicFileWriter(path: path)
        try writer.write([4, 5])
        try writer.commit()
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data([4, 5]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out.bin"])
    }

    @Test("a writer for a path in a missing directory fails with a typed error naming the path")
    func unwritable() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("missing/out.bin")
        let error = #expect(throws: CheckpointError.self) { try AtomicFileWriter(path: path) }
        #expect(error?.file == path)
        guard case .io(operation: "create", _, _)? = error?.rule else {
            Issue.record("expected an io create error, got \(String(describing: error))")
            return
        }
    }

    @Test("__metadata__ set to null is read as no metadata, as the reference implementation does")
    func nullMetadata() throws {
        let directory = try TemporaryDirectory()
        let header = SafetensorsBytes.header(["\"__metadata__\":null", SafetensorsBytes.entry("a", dtype: .u8, shape: [2], offsets: (0, 2))])
        let reader = try CheckpointReader(path: try directory.write(SafetensorsBytes.file(headerJSON: header, data: [1, 2]), to: "m.safetensors"))
        #expect(reader.checkpoint.files[0].metadata.isEmpty && reader.checkpoint.tensors.count == 1)
    }
}
