import Foundation

import Matching

/// A short plain-text summary for the terminal: the verdict, the candidates table and the
/// strongest evidence. The full evidence goes into the Markdown/HTML/JSON reports.
public enum TerminalSummary {
    /// The summary of a scan: attribution first, then one row per candidate.
    public static func render(_ scan: ScanResult, evidenceLines: Int = 6) -> String {
        var lines: [String] = []
        let attribution = scan.attribution
        lines.append("Suspect      \(scan.suspect.label)  (\(describe(scan.suspect)))")
        lines.append("Verdict      \(attribution.verdict.rawValue.uppercased())  \(attribution.sentence)")
        if !attribution.components.isEmpty, attribution.verdict == .merge {
            for component in attribution.components {
                var line = "  component  \(component.label)"
                if let weight = component.weight { line += String(format: "  weight ≈ %.2f", weight) }
                if let layers = component.layers { line += "  layers " + layers.map(String.init).joined(separator: ",") }
                lines.append(line)
            }
        }
        lines.append("")
        if scan.candidates.isEmpty {
            lines.append("No candidate shared an index key or a digest with the suspect.")
        } else {
            let rows = scan.candidates.map { candidate -> [String] in
                [candidate.reference.label, candidate.verdict.kind.rawValue, LogProbability.format(candidate.verdict.log10P * 2.302585092994046),
                 candidate.verdict.estimatedCosine.map { format("%.4f", $0) } ?? "—",
                 format("%.0f%%", candidate.verdict.coverage * 100), headline(candidate)]
            }
            lines.append(table(["CANDIDATE", "VERDICT", "P-VALUE", "EST. COSINE", "COVERAGE", "EVIDENCE"], rows, numeric: [2, 3, 4]))
        }
        if let nearest = scan.candidates.first(where: { $0.reference.label == attribution.nearest }) {
            lines.append("")
            lines.append("Evidence against \(nearest.reference.label):")
            for line in nearest.verdict.evidence.prefix(evidenceLines) { lines.append("  • " + line) }
        }
        let explained = attribution.relations.filter { $0.method != "matched layers" }.prefix(4)
        if !explained.isEmpty { lines.append(""); lines.append("How related candidates were told apart:") }
        for relation in explained {
            if let beta = relation.beta {
                lines.append(format("  β(%@ | %@) = %.2f: %@", relation.toward, relation.from, beta, relation.conclusion))
            } else {
                lines.append("  \(relation.from) → \(relation.toward): \(relation.conclusion)")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The summary of a single comparison.
    public static func render(_ comparison: Comparison, evidenceLines: Int = 8) -> String {
        var lines: [String] = []
        lines.append("Suspect      \(comparison.suspect.label)  (\(describe(comparison.suspect)))")
        lines.append("Reference    \(comparison.reference.label)  (\(describe(comparison.reference)))")
        lines.append("Verdict      \(comparison.verdict.kind.rawValue.uppercased())  \(comparison.verdict.sentence)")
        lines.append("")
        lines.append("Evidence")
        for line in comparison.verdict.evidence.prefix(evidenceLines) { lines.append("  • " + line) }
        if let fullWeights = comparison.fullWeights {
            lines.append("")
            lines.append("Full weights (--deep)")
            for line in fullWeights.summary { lines.append("  • " + line) }
        }
        let layers = comparison.layers.map { layer -> [String] in
            [layer.group, layer.matchedBy, layer.referenceLayer.map(String.init) ?? "—", format("%.4f", layer.meanCosine),
             LogProbability.format(layer.log10P * 2.302585092994046)]
        }
        if !layers.isEmpty {
            // Rows matched by `--deep`'s weights carry exact cosines, the others sketch estimates.
            let exact = comparison.layers.contains { $0.matchedBy == LayerMatch.matchedByWeights }
            lines.append("")
            lines.append(table(["LAYER", "MATCHED BY", "REF LAYER", exact ? "COSINE" : "EST. COSINE", "P-VALUE"], layers, numeric: [2, 3, 4]))
            if exact { lines.append("COSINE: estimated from the fingerprints; exact (element by element) where MATCHED BY is weights.") }
        }
        return lines.joined(separator: "\n")
    }

    static func describe(_ identity: ModelIdentity) -> String {
        let parameters = identity.parameterCount >= 1_000_000
            ? format("%.1f M", Double(identity.parameterCount) / 1e6) : grouped(identity.parameterCount)
        return "\(parameters) parameters, \(identity.dtypes.joined(separator: "/")), \(identity.files.count) file\(identity.files.count == 1 ? "" : "s")"
    }

    static func grouped(_ value: Int) -> String {
        let digits = String(value)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return out
    }

    static func headline(_ comparison: Comparison) -> String {
        if comparison.exact.identicalFiles > 0 { return "\(comparison.exact.identicalFiles) identical file(s)" }
        if comparison.exact.sameValues { return "same weights after canonicalisation" }
        if !comparison.alignment.permutedLayers.isEmpty { return "neuron profiles match; \(comparison.alignment.permutedLayers.count) layers permuted" }
        if let changes = comparison.alignment.widthChanges, changes.contains(where: \.isPruned) {
            return "width-pruned: " + changes.map(\.shortText).joined(separator: ", ")
        }
        let matched = comparison.tensors.filter(\.significant).count
        if matched > 0 { return "\(matched)/\(comparison.tensors.count) matrices match by sketch" }
        return "no significant match"
    }

    static func table(_ header: [String], _ rows: [[String]], numeric: Set<Int>) -> String {
        var widths = header.map(\.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                return numeric.contains(index) ? pad + cell : cell + pad
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    static func format(_ pattern: String, _ arguments: any CVarArg...) -> String {
        String(format: pattern, arguments: arguments)
    }
}
