import Fingerprinting
import ProvenanceCrypto

/// Whether a checkpoint on disk is exactly a registered release: its files (name, size,
/// SHA-256) and its tensors (by name: raw digest, canonical digest, dtype, shape) compared
/// with the release's fingerprint. Every difference is named.
public struct CheckpointComparison: Sendable {
    /// How a file differs.
    public enum FileDifference: Sendable, Hashable {
        /// Same name, different size or SHA-256.
        case differs(expected: ReleaseFile, actual: ReleaseFile)
        /// A file of the release that the checkpoint lacks.
        case missing(ReleaseFile)
        /// A file of the checkpoint that the release does not have.
        case extra(ReleaseFile)
        /// The release or the checkpoint has no SHA-256 for this file, so it cannot be compared.
        case notDigested(ReleaseFile)
    }

    /// How a tensor differs.
    public enum TensorDifference: Sendable, Hashable {
        /// Same name, different values (the canonical digests differ).
        case differentValues(name: String, expected: TensorDescription, actual: TensorDescription)
        /// Same values but stored differently (raw digests differ, canonical digests agree:
        /// another dtype that round-trips, or transposed).
        case differentEncoding(name: String, expected: TensorDescription, actual: TensorDescription)
        /// A tensor of the release that the checkpoint lacks.
        case missing(name: String, expected: TensorDescription)
        /// A tensor of the checkpoint that the release does not have.
        case extra(name: String, actual: TensorDescription)

        public var name: String {
            switch self {
            case .differentValues(let name, _, _), .differentEncoding(let name, _, _), .missing(let name, _), .extra(let name, _): name
            }
        }
    }

    /// A tensor's dtype, shape and raw digest.
    public struct TensorDescription: Sendable, Hashable, CustomStringConvertible {
        public var dtype: String
        public var shape: [Int]
        public var sha256: SHA256Digest

        public var description: String { "\(dtype) [\(shape.map(String.init).joined(separator: ", "))] sha256 \(sha256.hex)" }
    }

    public var fileDifferences: [FileDifference]
    public var tensorDifferences: [TensorDifference]
    public var matchingFiles: Int
    public var matchingTensors: Int
    public var expectedTensorCount: Int

    /// True when every file and every tensor is identical.
    public var isExact: Bool { fileDifferences.isEmpty && tensorDifferences.isEmpty }

    /// Compares `actual` (the checkpoint on disk) with `expected` (the release).
    public init(expected: Fingerprint, actual: Fingerprint) {
        func file(_ entry: Fingerprint.Source.File) -> ReleaseFile { ReleaseFile(name: entry.name, size: entry.size, sha256: entry.sha256) }
        var files: [FileDifference] = []
        var matchingFiles = 0
        let actualFiles = Dictionary(actual.source.files.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for entry in expected.source.files {
            guard let other = actualFiles[entry.name] else {
                files.append(.missing(file(entry)))
                continue
            }
            if entry.size != other.size || (entry.sha256 != nil && other.sha256 != nil && entry.sha256 != other.sha256) {
                files.append(.differs(expected: file(entry), actual: file(other)))
            } else if entry.sha256 == nil || other.sha256 == nil {
                files.append(.notDigested(file(entry)))
            } else {
                matchingFiles += 1
            }
        }
        let expectedNames = Set(expected.source.files.map(\.name))
        for entry in actual.source.files where !expectedNames.contains(entry.name) { files.append(.extra(file(entry))) }

        func describe(_ tensor: TensorFingerprint) -> TensorDescription {
            TensorDescription(dtype: tensor.dtype, shape: tensor.shape, sha256: tensor.sha256)
        }
        var tensors: [TensorDifference] = []
        var matchingTensors = 0
        let actualTensors = Dictionary(actual.tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for tensor in expected.tensors {
            guard let other = actualTensors[tensor.name] else {
                tensors.append(.missing(name: tensor.name, expected: describe(tensor)))
                continue
            }
            if tensor.sha256 == other.sha256 && tensor.dtype == other.dtype && tensor.shape == other.shape {
                matchingTensors += 1
            } else if tensor.canonical.sha256 == other.canonical.sha256 {
                tensors.append(.differentEncoding(name: tensor.name, expected: describe(tensor), actual: describe(other)))
            } else {
                tensors.append(.differentValues(name: tensor.name, expected: describe(tensor), actual: describe(other)))
            }
        }
        let expectedTensorNames = Set(expected.tensors.map(\.name))
        for tensor in actual.tensors where !expectedTensorNames.contains(tensor.name) {
            tensors.append(.extra(name: tensor.name, actual: describe(tensor)))
        }
        fileDifferences = files
        tensorDifferences = tensors
        self.matchingFiles = matchingFiles
        self.matchingTensors = matchingTensors
        expectedTensorCount = expected.tensors.count
    }
}
