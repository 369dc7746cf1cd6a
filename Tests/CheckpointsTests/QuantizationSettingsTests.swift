import CheckpointFixtures
import Checkpoints
import Foundation
import Testing

/// What the JSON files beside a checkpoint say about its quantized weights.
@Suite("Quantization settings come from quantize_config.json and config.json, followed through links, and only from readable JSON")
struct QuantizationSettingsTests {
    @Test("quantize_config.json is read before config.json; config.json gives MLX's group size")
    func precedence() throws {
        let directory = try TemporaryDirectory()
        _ = try directory.write(#"{"checkpoint_format": "gptq_v2"}"#, to: "quantize_config.json")
        _ = try directory.write(#"{"quantization_config": {"checkpoint_format": "gptq"}, "quantization": {"group_size": 32, "bits": 4}}"#, to: "config.json")
        let settings = QuantizationSettings.read(fromDirectory: directory.path(""))
        #expect(settings.gptqZerosStoredMinusOne == false && settings.source == #"quantize_config.json checkpoint_format "gptq_v2""#)
        #expect(settings.mlxGroupSize == 32)
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
}
