import Fingerprinting
import Foundation
import ProvenanceCrypto
import Registry
import SyntheticModels

/// Synthetic releases of realistic size, derived from a real template fingerprint.
///
/// Every release keeps the template's tensor list, sketches, profiles and structure (so the
/// stored blob has the template's size) but gets its own tensor digests and its own LSH keys.
/// Keys are built exactly as format version 1 builds them — SHA-256 of (kind, shape class,
/// band, 16-bit band value) — with random band values, so chance collisions between
/// unrelated releases happen at the real rate (all releases share one architecture: the
/// worst case for collisions). Release `i` is a pure function of `(seed, i)`.
struct SyntheticReleases {
    let template: Fingerprint
    let seed: UInt64
    /// Every `lineageStride`-th release is a fine-tune of an earlier one (keeps ~60 % of its keys).
    let lineageStride = 10
    /// Every `mirrorStride`-th release re-uploads an earlier one under another name (identical weights).
    let mirrorStride = 50
    let keptKeyFraction = 0.6

    private let slots: [[KeySlot]]
    private let probeSlots: [KeySlot]

    struct KeySlot {
        var kind: String
        var shapeClass: String
        var band: Int
    }

    init(template: Fingerprint, seed: UInt64) {
        self.template = template
        self.seed = seed
        slots = template.tensors.map { tensor in
            guard !tensor.lshKeys.isEmpty else { return [] }
            let rows = tensor.shape.first ?? 1, cols = tensor.shape.dropFirst().reduce(1, *)
            let shapeClass = "\(max(rows, cols))x\(min(rows, cols))"
            return tensor.lshKeys.indices.map { KeySlot(kind: "sketch", shapeClass: shapeClass, band: $0 % LocalitySensitiveKeys.bands) }
        }
        let probeCount = template.indexKeys.filter { $0.kind == "probe" }.count
        probeSlots = (0..<probeCount).map { KeySlot(kind: "probe", shapeClass: "t\(ProbeBasis.tokenCount)", band: $0) }
    }

    /// The band values of release `index` (before key hashing): one per slot.
    private func bandValues(_ index: Int) -> (tensors: [[UInt16]], probe: [UInt16]) {
        var rng = SplitMix64(seed: seed ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
        var tensors = slots.map { $0.map { _ in UInt16(truncatingIfNeeded: rng.next()) } }
        var probe = probeSlots.map { _ in UInt16(truncatingIfNeeded: rng.next()) }
        if let parent = parent(of: index) {
            // A fine-tune: most bands unchanged from the parent.
            let inherited = bandValues(parent)
            for t in tensors.indices {
                for k in tensors[t].indices where Double(rng.next() % 1000) < keptKeyFraction * 1000 { tensors[t][k] = inherited.tensors[t][k] }
            }
            for k in probe.indices where Double(rng.next() % 1000) < keptKeyFraction * 1000 { probe[k] = inherited.probe[k] }
        }
        return (tensors, probe)
    }

    func parent(of index: Int) -> Int? {
        index > 0 && index % lineageStride == lineageStride - 1 ? index / 2 : nil
    }

    func mirrored(_ index: Int) -> Int? {
        index > 0 && index % mirrorStride == mirrorStride - 1 ? index / 3 : nil
    }

    /// Release `index`: its fingerprint and metadata.
    func release(_ index: Int) -> (fingerprint: Fingerprint, metadata: ReleaseMetadata) {
        let source = mirrored(index) ?? index
        var fingerprint = fingerprint(weightsOf: source, bands: bandValues(source))
        if source != index { fingerprint.source.files = fingerprint.source.files.map { var f = $0; f.name = "mirror-" + f.name; return f } }
        var metadata = ReleaseMetadata(
            name: "synthetic-org-\(index % 97)/model-\(index)", version: "1.\(index % 5)", org: "synthetic-org-\(index % 97)",
            license: ["apache-2.0", "mit", "llama3", "cc-by-4.0"][index % 4], released: String(format: "20%02d-%02d-%02d", 20 + index % 6, 1 + index % 12, 1 + index % 28),
            url: "https://huggingface.co/synthetic-org-\(index % 97)/model-\(index)", notes: "synthetic release \(index)")
        if let parent = parent(of: index) { metadata.bases = ["synthetic-org-\(parent % 97)/model-\(parent)"] }
        return (fingerprint, metadata)
    }

    /// A query: a noised copy of release `index` (no exact digest, `keptKeyFraction` of its keys).
    func noisedCopy(of index: Int, salt: UInt64) -> Fingerprint {
        var rng = SplitMix64(seed: seed ^ salt ^ (UInt64(index) &* 0xD1B5_4A32_D192_ED03))
        var bands = bandValues(index)
        for t in bands.tensors.indices {
            for k in bands.tensors[t].indices where Double(rng.next() % 1000) >= keptKeyFraction * 1000 {
                bands.tensors[t][k] = UInt16(truncatingIfNeeded: rng.next())
            }
        }
        return fingerprint(weightsOf: Int(1 << 40) + Int(salt), bands: bands)
    }

    /// A query: an exact copy of release `index` (same digests).
    func exactCopy(of index: Int) -> Fingerprint {
        release(index).fingerprint
    }

    /// A query unrelated to every registered release (same architecture, fresh weights).
    func unrelated(_ salt: Int) -> Fingerprint {
        let index = Int(1 << 41) + salt
        return fingerprint(weightsOf: index, bands: bandValues(index))
    }

    private func fingerprint(weightsOf index: Int, bands: (tensors: [[UInt16]], probe: [UInt16])) -> Fingerprint {
        var fingerprint = template
        var keys = Set<IndexKey>()
        for t in fingerprint.tensors.indices {
            var tensor = fingerprint.tensors[t]
            tensor.sha256 = SHA256.hash(utf8: "synthetic raw \(seed) \(index) \(t)")
            tensor.canonical.sha256 = SHA256.hash(utf8: "synthetic canonical \(seed) \(index) \(t)")
            tensor.lshKeys = zip(slots[t], bands.tensors[t]).map { Self.key($0, value: $1) }
            if !tensor.sketch.isEmpty { tensor.sketch[0] = Float(index % 1000) * 1e-3 }
            keys.formUnion(tensor.lshKeys.map { IndexKey(kind: "sketch", value: $0) })
            fingerprint.tensors[t] = tensor
        }
        keys.formUnion(zip(probeSlots, bands.probe).map { IndexKey(kind: "probe", value: Self.key($0, value: $1)) })
        fingerprint.indexKeys = keys.sorted()
        fingerprint.source.files = fingerprint.source.files.map { file in
            var file = file
            file.sha256 = SHA256.hash(utf8: "synthetic file \(seed) \(index) \(file.name)")
            return file
        }
        fingerprint.roots = RootDigest.roots(of: fingerprint.tensors)
        return fingerprint
    }

    /// A format-version-1 band key (see `LocalitySensitiveKeys`).
    static func key(_ slot: KeySlot, value: UInt16) -> UInt64 {
        let hasher = SHA256()
        hasher.update(utf8: "provenance-lsh-v1")
        hasher.update([0])
        hasher.update(utf8: slot.kind)
        hasher.update([0])
        hasher.update(utf8: slot.shapeClass)
        hasher.update([0, UInt8(slot.band), UInt8(value >> 8), UInt8(value & 0xFF)])
        return hasher.finalize().prefix64
    }
}
