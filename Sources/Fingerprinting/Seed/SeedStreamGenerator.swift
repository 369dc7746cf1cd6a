import ProvenanceCrypto

/// A `RandomNumberGenerator` reading 64-bit big-endian words from a public seed stream,
/// so randomised procedures (permutation nulls) are reproducible everywhere.
public struct SeedStreamGenerator: RandomNumberGenerator {
    private let seed: PublicSeed
    private let label: String
    private var block: UInt64 = 0
    private var words: [UInt64] = []
    private var position = 0

    public init(seed: PublicSeed, label: String) {
        self.seed = seed
        self.label = label
    }

    public mutating func next() -> UInt64 {
        if position == words.count { refill() }
        defer { position += 1 }
        return words[position]
    }

    private mutating func refill() {
        // 256 SHA-256 blocks (8 KiB) at a time: block m = SHA-256(seed ‖ 0 ‖ label ‖ 0 ‖ m).
        let hasher = SHA256()
        words.removeAll(keepingCapacity: true)
        for _ in 0..<256 {
            hasher.update(utf8: seed.text)
            hasher.update([0])
            hasher.update(utf8: label)
            hasher.update([0])
            hasher.update(bigEndian: block)
            let bytes = hasher.finalize().bytes
            for word in 0..<4 {
                words.append(bytes[(word * 8)..<(word * 8 + 8)].reduce(0) { ($0 << 8) | UInt64($1) })
            }
            block += 1
        }
        position = 0
    }
}
