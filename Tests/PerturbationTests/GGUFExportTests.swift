import Checkpoints
import Foundation
import Perturbation
import SyntheticModels
import Testing

/// `perturb --gguf TYPE`: the checkpoint written as one llama.cpp-style GGUF file.
@Suite("GGUF output")
struct GGUFExportTests {
    /// A Llama with grouped-query attention and rows of 256 values (whole IQ blocks).
    static let wideSpec = TransformerSpec(family: .llama, vocabSize: 256, hiddenSize: 256, intermediateSize: 512,
                                          layerCount: 1, headCount: 4, keyValueHeadCount: 2)

    @Test("the GGUF holds llama.cpp names and the quantized values; reading maps them back", arguments: [DType.q4_0, .q4K, .q3K, .iq2XXS, .iq3S, .q1_0])
    func writesQuantizedGGUF(type: DType) throws {
        let directory = Models.temporaryDirectory()
        var model = Models.checkpoint(Self.wideSpec)
        let record = try GGUFExport(type: type).apply(to: &model)
        let matrices = model.entries.filter { $0.tensor.shape.count == 2 }
        #expect(record.summary == "stored as one GGUF file (llama.cpp names): \(matrices.count) matrices as \(type.name), \(model.entries.count - matrices.count) other tensors as F32")
        #expect(model.storedDTypeCounts == [type.name: matrices.count, "F32": model.entries.count - matrices.count])
        #expect(model.outputFileNames == ["model.gguf"])
        try model.write(to: directory + "/out", extraFiles: [.init(name: "perturbation.json", bytes: Array("{}".utf8))])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/out").sorted() == ["model.gguf", "perturbation.json"])

        let reader = try CheckpointReader(path: directory + "/out")
        #expect(reader.checkpoint.quantizationTypes == [type])
        #expect(reader.checkpoint.tensors.map(\.name).sorted() == model.entries.map(\.name).sorted())
        for entry in model.entries {
            let info = try #require(reader.checkpoint.tensor(named: entry.name))
            var values = [Float](repeating: .nan, count: entry.tensor.values.count)
            try values.withUnsafeMutableBufferPointer { try reader.readElements(of: info, range: 0..<$0.count, into: $0) }
            if entry.tensor.shape.count == 2 {
                // Rows are quantized whole, so llama.cpp's RoPE row order does not change them.
                let blocks = GGMLQuantizer.quantize(entry.tensor.values, as: type)
                var expected = [Float](repeating: 0, count: values.count)
                blocks.withUnsafeBytes { raw in expected.withUnsafeMutableBufferPointer { type.decode(raw, into: $0) } }
                #expect(info.dtype == type && values == expected, "\(entry.name)")
            } else {
                #expect(info.dtype == .f32 && values == entry.tensor.values, "\(entry.name)")
            }
        }
    }

    @Test("sharded or transposed storage and a type this tool does not write are refused")
    func refusals() throws {
        var sharded = Models.checkpoint(Self.wideSpec)
        sharded.shardCount = 2
        #expect(throws: PerturbationError.self) { _ = try GGUFExport(type: .q8_0).apply(to: &sharded) }
        var transposed = Models.checkpoint(Self.wideSpec)
        _ = try TransposedStorage().apply(to: &transposed)
        #expect(throws: PerturbationError.self) { _ = try GGUFExport(type: .q8_0).apply(to: &transposed) }
        var model = Models.checkpoint(Self.wideSpec)
        #expect(throws: PerturbationError.self) { _ = try GGUFExport(type: .tq1_0).apply(to: &model) }
    }

    @Test("matrices whose rows do not fill the type's blocks take llama.cpp's fallback, then F16")
    func fallbacks() throws {
        // tinyLlama: rows of 64 (every matrix but down_proj) and of 176 (down_proj: not even 32-value blocks).
        for (type, fallback) in [(DType.q4K, DType.q5_0), (.q6K, .q8_0), (.q2K, .q4_0), (.q2_0, .q2_0), (.iq2XXS, .iq4NL), (.q8_0, .q8_0)] {
            var model = Models.checkpoint(.tinyLlama)
            let record = try GGUFExport(type: type).apply(to: &model)
            let downProjections = model.entries.filter { $0.name.hasSuffix("down_proj.weight") }.count
            let matrices = model.entries.filter { $0.tensor.shape.count == 2 }.count
            var expected = [fallback.name: matrices - downProjections, "F16": downProjections, "F32": model.entries.count - matrices]
            if fallback != type { expected[type.name] = nil }
            #expect(model.storedDTypeCounts == expected, "\(type.name): \(record.summary)")
            if fallback != type {
                #expect(record.summary.contains("0 matrices as \(type.name), \(matrices - downProjections) as \(fallback.name) (rows not whole \(type.name) blocks), \(downProjections) as F16"), "\(record.summary)")
            }
        }
        var model = Models.checkpoint(.tinyLlama)
        _ = try GGUFExport(type: .q4K).apply(to: &model)
        let directory = Models.temporaryDirectory()
        try model.write(to: directory + "/out")
        let reader = try CheckpointReader(path: directory + "/out")
        #expect(Set(reader.checkpoint.tensors.map(\.dtype.name)) == ["Q5_0", "F16", "F32"])
        #expect(model.storedDTypeCounts == reader.checkpoint.tensors.reduce(into: [:]) { $0[$1.dtype.name, default: 0] += 1 })
    }

    @Test("integer buffers stay out of the quantization")
    func integerBuffers() throws {
        var weights = Models.rich(Self.wideSpec)
        weights.tensors.insert(.init(name: "position_ids", shape: [1, 256], values: (0..<256).map(Float.init)), at: 0)
        var model = CheckpointModel(weights)
        model.entries[0].storageDType = .i64
        model.entries[0].isFloatingPoint = false
        _ = try GGUFExport(type: .q1_0).apply(to: &model)
        let directory = Models.temporaryDirectory()
        try model.write(to: directory + "/out")
        let reader = try CheckpointReader(path: directory + "/out")
        let info = try #require(reader.checkpoint.tensor(named: "position_ids"))
        #expect(info.dtype == .f32)
        var values = [Float](repeating: .nan, count: 256)
        try values.withUnsafeMutableBufferPointer { try reader.readElements(of: info, range: 0..<256, into: $0) }
        #expect(values == (0..<256).map(Float.init))
    }

    @Test("a GGUF input re-exports to GGUF; as safetensors its quantized tensors are refused, naming --gguf")
    func ggufInput() throws {
        let directory = Models.temporaryDirectory()
        var model = Models.checkpoint(Self.wideSpec)
        _ = try GGUFExport(type: .q8_0).apply(to: &model)
        try model.write(to: directory + "/q8")
        var reread = try CheckpointModel.read(from: directory + "/q8")
        #expect(reread.entries.contains { $0.storageDType == .q8_0 })
        let error = #expect(throws: PerturbationError.self) { try reread.write(to: directory + "/st") }
        #expect(error?.description.contains("safetensors output cannot hold Q8_0; choose --dtype f32, f16, bf16 or fp8, or --gguf q8_0 for a GGUF output") == true,
                "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: directory + "/st"))
        _ = try GGUFExport(type: .q4K).apply(to: &reread)
        try reread.write(to: directory + "/q4k")
        #expect(try CheckpointReader(path: directory + "/q4k").checkpoint.quantizationTypes == [.q4K])
    }
}
