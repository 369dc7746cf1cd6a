// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "provenance",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "provenance", targets: ["provenance"]),
        .library(name: "Checkpoints", targets: ["Checkpoints"]),
        .library(name: "ProvenanceCrypto", targets: ["ProvenanceCrypto"]),
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

        // Checkpoint readers: safetensors (single, directory, sharded, HF cache), streaming.
        .target(name: "Checkpoints", dependencies: ["ProvenanceCrypto"]),

        // Layered fingerprints of checkpoints: exact digests, statistics, sketches, neuron profiles.
        .target(name: "Fingerprinting", dependencies: ["Checkpoints", "ProvenanceCrypto"]),

        // Deterministic model-like weights for tests, samples and benchmarks.
        .target(name: "SyntheticModels"),

        // SQLite registry of releases and their fingerprints (GRDB; system libsqlite3 on Linux).
        .target(
            name: "Registry",
            dependencies: ["Fingerprinting", "ProvenanceCrypto", .product(name: "GRDB", package: "GRDB.swift")]
        ),

        // The command-line tool: parses arguments, calls the libraries.
        .executableTarget(
            name: "provenance",
            dependencies: [
                "Checkpoints",
                "Fingerprinting",
                "ProvenanceCrypto",
                "Registry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Registry benchmark: synthetic registries of 1 000 and 10 000 releases (`make bench-registry`).
        .executableTarget(
            name: "provenance-bench-registry",
            dependencies: ["Registry", "Fingerprinting", "ProvenanceCrypto", "SyntheticModels",
                           .product(name: "GRDB", package: "GRDB.swift")]
        ),

        .testTarget(name: "ProvenanceCryptoTests", dependencies: ["ProvenanceCrypto"]),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints"]),
        .testTarget(name: "FingerprintingTests", dependencies: ["Fingerprinting", "SyntheticModels", "Checkpoints"]),
        .testTarget(name: "RegistryTests", dependencies: ["Registry", "Fingerprinting", "SyntheticModels", "Checkpoints", "ProvenanceCrypto"]),
    ],
    swiftLanguageModes: [.v6]
)
