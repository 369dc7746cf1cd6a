import Fingerprinting
import Foundation

/// Attributes a suspect among several compared references: the nearest ancestor (the
/// release, not its public base), merges with mixing weights, grafts with the layers taken
/// from each source.
public enum LineageAnalysis {
    /// β above which the suspect is taken to descend from Y rather than X (β below 1 − this: from X).
    public static let ancestryThreshold = 0.8
    /// The same for two unrelated references (sketch cosine below `relatedCosine`): their
    /// difference is the whole model, not a fine-tune's delta, so a suspect at β = 0.8 is a
    /// 0.8 / 0.2 merge rather than a further-trained copy of Y.
    public static let unrelatedAncestryThreshold = 0.95
    /// References whose sketches agree at least this much belong to one lineage.
    public static let relatedCosine = 0.5
    /// A suspect between two related releases is a linear merge of them when the line between
    /// them explains at least this share of its difference from the first; otherwise the nearer
    /// end (β above or below ½) is its ancestor.
    public static let mergeExplained = 0.5

    public static func attribute(
        suspect: Fingerprint, suspectIdentity: ModelIdentity,
        comparisons: [(fingerprint: Fingerprint, result: Comparison)], options: MatchingOptions = MatchingOptions()
    ) -> ScanResult {
        let rank: [Verdict.Kind: Int] = [.identical: 0, .reEncoded: 1, .derived: 2, .merge: 3, .partial: 4, .independent: 5]
        let sorted = comparisons.sorted {
            (rank[$0.result.verdict.kind]!, $0.result.verdict.log10P) < (rank[$1.result.verdict.kind]!, $1.result.verdict.log10P)
        }
        let method = MethodInfo(tool: Fingerprinter.toolName, toolVersion: Fingerprinter.toolVersion,
                                fingerprintFormat: FingerprintFormat.version, seed: suspect.header.seed,
                                threshold: options.threshold, tensorThreshold: options.tensorThreshold, command: options.command)
        let flagged = sorted.filter { $0.result.verdict.isFlagged }
        // The attributed release(s) lead, so every view lists first what the verdict names: a
        // public base can be more significant than the release it is farther from.
        func result(_ attribution: Attribution) -> ScanResult {
            let leading = attribution.attributedLabels
            let ordered = leading.compactMap { name in sorted.first { $0.result.reference.label == name }?.result }
                + sorted.map(\.result).filter { !leading.contains($0.reference.label) }
            return ScanResult(suspect: suspectIdentity, candidates: ordered, attribution: attribution, method: method)
        }
        guard let first = flagged.first else {
            return result(Attribution(verdict: .independent, nearest: nil,
                                      sentence: sorted.isEmpty ? "No registered release shares index keys or digests with this checkpoint."
                                                               : "No registered release is related: all \(sorted.count) candidates compared were independent.",
                                      components: [], relations: []))
        }
        let label = { (entry: (fingerprint: Fingerprint, result: Comparison)) in entry.result.reference.label }

        // Exact copies (same tensors or same canonical values) need no lineage analysis; lossy
        // re-encodings (dtype rounding, quantization) do: a base can be as close as the release.
        let isExact = { (result: Comparison) in
            result.verdict.kind == .identical || (result.verdict.kind == .reEncoded && (result.exact.sameValues || result.exact.rawRootEqual))
        }
        if let first = flagged.first(where: { isExact($0.result) }) {
            let others = flagged.dropFirst().map { Attribution.Relation(
                from: label($0), toward: label(first), beta: nil, method: "exact digests",
                conclusion: "\(label(first)) holds the same weights; \(label($0)) is only related") }
            return result(Attribution(verdict: first.result.verdict.kind, nearest: label(first),
                                      sentence: first.result.verdict.sentence, components: [.init(label: label(first))],
                                      relations: Array(others)))
        }
        guard flagged.count > 1 else {
            return result(Attribution(verdict: first.result.verdict.kind, nearest: label(first), sentence: first.result.verdict.sentence,
                                      components: [.init(label: label(first))], relations: []))
        }

        // Which suspect layers (and embedding/head groups) each candidate explains.
        var matchedGroups: [String: Set<String>] = [:]
        for entry in flagged {
            matchedGroups[label(entry)] = Set(entry.result.layers.filter { $0.matchedBy != "none" }.map(\.group))
        }
        func complementary(_ x: String, _ y: String) -> Bool {
            let a = matchedGroups[x] ?? [], b = matchedGroups[y] ?? []
            guard !a.isEmpty, !b.isEmpty else { return false }
            return Double(a.intersection(b).count) < 0.5 * Double(min(a.count, b.count))
        }

        // Pairwise delta analysis among related candidates that explain the same layers.
        var dominated = Set<String>()
        var relations: [Attribution.Relation] = []
        var mixtures: [(x: String, y: String, beta: Double, explained: Double)] = []
        var analyses: [String: DeltaAnalysis] = [:]
        for x in flagged {
            for y in flagged where label(x) != label(y) {
                if complementary(label(x), label(y)) {
                    if label(x) < label(y) {
                        relations.append(.init(from: label(x), toward: label(y), beta: nil, method: "matched layers",
                                               conclusion: "\(label(x)) and \(label(y)) explain different layers of the suspect"))
                    }
                    continue
                }
                let analysis = DeltaAnalysis(suspect: suspect, x: x, y: y)
                analyses[label(x) + "\u{0}" + label(y)] = analysis
                var fit = analysis.fit()
                var method = "sketch deltas"
                if fit == nil {
                    // Sketches no longer align (permuted suspect): use the aligned neuron profiles.
                    let layerMap = Dictionary(y.result.profiles.filter { $0.suspectLayer >= 0 }.map { ($0.suspectLayer, $0.referenceLayer) },
                                              uniquingKeysWith: { first, _ in first })
                    fit = DeltaAnalysis.profileFit(suspect: suspect, x: x.fingerprint, y: y.fingerprint, layerMap: layerMap)
                    method = "profile deltas"
                }
                if let fit {
                    let beta = fit.beta
                    let conclusion: String
                    let onLine = fit.explained >= mergeExplained
                    let unrelated = method == "sketch deltas" && (analysis.referenceCosine ?? 1) < relatedCosine
                    let threshold = unrelated ? unrelatedAncestryThreshold : ancestryThreshold
                    if beta > threshold {
                        dominated.insert(label(x))
                        conclusion = "the suspect carries \(label(y))'s changes relative to \(label(x)): \(label(y)) is nearer"
                    } else if beta < 1 - threshold {
                        conclusion = "the suspect does not carry \(label(y))'s changes relative to \(label(x))"
                    } else if onLine {
                        conclusion = String(format: "the suspect lies between %@ and %@ (the line explains %.0f%% of the difference)",
                                            label(x), label(y), fit.explained * 100)
                        if label(x) < label(y) { mixtures.append((label(x), label(y), beta, fit.explained)) }
                    } else if beta > 0.5 {
                        // Off the line (it moved on its own too): the nearer end of the projection wins.
                        dominated.insert(label(x))
                        conclusion = String(format: "the suspect is closer to %@ than to %@ along their difference (it also moved on its own: the line explains %.0f%%)",
                                            label(y), label(x), fit.explained * 100)
                    } else {
                        conclusion = String(format: "the suspect is closer to %@ than to %@ along their difference (it also moved on its own: the line explains %.0f%%)",
                                            label(x), label(y), fit.explained * 100)
                    }
                    relations.append(.init(from: label(x), toward: label(y), beta: beta, method: method, conclusion: conclusion))
                } else if let tx = meanCrossCheck(x.result), let ty = meanCrossCheck(y.result), ty > tx + 0.002 {
                    dominated.insert(label(x))
                    relations.append(.init(from: label(x), toward: label(y), beta: nil, method: "neuron profiles",
                                           conclusion: String(format: "neuron profiles agree more with %@ (T %.4f vs %.4f)", label(y), ty, tx)))
                }
            }
        }
        let undominated = flagged.filter { !dominated.contains(label($0)) }
        let goodMixtures = mixtures.sorted { $0.explained > $1.explained }
        if undominated.count == 1, goodMixtures.isEmpty {
            let nearest = undominated[0]
            let ancestors = flagged.filter { label($0) != label(nearest) }.map(label)
            return result(Attribution(
                verdict: nearest.result.verdict.kind, nearest: label(nearest),
                sentence: nearest.result.verdict.sentence + (ancestors.isEmpty ? "" : " Also related, but farther: " + ancestors.joined(separator: ", ") + "."),
                components: [.init(label: label(nearest))], relations: relations))
        }
        let pool = undominated.isEmpty ? flagged : undominated

        // Grafts between unrelated sources: each explains its own layers.
        let sources = pool.filter { entry in pool.contains { other in label(other) != label(entry) && complementary(label(entry), label(other)) } }
        if sources.count >= 2 {
            let components = sources.map { entry in
                Attribution.Component(label: label(entry), layers: entry.result.layers.filter { $0.matchedBy != "none" }.compactMap(\.suspectLayer).sorted())
            }.sorted { ($0.layers?.first ?? .max) < ($1.layers?.first ?? .max) }
            let text = components.map { "layers \(ranges($0.layers ?? [])) from \($0.label)" }.joined(separator: ", ")
            return result(Attribution(verdict: .merge, nearest: nil, sentence: "Grafted from several releases: \(text).",
                                      components: components, relations: relations))
        }
        // Grafts between related sources: per-layer deltas split cleanly.
        for x in pool {
            for y in pool where label(x) < label(y) {
                guard let analysis = analyses[label(x) + "\u{0}" + label(y)] else { continue }
                var fromX: [Int] = [], fromY: [Int] = [], between = 0
                for layer in analysis.layers {
                    guard let beta = analysis.beta(layer: .some(layer)) else { continue }
                    if beta > ancestryThreshold { fromY.append(layer) } else if beta < 1 - ancestryThreshold { fromX.append(layer) } else { between += 1 }
                }
                if !fromX.isEmpty, !fromY.isEmpty, between <= (fromX.count + fromY.count) / 4 {
                    return result(Attribution(
                        verdict: .merge, nearest: nil,
                        sentence: "Grafted from two releases: layers \(ranges(fromX)) from \(label(x)), layers \(ranges(fromY)) from \(label(y)).",
                        components: [.init(label: label(x), layers: fromX), .init(label: label(y), layers: fromY)], relations: relations))
                }
            }
        }
        // Linear merges: the suspect lies on the line between two releases — or in the span of
        // more than two, when further releases explain what the best pair leaves over.
        if let mixture = goodMixtures.first {
            // Every related candidate may join, even one the pairwise rule set aside as farther.
            if let merge = wideMerge(suspect: suspect, pair: (mixture.x, mixture.y), pool: flagged.map { (label($0), $0) }) {
                return result(Attribution(verdict: .merge, nearest: nil, sentence: merge.sentence, components: merge.components,
                                          relations: relations + merge.relations))
            }
            return result(Attribution(
                verdict: .merge, nearest: nil,
                sentence: String(format: "Linear merge: ≈%.2f × %@ + %.2f × %@ (the merge line explains %.0f%% of the difference).",
                                 1 - mixture.beta, mixture.x, mixture.beta, mixture.y, mixture.explained * 100),
                components: [.init(label: mixture.x, weight: 1 - mixture.beta), .init(label: mixture.y, weight: mixture.beta)],
                relations: relations))
        }
        let nearest = pool[0]
        return result(Attribution(verdict: nearest.result.verdict.kind, nearest: label(nearest),
                                  sentence: nearest.result.verdict.sentence + " (Several related releases could not be told apart.)",
                                  components: pool.map { .init(label: label($0)) }, relations: relations))
    }

    /// A merge of three or more releases grown from the best pair by `MergeDecomposition`.
    static func wideMerge(
        suspect: Fingerprint, pair: (x: String, y: String), pool: [(label: String, entry: (fingerprint: Fingerprint, result: Comparison))]
    ) -> (sentence: String, components: [Attribution.Component], relations: [Attribution.Relation])? {
        guard pool.count >= 3, let x = pool.firstIndex(where: { $0.label == pair.x }), let y = pool.firstIndex(where: { $0.label == pair.y }) else {
            return nil
        }
        let decomposition = MergeDecomposition(aligned: AlignedSketches(suspect: suspect, references: pool.map { ($0.entry.fingerprint, $0.entry.result) }))
        guard let (fit, added) = decomposition.extend(pair: x, y, candidates: Array(pool.indices)) else { return nil }
        let members = zip(fit.members, fit.weights).sorted { $0.1 > $1.1 }
        let text = members.map { String(format: "%.2f × %@", $0.1, pool[$0.0].label) }.joined(separator: " + ")
        let relations = added.map { step in
            Attribution.Relation(
                from: pool[x].label, toward: pool[step.index].label,
                beta: fit.weights[fit.members.firstIndex(of: step.index)!], method: "joint sketch fit",
                conclusion: String(format: "adding %@ to the merge leaves %.1f%% of the suspect's difference from %@ unexplained instead of %.1f%%",
                                   pool[step.index].label, 100 * (1 - step.after.explained),
                                   pool[x].label, 100 * (1 - step.before.explained)))
        }
        return (String(format: "Linear merge of %d releases: ≈%@ (the combination explains %.0f%% of the difference).",
                       members.count, text, fit.explained * 100),
                members.map { Attribution.Component(label: pool[$0.0].label, weight: $0.1) }, relations)
    }

    static func meanCrossCheck(_ result: Comparison) -> Double? {
        let values = result.profiles.map { $0.crossCheck * $0.inputAgreement }
        return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// "0–2, 5" style layer lists.
    static func ranges(_ layers: [Int]) -> String {
        var parts: [String] = []
        var start: Int?
        var previous: Int?
        for layer in layers.sorted() {
            if let p = previous, layer == p + 1 { previous = layer; continue }
            if let s = start, let p = previous { parts.append(s == p ? "\(s)" : "\(s)–\(p)") }
            start = layer
            previous = layer
        }
        if let s = start, let p = previous { parts.append(s == p ? "\(s)" : "\(s)–\(p)") }
        return parts.joined(separator: ", ")
    }
}
