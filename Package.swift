// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "provenance",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "provenance", targets: ["provenance"]),
        .library(name: "Checkpoints", targets: ["Checkpoints"]),
        .library(name: "ProvenanceCrypto", targets: ["ProvenanceCrypto"]),
        .library(name: "TransparencyLog", targets: ["TransparencyLog"]),
        .library(name: "Perturbation", targets: ["Perturbation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
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
        .target(name: "Matching", dependencies: ["Fingerprinting"]),

        // Test support only: builds safetensors bytes (also malformed), sharded checkpoints
        // and Hugging Face cache layouts in temporary directories.
        .target(name: "CheckpointFixtures", dependencies: ["Checkpoints", "ProvenanceCrypto"]),
        // Deterministic model-like weights for tests, samples and benchmarks; reference forward pass.
        .target(name: "SyntheticModels"),

        // The copier's attack catalogue applied to checkpoints (rename, dtype, noise, permutations, ...).
        .target(name: "Perturbation", dependencies: ["Checkpoints", "SyntheticModels"]),

        // The command-line tool: parses arguments, calls the libraries.
        .executableTarget(
            name: "provenance",
            dependencies: [
                "Checkpoints",
                "Fingerprinting",
                "Perturbation",
                "ProvenanceCrypto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Benchmarks (`make bench`): one section per library, run in its own process.
        .executableTarget(name: "provenance-bench", dependencies: ["Checkpoints", "Fingerprinting", "ProvenanceCrypto"]),

        // Detection-quality evaluation on a real lineage (`make eval`, docs/EVALUATION.md).
        .executableTarget(
            name: "provenance-eval",
            dependencies: ["Checkpoints", "Fingerprinting", "Matching", "Perturbation", "ProvenanceCrypto", "SyntheticModels"]
        ),

        .testTarget(name: "ProvenanceCryptoTests", dependencies: ["ProvenanceCrypto"]),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints", "CheckpointFixtures"]),
        .testTarget(name: "FingerprintingTests", dependencies: ["Fingerprinting", "SyntheticModels", "Checkpoints"]),
        .testTarget(name: "MatchingTests", dependencies: ["Matching", "Fingerprinting", "SyntheticModels", "Checkpoints"]),
        .testTarget(name: "SyntheticModelsTests", dependencies: ["SyntheticModels", "Checkpoints"], exclude: ["Fixtures"]),
        .testTarget(name: "PerturbationTests", dependencies: ["Perturbation", "SyntheticModels", "Checkpoints"]),
        .testTarget(name: "TransparencyLogTests", dependencies: ["TransparencyLog", "ProvenanceCrypto"]),
    ],
    swiftLanguageModes: [.v6]
)
