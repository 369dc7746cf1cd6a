import Checkpoints
import Fingerprinting
import Foundation
import ModelFixtures
@testable import Registry
import SyntheticModels
import Testing

/// A release with fused gate/up expert stacks in the registry: its parts' keys are indexed,
/// survive export and import, and `inspect` shows them (docs/FINGERPRINT_FORMAT.md §4c).
@Suite("Fused gate/up parts in the registry")
struct FusedGateUpRegistryTests {
    static let experts = 4
    static let spec = TransformerSpec(family: .llama, vocabSize: 512, hiddenSize: 128, intermediateSize: 256, layerCount: 2, headCount: 4)
    static let release = Fixtures.fuseGateUp(
        ModelGenerator.mixtureOfExperts(ModelGenerator.generate(spec, seed: 990), experts: experts, seed: 991), experts: experts, interleaved: false)

    @Test("a split GGUF copy shares the parts' index keys and retrieves the release; export, import and inspect keep the parts")
    func indexedExportedInspected() throws {
        let registry = try RegistryFixtures.registry()
        let fingerprint = try RegistryFixtures.fingerprint(Self.release)
        #expect(fingerprint.fusedParts.count == 4)
        _ = try registry.register(fingerprint: fingerprint, metadata: RegistryFixtures.metadata("org/fused-moe"))

        let directory = RegistryFixtures.temporaryDirectory("fused")
        let reader = try CheckpointReader(path: try Fixtures.write(Self.release, to: directory))
        let gguf = directory + "/copy-Q8_0.gguf"
        try CheckpointConversion.writeGGUF(from: reader, to: gguf, options: .init(matrixType: .q8_0, architecture: "llama",
                                                                                  headCount: Self.spec.headCount, headCountKV: Self.spec.keyValueHeadCount))
        let suspect = try Fingerprinter.fingerprint(path: gguf)
        // The split stacks' keys collide with the parts' keys (and with nothing else of the release).
        let splitKeys = Set(suspect.tensors.filter { $0.name.contains("ffn_gate_exps") || $0.name.contains("ffn_up_exps") }.flatMap(\.lshKeys))
        let partKeys = Set(fingerprint.fusedParts.flatMap(\.lshKeys))
        #expect(!splitKeys.intersection(partKeys).isEmpty)
        let candidates = try registry.candidates(for: suspect)
        let first = try #require(candidates.first)
        #expect(first.release.reference.description == "org/fused-moe@1.0")
        #expect(first.sketchKeyVotes >= splitKeys.intersection(partKeys).count)

        let exported = try registry.export(["org/fused-moe"], to: directory + "/exported")
        let file = try #require(exported.first).path
        let other = try RegistryFixtures.registry()
        _ = try other.import(paths: [file])
        #expect(try other.fingerprint(of: other.release(named: "org/fused-moe@1.0")).fusedParts == fingerprint.fusedParts)

        let output = try ProvenanceProcess.run(["inspect", file])
        #expect(output.status == 0, "\(output.standardError)")
        #expect(output.standardOutput.contains("Fused        2 gate/up tensors (halves along cols), gate and up also sketched as separate matrices"),
                "\(output.standardOutput)")
    }
}
