import ProvenanceCrypto

/// The public seed from which every pseudo-random choice of a fingerprint is derived.
///
/// Stream bytes for a label are SHA-256 in counter mode:
/// `block(m) = SHA-256(UTF8(seed) ‖ 0x00 ‖ UTF8(label) ‖ 0x00 ‖ UInt64BE(m))`, m = 0, 1, 2, …
/// concatenated. Any implementation can reproduce them bit for bit.
public struct PublicSeed: Sendable, Hashable, Codable {
    /// The seed text (ASCII recommended).
    public var text: String

    public init(_ text: String) {
        self.text = text
    }

    /// The seed of format version 1.
    public static let standard = PublicSeed("provenance-fingerprint-v1")

    /// The first `count` bytes of the stream for `label`.
    public func bytes(label: String, count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count + 32)
        var block: UInt64 = 0
        let hasher = SHA256()
        while out.count < count {
            hasher.update(utf8: text)
            hasher.update([0])
            hasher.update(utf8: label)
            hasher.update([0])
            hasher.update(bigEndian: block)
            out.append(contentsOf: hasher.finalize().bytes)
            block += 1
        }
        return Array(out.prefix(count))
    }

    /// `count` big-endian 64-bit words of the stream for `label`.
    public func words(label: String, count: Int) -> [UInt64] {
        let raw = bytes(label: label, count: count * 8)
        return (0..<count).map { index in
            raw[(index * 8)..<(index * 8 + 8)].reduce(0) { ($0 << 8) | UInt64($1) }
        }
    }

    /// Signs ±1 for indices `0..<count`: bit `i % 8` (least significant first) of byte `i / 8`
    /// of the stream for `label`; a 0 bit is +1, a 1 bit is −1.
    public func signs(label: String, count: Int) -> [Float] {
        let raw = bytes(label: label, count: (count + 7) / 8)
        return (0..<count).map { index in (raw[index / 8] >> UInt8(index % 8)) & 1 == 0 ? 1 : -1 }
    }
}
