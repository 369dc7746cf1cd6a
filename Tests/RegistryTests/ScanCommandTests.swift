import Fingerprinting
import Foundation
import ModelFixtures
@testable import Registry
import SyntheticModels
import Testing

@Suite("scan: a second look-up with the residual finds merge donors")
struct ScanCommandTests {
    @Test("a 0.7 / 0.3 merge is reported as a merge naming the minority donor that index keys alone do not retrieve")
    func minorityDonor() throws {
        let registry = try RegistryFixtures.registry()
        _ = try registry.register(fingerprint: RegistryFixtures.fingerprintA, metadata: RegistryFixtures.metadata("org/model-a"))
        _ = try registry.register(fingerprint: RegistryFixtures.fingerprintB, metadata: RegistryFixtures.metadata("org/model-b"))
        let merged = StructuralEdits.merge(RegistryFixtures.llamaA, RegistryFixtures.llamaB, weight: 0.7)
        let directory = RegistryFixtures.temporaryDirectory("merged")
        let path = try Fixtures.write(merged, to: directory)

        // The premise: the suspect's own keys retrieve A only.
        let suspect = try RegistryFixtures.fingerprint(merged)
        #expect(try registry.candidates(for: suspect).map(\.release.reference.description) == ["org/model-a@1.0"])

        let output = try ProvenanceProcess.run(["scan", path, "--registry", registry.path])
        #expect(output.status == 1, "\(output.standardError)")
        #expect(output.standardOutput.contains("Linear merge"), "\(output.standardOutput)")
        #expect(output.standardOutput.contains("org/model-b@1.0"), "\(output.standardOutput)")
    }
}
