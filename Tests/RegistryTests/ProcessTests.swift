import Fingerprinting
import Foundation
import ProvenanceCrypto
@testable import Registry
import Testing

/// Several real `provenance` processes on one registry file.
@Suite("Processes sharing a registry")
struct ProcessTests {
    /// Fingerprint files of independent models, written for the CLI to register.
    static func fingerprintFiles(count: Int, in directory: String) throws -> [String] {
        try (0..<count).map { index in
            let model = RegistryFixtures.noised(RegistryFixtures.llamaA, relative: 0.5, seed: UInt64(100 + index))
            let path = directory + "/model-\(index).fingerprint.safetensors"
            try RegistryFixtures.fingerprint(model).write(to: path)
            return path
        }
    }

    @Test("Concurrent writers (and concurrent first-use seeding) all land in one new registry")
    func concurrentWriters() throws {
        let directory = RegistryFixtures.temporaryDirectory("concurrent")
        let seedDirectory = directory + "/seed"
        let exporter = try RegistryFixtures.registry()
        _ = try exporter.register(fingerprint: RegistryFixtures.fingerprintC, metadata: RegistryFixtures.metadata("seeded-bert"))
        _ = try exporter.export(["seeded-bert"], to: seedDirectory)

        let writers = 6
        let files = try Self.fingerprintFiles(count: writers, in: directory)
        let registryPath = directory + "/shared/registry.sqlite"
        let processes = try files.enumerated().map { index, file in
            try ProvenanceProcess(["register", file, "--name", "concurrent-\(index)", "--version", "1", "--registry", registryPath,
                                   "--registered-by", "writer-\(index)", "--quiet"],
                                  environment: ["PROVENANCE_FINGERPRINTS": seedDirectory])
        }
        let outputs = processes.map { $0.wait() }
        for (index, output) in outputs.enumerated() {
            #expect(output.status == 0, "writer \(index): \(output.standardError)")
            #expect(output.standardOutput.contains("registered concurrent-\(index)@1"))
        }
        let seedNotes = outputs.filter { $0.standardError.contains("was empty: seeded 1 release") }
        #expect(seedNotes.count == 1, "exactly one process seeds: \(outputs.map(\.standardError))")

        let registry = try Registry.open(path: registryPath)
        let names = try registry.list().map(\.name)
        #expect(names == ["concurrent-0", "concurrent-1", "concurrent-2", "concurrent-3", "concurrent-4", "concurrent-5", "seeded-bert"])
        for index in 0..<writers {
            #expect(try registry.release(named: "concurrent-\(index)@1").registeredBy == "writer-\(index)")
        }
        #expect(try RegistryFixtures.integrityCheck(registry) == "ok")
        // Every change is in the log (the seeding import, then the six registrations), all
        // heads signed by the one log key the first writer created.
        let audit = try registry.auditLog()
        #expect(audit.isIntact, "\(audit.problems)")
        #expect(audit.entryCount == 7 && audit.headCount == 7)
        #expect(try registry.log().entries.map(\.entry.kind) == [.import] + Array(repeating: .register, count: 6))
    }

    /// Starts `arguments` with the pause hook, waits until the child is inside its write
    /// transaction, SIGKILLs it, and checks the registry is exactly as before.
    func killMidTransaction(_ arguments: [String], registry: Registry) throws {
        let marker = RegistryFixtures.temporaryDirectory("marker") + "/inside-transaction"
        let before = try RegistryFixtures.rowCounts(registry)
        let releasesBefore = try registry.list()
        let child = try ProvenanceProcess(arguments + ["--registry", registry.path],
                                          environment: [TestHooks.pauseVariable: marker])
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: marker), Date() < deadline, child.process.isRunning {
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(FileManager.default.fileExists(atPath: marker), "the child never reached its transaction")
        child.kill()
        let output = child.wait()
        #expect(output.status == 9 || child.process.terminationReason == .uncaughtSignal, "status \(output.status): \(output.standardError)")

        let reopened = try Registry.open(path: registry.path)
        #expect(try RegistryFixtures.integrityCheck(reopened) == "ok")
        #expect(try RegistryFixtures.rowCounts(reopened) == before)
        #expect(try reopened.list() == releasesBefore)
        #expect(try reopened.auditLog().isIntact)
        // The registry is still writable.
        _ = try reopened.register(fingerprint: RegistryFixtures.fingerprintB, metadata: RegistryFixtures.metadata("after-kill-\(UUID().uuidString)"))
    }

    @Test("A writer killed inside its transaction leaves the registry exactly as before")
    func killedRegister() throws {
        let registry = try RegistryFixtures.registry()
        _ = try registry.register(fingerprint: RegistryFixtures.fingerprintA, metadata: RegistryFixtures.metadata("existing"))
        let file = RegistryFixtures.temporaryDirectory() + "/big.fingerprint.safetensors"
        try RegistryFixtures.fingerprintD.write(to: file)
        try killMidTransaction(["register", file, "--name", "killed", "--version", "1", "--quiet"], registry: registry)
        #expect(throws: RegistryError.self) { try registry.release(named: "killed") }
    }

    @Test("A signed registration killed inside its transaction leaves neither the release nor its log entry")
    func killedSignedRegister() throws {
        let registry = try RegistryFixtures.registry()
        _ = try registry.register(fingerprint: RegistryFixtures.fingerprintA, metadata: RegistryFixtures.metadata("existing"))
        let directory = RegistryFixtures.temporaryDirectory()
        let file = directory + "/big.fingerprint.safetensors"
        try RegistryFixtures.fingerprintD.write(to: file)
        let key = directory + "/publisher.pem"
        try KeyFile.writePrivateKey(SigningTests.publisherKey, to: key)
        let entriesBefore = try registry.log().entries
        try killMidTransaction(["register", file, "--name", "killed", "--version", "1", "--sign", key, "--quiet"], registry: registry)
        #expect(try Registry.open(path: registry.path).log().entries.prefix(entriesBefore.count) == entriesBefore[...])
    }

    @Test("An import killed inside its transaction imports nothing")
    func killedImport() throws {
        let (_, directory, _) = try ExchangeTests.exported()
        let registry = try RegistryFixtures.registry()
        _ = try registry.register(fingerprint: RegistryFixtures.fingerprintD, metadata: RegistryFixtures.metadata("existing"))
        try killMidTransaction(["import", directory], registry: registry)
        let names = try registry.list().map(\.name)
        #expect(names.contains("existing") && !names.contains("org/model-a") && !names.contains("bert-c"), "\(names)")
    }
}
