import Checkpoints
import Fingerprinting
import Foundation

/// One fuzzing input, run against the parsers that see untrusted bytes. The first byte picks
/// the target; the rest is the payload. Errors are the expected outcome for most inputs and
/// are ignored: what the fuzzer looks for is a crash, a hang or runaway memory.
enum FuzzTarget: UInt8, CaseIterable {
    /// The payload is a file: opened by content (safetensors, GGUF or a PyTorch zip), every
    /// tensor decoded and fingerprinted.
    case checkpointFile = 0
    /// The payload is `data.pkl` of a PyTorch archive, wrapped in a valid zip, so mutations
    /// reach the restricted unpickler instead of stopping at the zip CRC.
    case pickle = 1
    /// The payload is a fingerprint file, decoded from memory.
    case fingerprintFile = 2

    /// Runs `input` (target byte + payload), using `scratch` for the files it needs.
    static func run(_ input: UnsafeRawBufferPointer, scratch: String) {
        guard let first = input.first else { return }
        let payload = Array(input.dropFirst())
        switch FuzzTarget(rawValue: first % UInt8(allCases.count))! {
        case .checkpointFile:
            let path = scratch + "/input"
            guard FileManager.default.createFile(atPath: path, contents: Data(payload)) else { return }
            openAndFingerprint(path)
        case .pickle:
            let path = scratch + "/input.pt"
            guard (try? PyTorchWriter.writeZip(archive(pickle: payload), to: path)) != nil else { return }
            openAndFingerprint(path)
        case .fingerprintFile:
            _ = try? Fingerprint.decode(payload, name: "input")
        }
    }

    /// The records of a PyTorch archive around `pickle`, with one 64-byte storage `0`.
    static func archive(pickle: [UInt8]) -> [(name: String, bytes: [UInt8])] {
        [("archive/data.pkl", pickle), ("archive/byteorder", Array("little".utf8)),
         ("archive/data/0", [UInt8](repeating: 0x3C, count: 64)), ("archive/version", Array("3\n".utf8))]
    }

    private static func openAndFingerprint(_ path: String) {
        guard let reader = try? CheckpointReader(path: path) else { return }
        var options = FingerprintOptions()
        options.threads = 1
        options.chunkBytes = 4096
        _ = try? Fingerprinter.fingerprint(reader, options: options)
    }
}
