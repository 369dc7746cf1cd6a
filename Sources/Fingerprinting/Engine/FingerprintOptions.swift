import Foundation

/// How to compute a fingerprint. None of these change the result except `seed`
/// (and `fileDigests`, which only adds or omits the file SHA-256s).
public struct FingerprintOptions: Sendable {
    /// The public seed (must match the fingerprints you compare with).
    public var seed: PublicSeed = .standard
    /// Worker threads (tensors and files are fingerprinted in parallel).
    public var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Bytes per read.
    public var chunkBytes: Int = 4 << 20
    /// Whether to compute each file's SHA-256 (equal to the Hugging Face LFS oid).
    public var fileDigests = true
    /// Facts from `config.json`; `nil` reads `config.json` next to the checkpoint if present.
    public var configHints: ModelConfigHints?
    /// Called from worker threads as bytes are processed.
    public var progress: (@Sendable (FingerprintProgress) -> Void)?

    public init() {}
}

/// Progress of a fingerprint computation.
public struct FingerprintProgress: Sendable {
    public var bytesDone: UInt64
    public var bytesTotal: UInt64
}
