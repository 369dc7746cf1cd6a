/// The fixed set of hidden-space probe vectors through which neuron profiles are taken.
///
/// Normally the token-embedding rows of `tokenCount` public token ids: a copier who
/// permutes or rotates the hidden dimensions transforms these rows and every weight
/// matrix consistently, so `row · Wᵀ` is unchanged. Without an identifiable embedding
/// the probe is a public pseudo-random ±1/√d basis (then only neuron permutations are
/// absorbed).
public struct ProbeBasis: Sendable {
    public enum Kind: String, Sendable, Codable {
        case embedding
        case random
    }

    /// Probe vectors per profile (format version 1).
    public static let tokenCount = 32

    public let kind: Kind
    /// Token ids whose embedding rows are the probe (empty for `random`).
    public let tokenIDs: [Int]
    /// Hidden width d.
    public let hidden: Int
    /// Probe vectors, row-major `tokenCount × hidden`.
    public let vectors: [Float]

    init(kind: Kind, tokenIDs: [Int], hidden: Int, vectors: [Float]) {
        precondition(vectors.count == Self.tokenCount * hidden)
        self.kind = kind
        self.tokenIDs = tokenIDs
        self.hidden = hidden
        self.vectors = vectors
    }

    /// The public token ids for a vocabulary of `vocabularyRows` rows.
    ///
    /// Drawn without repetition from `[low, high)` where `high = 30000` if the vocabulary has at
    /// least 30000 rows, else the largest power of two ≤ rows, and `low = min(1000, high / 4)`:
    /// rows appended to a vocabulary do not move the range. Draw k uses stream word
    /// `w` of label `probe-tokens`: `id = low + w mod (high − low)`, skipping repeats.
    public static func tokenIDs(vocabularyRows: Int, seed: PublicSeed) -> [Int]? {
        guard vocabularyRows >= 2 * tokenCount else { return nil }
        var high = 30000
        if vocabularyRows < 30000 {
            high = 1
            while high * 2 <= vocabularyRows { high *= 2 }
        }
        let low = min(1000, high / 4)
        var ids: [Int] = []
        var seen = Set<Int>()
        var words = seed.words(label: "probe-tokens", count: 4 * tokenCount)
        var next = 0
        while ids.count < tokenCount {
            if next == words.count { words = seed.words(label: "probe-tokens", count: words.count * 2) }
            let id = low + Int(words[next] % UInt64(high - low))
            next += 1
            if seen.insert(id).inserted { ids.append(id) }
        }
        return ids
    }

    /// The public random probe for width `hidden`: entries ±1/√hidden from stream `probe-random`.
    static func random(hidden: Int, seed: PublicSeed) -> ProbeBasis {
        let scale = 1 / Float(hidden).squareRoot()
        let signs = seed.signs(label: "probe-random", count: tokenCount * hidden)
        return ProbeBasis(kind: .random, tokenIDs: [], hidden: hidden, vectors: signs.map { $0 * scale })
    }

    /// Cosines between probe vectors (`tokenCount × tokenCount`): invariant to permutations and
    /// rotations of the hidden space; used for index keys only, never as evidence.
    public var gram: [Float] {
        let t = Self.tokenCount
        var norms = [Double](repeating: 0, count: t)
        for a in 0..<t {
            var sum = 0.0
            for h in 0..<hidden { sum += Double(vectors[a * hidden + h]) * Double(vectors[a * hidden + h]) }
            norms[a] = sum.squareRoot()
        }
        var result = [Float](repeating: 0, count: t * t)
        for a in 0..<t {
            for b in a..<t {
                var sum = 0.0
                for h in 0..<hidden { sum += Double(vectors[a * hidden + h]) * Double(vectors[b * hidden + h]) }
                let cosine = norms[a] > 0 && norms[b] > 0 ? sum / (norms[a] * norms[b]) : 0
                result[a * t + b] = Float(cosine)
                result[b * t + a] = Float(cosine)
            }
        }
        return result
    }
}
