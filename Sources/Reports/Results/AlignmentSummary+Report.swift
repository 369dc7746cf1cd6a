import Matching

// MARK: - Layer map text

extension AlignmentSummary {
    /// The layer map as (suspect, reference) pairs in suspect order; keys that are not
    /// integers (not produced by the engine) are ignored.
    var sortedLayerMap: [(suspect: Int, reference: Int)] {
        layerMap.compactMap { key, value in Int(key).map { (suspect: $0, reference: value) } }.sorted { $0.suspect < $1.suspect }
    }

    /// "identity on layers 0–31", or runs like "0–3 → 0–3, 4–7 → 8–11".
    var layerMapText: String {
        let pairs = sortedLayerMap
        if pairs.isEmpty { return "no layer matched" }
        if pairs.allSatisfy({ $0.suspect == $0.reference }) {
            return "identity on layers " + ReportNumbers.ranges(pairs.map(\.suspect))
        }
        var parts: [String] = []
        var start = 0
        while start < pairs.count {
            var end = start
            while end + 1 < pairs.count, pairs[end + 1].suspect == pairs[end].suspect + 1,
                  pairs[end + 1].reference == pairs[end].reference + 1 { end += 1 }
            let (s0, r0, s1, r1) = (pairs[start].suspect, pairs[start].reference, pairs[end].suspect, pairs[end].reference)
            parts.append(start == end ? "\(s0) → \(r0)" : "\(s0)–\(s1) → \(r0)–\(r1)")
            start = end + 1
        }
        return parts.joined(separator: ", ")
    }

    /// "39 matched tensors have another name in the reference; 1 of 39 suspect tensor names
    /// occur in the reference".
    var renamingText: String {
        var text = "\(ReportNumbers.count(renamed)) matched tensors have another name in the reference"
        if let shared = sharedTensorNames, let total = suspectTensorNames, total > 0 {
            text += "; \(ReportNumbers.count(shared)) of \(ReportNumbers.count(total)) suspect tensor names occur in the reference"
        }
        return text
    }

    /// "suspect 32,256 · reference 32,000 (256 rows appended)".
    var vocabularyText: String? {
        guard suspectVocabularyRows != nil || referenceVocabularyRows != nil else { return nil }
        let s = suspectVocabularyRows.map(ReportNumbers.count) ?? "unknown"
        let r = referenceVocabularyRows.map(ReportNumbers.count) ?? "unknown"
        var text = "suspect \(s) · reference \(r)"
        if let a = suspectVocabularyRows, let b = referenceVocabularyRows {
            if a > b { text += " (\(ReportNumbers.count(a - b)) rows appended)" }
            else if a < b { text += " (\(ReportNumbers.count(b - a)) rows fewer)" }
            else { text += " (same)" }
        }
        return text
    }
}
