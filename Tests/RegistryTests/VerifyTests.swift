import Checkpoints
import Fingerprinting
import Foundation
@testable import Registry
import SyntheticModels
import Testing

@Suite("verify --against: a checkpoint on disk against a registered release")
struct VerifyTests {
    static func write(_ tensors: [SafetensorsWriter.Tensor], label: String) throws -> String {
        let directory = RegistryFixtures.temporaryDirectory(label)
        try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: directory + "/model.safetensors")
        return directory
    }

    static func fingerprint(_ directory: String) throws -> Fingerprint {
        var options = FingerprintOptions()
        options.threads = 1
        return try Fingerprinter.fingerprint(path: directory, options: options)
    }

    static let original = RegistryFixtures.llamaA.tensors.map { SafetensorsWriter.Tensor(name: $0.name, shape: $0.shape, values: $0.values) }

    /// The original with one element of tensor 2 changed, tensor 3 dropped and a tensor added.
    static func altered() -> (tensors: [SafetensorsWriter.Tensor], changed: String, dropped: String, added: String) {
        let source = RegistryFixtures.llamaA.tensors
        var values = source[2].values
        values[0] += 0.001
        var tensors = original
        tensors[2] = SafetensorsWriter.Tensor(name: source[2].name, shape: source[2].shape, values: values)
        tensors.remove(at: 3)
        tensors.append(SafetensorsWriter.Tensor(name: "extra.bias", shape: [4], values: [1, 2, 3, 4]))
        return (tensors, source[2].name, source[3].name, "extra.bias")
    }

    @Test("An exact copy is identical; an altered copy names the changed, missing and extra tensors and the file")
    func library() throws {
        let registry = try RegistryFixtures.registry()
        let directory = try Self.write(Self.original, label: "original")
        _ = try registry.register(fingerprint: Self.fingerprint(directory), metadata: RegistryFixtures.metadata("org/model-a"),
                                  signingKey: SigningTests.publisherKey)
        let copy = try Self.write(Self.original, label: "copy")
        let exact = try registry.compare(Self.fingerprint(copy), against: "org/model-a", expectedSigner: SigningTests.publisherKey.publicKey.keyID)
        #expect(exact.comparison.isExact)
        #expect(exact.comparison.matchingTensors == Self.original.count && exact.comparison.matchingFiles == 1)
        #expect(exact.verification.isSigned)

        let (tensors, changed, dropped, added) = Self.altered()
        let result = try registry.compare(Self.fingerprint(Self.write(tensors, label: "altered")), against: "org/model-a@1.0")
        #expect(!result.comparison.isExact)
        #expect(result.comparison.matchingTensors == Self.original.count - 2)
        let differences = result.comparison.tensorDifferences
        #expect(differences.count == 3)
        #expect(differences.contains { if case .differentValues(let name, _, _) = $0 { name == changed } else { false } })
        #expect(differences.contains { if case .missing(let name, _) = $0 { name == dropped } else { false } })
        #expect(differences.contains { if case .extra(let name, _) = $0 { name == added } else { false } })
        #expect(result.comparison.fileDifferences.count == 1)
        guard case .differs(let expected, let actual) = result.comparison.fileDifferences.first else {
            Issue.record("the file should differ")
            return
        }
        #expect(expected.name == "model.safetensors" && expected.sha256 != actual.sha256)
    }

    @Test("The command exits 0 for an identical checkpoint and 1, naming each tensor, for a different one")
    func commandLine() throws {
        let registry = try RegistryFixtures.registry()
        let directory = try Self.write(Self.original, label: "original")
        _ = try registry.register(fingerprint: Self.fingerprint(directory), metadata: RegistryFixtures.metadata("org/model-a"))
        let same = try ProvenanceProcess.run(["verify", directory, "--against", "org/model-a@1.0", "--registry", registry.path, "--quiet"])
        #expect(same.status == 0, "\(same.standardError)")
        #expect(same.standardOutput.contains("IDENTICAL"))

        let (tensors, changed, dropped, added) = Self.altered()
        let altered = try Self.write(tensors, label: "altered")
        let output = try ProvenanceProcess.run(["verify", altered, "--against", "org/model-a@1.0", "--registry", registry.path, "--quiet"])
        #expect(output.status == 1, "\(output.standardError)")
        #expect(output.standardOutput.contains("DIFFERS  tensor \(changed): different values"), "\(output.standardOutput)")
        #expect(output.standardOutput.contains("MISSING  tensor \(dropped)"))
        #expect(output.standardOutput.contains("EXTRA    tensor \(added)"))
        #expect(output.standardOutput.contains("DIFFERS  file model.safetensors"))

        // The same check against the exported file instead of the registry.
        let file = try registry.export(["org/model-a@1.0"], to: RegistryFixtures.temporaryDirectory("export"))[0].path
        let againstFile = try ProvenanceProcess.run(["verify", altered, "--against", file, "--registry", registry.path, "--quiet"])
        #expect(againstFile.status == 1)
        #expect(againstFile.standardOutput.contains("MISSING  tensor \(dropped)"))
        // Unsigned: verify NAME says so and exits 1.
        let unsigned = try ProvenanceProcess.run(["verify", "org/model-a@1.0", "--registry", registry.path])
        #expect(unsigned.status == 1)
        #expect(unsigned.standardError.contains("is not signed"))
    }
}
