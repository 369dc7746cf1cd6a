// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "provenance",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "provenance", targets: ["provenance"]),
        .library(name: "Checkpoints", targets: ["Checkpoints"]),
        .library(name: "Fingerprinting", targets: ["Fingerprinting"]),
        .library(name: "Matching", targets: ["Matching"]),
        .library(name: "ProvenanceCrypto", targets: ["ProvenanceCrypto"]),
        .library(name: "TransparencyLog", targets: ["TransparencyLog"]),
        .library(name: "Perturbation", targets: ["Perturbation"]),
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "Registry", targets: ["Registry"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
    ],
    targets: [
        // C shims: libcrypto (OpenSSL) through pkg-config.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),

        // SHA-256 and Ed25519 through OpenSSL EVP.
        .target(name: "ProvenanceCrypto", dependencies: ["COpenSSL"]),

        // RFC 6962/9162 Merkle log: tree hashing, proofs, signed tree heads, log entries.
        .target(name: "TransparencyLog", dependencies: ["ProvenanceCrypto"]),

        // Checkpoint readers: safetensors (single, directory, sharded, HF cache), streaming.
        .target(name: "Checkpoints", dependencies: ["ProvenanceCrypto"]),

        // Layered fingerprints of checkpoints: exact digests, statistics, sketches, neuron profiles.
        .target(name: "Fingerprinting", dependencies: ["Checkpoints", "ProvenanceCrypto"]),

        // Matching fingerprints: alignment, calibrated p-values, verdicts, nearest ancestor.
        .target(name: "Matching", dependencies: ["Checkpoints", "Fingerprinting", "ProvenanceCrypto"]),

        // Reports for community review: Markdown, self-contained HTML (inline SVG), JSON.
        .target(name: "Reports", dependencies: ["Matching"]),

        // Test support only: a naive RFC 6962 reference (MTH, PATH, PROOF) to cross-check the log.
        .target(name: "MerkleReference", dependencies: ["ProvenanceCrypto"]),

        // Test support only: model-like checkpoints written and fingerprinted, and simple attacks on them.
        .target(name: "ModelFixtures", dependencies: ["Checkpoints", "CheckpointFixtures", "Fingerprinting", "SyntheticModels"]),

        // Test support only: builds safetensors bytes (also malformed), sharded checkpoints
        // and Hugging Face cache layouts in temporary directories.
        .target(name: "CheckpointFixtures", dependencies: ["Checkpoints", "ProvenanceCrypto"]),
        // Deterministic model-like weights for tests, samples and benchmarks; reference forward pass.
        .target(name: "SyntheticModels"),

        // The copier's attack catalogue applied to checkpoints (rename, dtype, noise, permutations, ...).
        .target(name: "Perturbation", dependencies: ["Checkpoints", "SyntheticModels"]),

        // SQLite registry of releases and their fingerprints (GRDB; system libsqlite3 on Linux);
        // signed registrations and the append-only signed Merkle log of its changes.
        .target(
            name: "Registry",
            dependencies: ["Fingerprinting", "ProvenanceCrypto", "TransparencyLog", .product(name: "GRDB", package: "GRDB.swift")]
        ),

        // The command-line tool: parses arguments, calls the libraries.
        .executableTarget(
            name: "provenance",
            dependencies: [
                "Checkpoints",
                "Fingerprinting",
                "Matching",
                "Perturbation",
                "Reports",
                "ProvenanceCrypto",
                "Registry",
                "TransparencyLog",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Writes the sample lineage in Samples/ (`make samples`).
        .executableTarget(name: "provenance-samples", dependencies: ["Perturbation"]),

        // Shared by the benchmark and evaluation tools: peak RSS, a lock-guarded value.
        .target(name: "BenchmarkSupport"),

        // Benchmarks (`make bench`): one section per library, run in its own process.
        .executableTarget(name: "provenance-bench", dependencies: ["BenchmarkSupport", "Checkpoints", "Fingerprinting", "Matching", "ProvenanceCrypto"]),

        // Coverage-guided fuzzing of the untrusted-input parsers (`make fuzz`); a plain build
        // replays inputs and writes the seed corpus.
        .executableTarget(name: "provenance-fuzz", dependencies: ["Checkpoints", "CheckpointFixtures", "Fingerprinting"]),

        // Throughput of GGML dequantization and GGUF/PyTorch streaming (not a test).
        .executableTarget(name: "format-benchmark", dependencies: ["Checkpoints"], path: "Benchmarks/FormatBenchmark"),

        // Registry benchmark: synthetic registries of 1 000 and 10 000 releases (`make bench-registry`).
        .executableTarget(
            name: "provenance-bench-registry",
            dependencies: ["Registry", "Fingerprinting", "ProvenanceCrypto", "SyntheticModels",
                           .product(name: "GRDB", package: "GRDB.swift")]
        ),

        // Detection-quality evaluation on a real lineage (`make eval`, docs/EVALUATION.md).
        .executableTarget(
            name: "provenance-eval",
            dependencies: ["BenchmarkSupport", "Checkpoints", "Fingerprinting", "Matching", "Perturbation", "ProvenanceCrypto", "SyntheticModels"]
        ),

        .testTarget(name: "ProvenanceCryptoTests", dependencies: ["ProvenanceCrypto"]),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints", "CheckpointFixtures", "ProvenanceCrypto"], exclude: ["Fixtures"]),
        .testTarget(name: "FingerprintingTests", dependencies: ["CheckpointFixtures", "ModelFixtures", "Fingerprinting", "SyntheticModels", "Checkpoints"]),
        .testTarget(name: "MatchingTests", dependencies: ["CheckpointFixtures", "ModelFixtures", "Matching", "Fingerprinting", "SyntheticModels", "Checkpoints", "Perturbation"]),
        .testTarget(name: "SyntheticModelsTests", dependencies: ["SyntheticModels", "Checkpoints"], exclude: ["Fixtures"]),
        .testTarget(name: "PerturbationTests", dependencies: ["CheckpointFixtures", "ModelFixtures", "Perturbation", "SyntheticModels", "Checkpoints"]),
        .testTarget(name: "ReportsTests", dependencies: ["ModelFixtures", "Reports", "Matching", "Fingerprinting", "SyntheticModels", "Checkpoints"], exclude: ["Golden"]),
        .testTarget(name: "TransparencyLogTests", dependencies: ["MerkleReference", "TransparencyLog", "ProvenanceCrypto"]),
        .testTarget(name: "RegistryTests", dependencies: ["MerkleReference", "ModelFixtures", "Perturbation", "Registry", "Fingerprinting", "SyntheticModels", "Checkpoints", "ProvenanceCrypto", "TransparencyLog"]),
    ],
    swiftLanguageModes: [.v6]
)
