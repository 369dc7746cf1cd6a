import CheckpointFixtures
import Checkpoints
import Foundation
import Testing

/// What the JSON files beside a checkpoint say about its quantized weights.
@Suite("Quantization settings come from quantize_config.json and config.json, followed through links, and only from readable JSON")
struct QuantizationSettingsTests {
    @Test("quantize_config.json is read before config.json; config.json gives MLX's group size and its layers' own")
    func precedence() throws {
        let directory = try TemporaryDirectory()
        _ = try directory.write(#"{"checkpoint_format": "gptq_v2"}"#, to: "quantize_config.json")
        _ = try directory.write(#"""
            {"quantization_config": {"checkpoint_format": "gptq"}, "quantization": {"group_size": 32, "bits": 4,
             "model.layers.0.mlp.down_proj": {"group_size": 64, "bits": 6}, "lm_head": false, "model.embed_tokens": {"bits": 8},
             "model.layers.1.mlp.down_proj": {"group_size": 0, "bits": 6}}}
            """#, to: "config.json")
        let settings = QuantizationSettings.read(fromDirectory: directory.path(""))
        #expect(settings.gptqZerosStoredMinusOne == false && settings.source == #"quantize_config.json checkpoint_format "gptq_v2""#)
        #expect(settings.mlxGroupSize == 32)
        // Layers' own entries with a usable group size; `false`, no group size or 0 state none.
        #expect(settings.mlxLayerGroupSizes == ["model.layers.0.mlp.down_proj": 64])
    }

    @Test("a Hugging Face snapshot's config.json, a link into blobs/, is followed")
    func linkedConfig() throws {
        let directory = try TemporaryDirectory()
        let blob = try directory.write(#"{"quantization_config": {"quant_method": "gptq", "checkpoint_format": "gptq_v2"}}"#, to: "blobs/3f2a")
        try FileManager.default.createDirectory(atPath: directory.path("snapshots/rev"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: directory.path("snapshots/rev/config.json"), withDestinationPath: blob)
        let settings = QuantizationSettings.read(fromDirectory: directory.path("snapshots/rev"))
        #expect(settings.gptqZerosStoredMinusOne == false && settings.source == #"config.json checkpoint_format "gptq_v2""#)
    }

    @Test("missing, oversized, non-object and unparsable files state nothing")
    func unreadable() throws {
        let oversized = "{\"checkpoint_format\": \"gptq_v2\", \"padding\": \"" + String(repeating: "x", count: 1 << 20) + "\"}"
        for text in [nil, oversized, "[\"gptq_v2\"]", "{\"checkpoint_format\": "] as [String?] {
            let directory = try TemporaryDirectory()
            if let text { _ = try directory.write(text, to: "quantize_config.json") }
            let settings = QuantizationSettings.read(fromDirectory: directory.path(""))
            #expect(settings == QuantizationSettings(), "\(text?.prefix(40) ?? "absent")")
        }
    }

    @Test("llm-compressor's recipe.yaml names the quantizer: GPTQ before AWQ before round to nearest; other recipes name none")
    func recipe() throws {
        let cases: [(String?, QuantizationSettings.Quantizer?)] = [
            ("default_stage:\n  default_modifiers:\n    QuantizationModifier:\n      scheme: FP8_DYNAMIC\n", .roundToNearest),
            ("quant_stage:\n  quant_modifiers:\n    SmoothQuantModifier: {smoothing_strength: 0.8}\n    GPTQModifier:\n      scheme: W8A8\n", .gptq),
            ("default_stage:\n  default_modifiers:\n    AWQModifier: {scheme: W4A16_ASYM}\n", .awq),
            ("stage:\n  AWQModifier: {}\n  GPTQModifier: {}\n", .gptq),
            ("sparsity_stage:\n  SparseGPTModifier: {sparsity: 0.5}\n", nil),
            (nil, nil),
        ]
        for (text, expected) in cases {
            let directory = try TemporaryDirectory()
            if let text { _ = try directory.write(text, to: "recipe.yaml") }
            #expect(QuantizationSettings.read(fromDirectory: directory.path("")).quantizer == expected, "\(text ?? "no recipe")")
        }
        // Not UTF-8, or larger than 1 MiB: nothing.
        for bytes in [[0xFF, 0xFE] + Array("GPTQModifier".utf8), Array(("GPTQModifier" + String(repeating: " ", count: 1 << 20)).utf8)] {
            let directory = try TemporaryDirectory()
            _ = try directory.write(bytes, to: "recipe.yaml")
            #expect(QuantizationSettings.read(fromDirectory: directory.path("")).quantizer == nil)
        }
    }

    @Test("the recipe's quantizer reaches the scaled weights of an llm-compressor layout, not GPTQ's own")
    func recipeReachesWeights() throws {
        let directory = try TemporaryDirectory()
        let codes = (0..<64).map { UInt8(truncatingIfNeeded: $0 * 37) }
        _ = try directory.write(SafetensorsBytes.file([
            .init(name: "w.weight", dtype: .i8, shape: [4, 16], bytes: codes),
            .init(name: "w.weight_scale", shape: [4, 1], values: [0.5, 0.25, 1, 2], as: .bf16),
        ]), to: "model.safetensors")
        _ = try directory.write("GPTQModifier: {}\n", to: "recipe.yaml")
        let reader = try CheckpointReader(path: directory.path(""))
        #expect(reader.checkpoint.tensor(named: "w.weight")?.scale?.quantizer == .gptq)
    }
}
