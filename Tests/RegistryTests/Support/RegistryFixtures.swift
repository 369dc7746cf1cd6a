import ModelFixtures
import Checkpoints
import Fingerprinting
import Foundation
@testable import Registry
import SyntheticModels

/// Generated models, their fingerprints and scratch registries for registry tests.
enum RegistryFixtures {
    /// A fresh directory, removed when the test process exits (`ScratchDirectories`).
    static func temporaryDirectory(_ label: String = "registry") -> String {
        Fixtures.temporaryDirectory(label)
    }

    /// A fresh registry in its own temporary directory.
    static func registry() throws -> Registry {
        try Registry.open(path: temporaryDirectory() + "/registry.sqlite")
    }

    /// Writes `model` as one safetensors file (optionally renamed and reversed) and fingerprints it.
    static func fingerprint(_ model: ModelWeights, rename: @escaping (String) -> String = { $0 }, reverse: Bool = false) throws -> Fingerprint {
        var options = FingerprintOptions()
        options.threads = 1
        return try Fixtures.fingerprint(model, layout: .init(rename: rename, reverseOrder: reverse), options: options)
    }

    // MARK: - Models

    static let llamaA = ModelGenerator.generate(.tinyLlama, seed: 1)
    static let llamaB = ModelGenerator.generate(.tinyLlama, seed: 2)
    static let bertC = ModelGenerator.generate(.tinyBERT, seed: 3)
    static let gqaD = ModelGenerator.generate(.smallLlamaGQA, seed: 4)
    /// Same architecture as A and B, independent weights; never registered.
    static let independentLlama = ModelGenerator.generate(.tinyLlama, seed: 77)

    static let fingerprintA = try! fingerprint(llamaA)
    static let fingerprintB = try! fingerprint(llamaB)
    static let fingerprintC = try! fingerprint(bertC)
    static let fingerprintD = try! fingerprint(gqaD)

    static func metadata(_ name: String, version: String? = "1.0") -> ReleaseMetadata {
        ReleaseMetadata(name: name, version: version, org: "test-org", license: "apache-2.0", released: "2024-05-01",
                        url: "https://example.org/\(name)", bases: [], notes: "fixture \(name)")
    }

    // MARK: - Transforms

    /// Adds Gaussian noise of `relative` × (tensor std) to every tensor.
    static func noised(_ model: ModelWeights, relative: Float, seed: UInt64) -> ModelWeights {
        TestAttacks.noise(model, relative: relative, seed: seed)
    }

    /// `base` with the tensors of layers `layers` taken from `donor` (a partial copy).
    static func grafted(_ base: ModelWeights, layers: Set<Int>, from donor: ModelWeights) -> ModelWeights {
        StructuralEdits.graft(base, from: donor, layers: layers)
    }

    // MARK: - Inspection

    /// Row counts of every registry table, to prove that nothing changed.
    static func rowCounts(_ registry: Registry) throws -> [String: Int] {
        try registry.pool.read { db in
            var counts: [String: Int] = [:]
            for table in ["releases", "fingerprint_blobs", "release_bases", "release_files", "tensor_digests", "index_keys",
                          "release_signatures", "registry_info", "log_entries", "signed_tree_heads", "log_state"] {
                counts[table] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? -1
            }
            return counts
        }
    }

    static func integrityCheck(_ registry: Registry) throws -> String {
        try registry.pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
    }
}
