import Fingerprinting

/// Who a model is, for reports: a label, optional release metadata, its files and digests.
public struct ModelIdentity: Codable, Sendable, Hashable {
    public struct File: Codable, Sendable, Hashable {
        public var name: String
        public var size: UInt64
        public var sha256: String?

        public init(name: String, size: UInt64, sha256: String?) {
            self.name = name
            self.size = size
            self.sha256 = sha256
        }
    }

    /// `NAME@VERSION` for a registered release, else the path given.
    public var label: String
    /// `checkpoint`, `fingerprint` or `release`.
    public var kind: String
    /// Release metadata (org, license, url, released, bases…) as given by the caller.
    public var metadata: [String: String]
    public var files: [File]
    public var parameterCount: Int
    public var tensorCount: Int
    public var structure: ModelStructure
    public var rawRoot: String
    public var canonicalRoot: String
    /// Distinct stored dtypes.
    public var dtypes: [String]

    public init(label: String, kind: String, metadata: [String: String], files: [File], parameterCount: Int, tensorCount: Int,
                structure: ModelStructure, rawRoot: String, canonicalRoot: String, dtypes: [String]) {
        self.label = label
        self.kind = kind
        self.metadata = metadata
        self.files = files
        self.parameterCount = parameterCount
        self.tensorCount = tensorCount
        self.structure = structure
        self.rawRoot = rawRoot
        self.canonicalRoot = canonicalRoot
        self.dtypes = dtypes
    }

    public init(fingerprint: Fingerprint, label: String, kind: String, metadata: [String: String] = [:]) {
        self.label = label
        self.kind = kind
        self.metadata = metadata
        files = fingerprint.source.files.map { File(name: $0.name, size: $0.size, sha256: $0.sha256?.hex) }
        parameterCount = fingerprint.source.parameterCount
        tensorCount = fingerprint.tensors.count
        structure = fingerprint.structure
        rawRoot = fingerprint.roots.raw.hex
        canonicalRoot = fingerprint.roots.canonical.hex
        dtypes = Array(Set(fingerprint.tensors.map(\.dtype))).sorted()
    }
}
