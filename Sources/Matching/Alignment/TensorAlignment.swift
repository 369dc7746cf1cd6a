import Fingerprinting

/// Name-free alignment of a suspect's weight matrices to a reference's, by shape
/// compatibility and sketch similarity.
///
/// Every compatible pair (same shape, transposed shape, or the same width with a grown or
/// shrunk vocabulary) is scored with the sketch z-statistic; square matrices are tried in
/// both orientations. Each suspect tensor takes its best-scoring reference tensor (several
/// suspect tensors may take the same one: duplicated layers), and its p-value is
/// Bonferroni-corrected for the number of comparisons it was chosen from.
struct TensorAlignment {
    struct Score {
        var reference: Int
        var transposed: Bool
        var cosine: Double
        var z: Double
    }

    let suspect: [EvidenceTensor]
    let reference: [EvidenceTensor]
    /// All compatible scores, per suspect evidence tensor.
    let scores: [[Score]]
    /// Comparisons each suspect tensor was chosen from (orientations counted).
    let comparisons: [Int]
    /// The chosen match per suspect evidence tensor (nil when nothing is compatible).
    let best: [Score?]

    init(suspect: [EvidenceTensor], reference: [EvidenceTensor]) {
        self.suspect = suspect
        self.reference = reference
        let referenceCanonical = Dictionary(reference.enumerated().map { ($1.canonicalDigest, $0) }, uniquingKeysWith: { a, _ in a })
        var scores: [[Score]] = []
        var comparisons: [Int] = []
        var best: [Score?] = []
        for s in suspect {
            let transposedSketch = SketchMath.transposed(s.sketch)
            var row: [Score] = []
            var count = 0
            for (index, r) in reference.enumerated() {
                for transposed in Self.orientations(s, r) {
                    count += 1
                    let sketch = transposed ? transposedSketch : s.sketch
                    row.append(Score(reference: index, transposed: transposed,
                                     cosine: SketchMath.cosine(sketch, r.sketch), z: SketchMath.zScore(sketch, r.sketch)))
                }
            }
            // An exact (canonical) match wins outright.
            var chosen = row.max { abs($0.z) < abs($1.z) }
            if let exact = referenceCanonical[s.canonicalDigest], let exactScore = row.filter({ $0.reference == exact }).max(by: { abs($0.z) < abs($1.z) }) {
                chosen = exactScore
            }
            scores.append(row)
            comparisons.append(count)
            best.append(chosen)
        }
        self.scores = scores
        self.comparisons = comparisons
        self.best = best
    }

    /// Orientations in which `s` can be compared with `r` (`true` = transpose the suspect).
    static func orientations(_ s: EvidenceTensor, _ r: EvidenceTensor) -> [Bool] {
        if s.rows == r.rows && s.cols == r.cols { return s.rows == s.cols ? [false, true] : [false] }
        if s.rows == r.cols && s.cols == r.rows { return [true] }
        // A grown or trimmed vocabulary: same width, row counts within 1.5× (embeddings, heads).
        func vocabularyLike(_ a: Int, _ b: Int, width: Int) -> Bool {
            a != b && min(a, b) >= 2 * width && Double(max(a, b)) <= 1.5 * Double(min(a, b))
        }
        if s.cols == r.cols && vocabularyLike(s.rows, r.rows, width: s.cols) { return [false] }
        if s.rows == r.cols && vocabularyLike(s.cols, r.rows, width: s.rows) { return [true] }
        return []
    }

    /// ln p of suspect tensor `index`'s best match (two-sided, Bonferroni-corrected).
    func logPValue(_ index: Int) -> Double {
        guard let score = best[index] else { return 0 }
        return LogProbability.bonferroni(LogProbability.twoSided(score.z), comparisons: comparisons[index])
    }
}
