// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "provenance",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "provenance", targets: ["provenance"]),
        .library(name: "Checkpoints", targets: ["Checkpoints"]),
        .library(name: "ProvenanceCrypto", targets: ["ProvenanceCrypto"]),
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

        // Checkpoint readers: safetensors (single, directory, sharded, HF cache), streaming.
        .target(name: "Checkpoints", dependencies: ["ProvenanceCrypto"]),

        // The command-line tool: parses arguments, calls the libraries.
        .executableTarget(
            name: "provenance",
            dependencies: [
                "Checkpoints",
                "ProvenanceCrypto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Throughput of GGML dequantization and GGUF/PyTorch streaming (not a test).
        .executableTarget(name: "format-benchmark", dependencies: ["Checkpoints"], path: "Benchmarks/FormatBenchmark"),

        .testTarget(name: "ProvenanceCryptoTests", dependencies: ["ProvenanceCrypto"]),
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints"], exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v6]
)
