import Foundation
import Matching

/// The evaluation report, computed from the measured rows: plain text for the terminal and
/// Markdown for docs/EVALUATION.md (the same tables).
struct EvaluationReport {
    var options: EvaluationOptions
    var facts: LineageFacts
    var rows: [RowResult]
    var nulls: [NullCalibration.Summary]
    /// Phases measured by the Makefile before this program ran (venv, fetch, training, build).
    var makePhases: [Phase]
    /// This program's own phases.
    var ownPhases: [Phase]
    var harnessSeconds: Double
    var harnessPeakBytes: UInt64

    var summaries: [MethodSummary] { MethodSummary.of(rows) }

    // MARK: - Sections

    var headline: String {
        let all = summaries
        let p = all[0]
        let others = all.dropFirst().map { "\($0.name) \($0.correct)/\($0.rows) (\($0.falsePositives) false positive\($0.falsePositives == 1 ? "" : "s"))" }
        let generated = nulls.filter { $0.name.hasPrefix("generated") }
        let nullPairs = generated.reduce(0) { $0 + $1.count }
        let nullFlagged = generated.reduce(0) { $0 + $1.flaggedAtDefault }
        return "provenance attributes \(p.correct) of \(p.rows) real-weight suspects and negatives correctly (model and verdict), "
            + "with \(p.falsePositives) false positive\(p.falsePositives == 1 ? "" : "s") and \(nullFlagged) of \(nullPairs) independent null pairs flagged; "
            + "reference methods: " + others.joined(separator: ", ") + "."
    }

    func lineageTables() -> [(String, TextTable)] {
        var corpora = TextTable(headers: ["corpus", "source", "tokens", "SHA-256 (text)"], numeric: [2])
        for corpus in facts.corpora { corpora.append([corpus.name, corpus.source, String(corpus.tokens), String(corpus.sha256.prefix(16)) + "…"]) }
        var training = TextTable(headers: ["model", "start", "corpus", "MLM steps", "loss (first → last 50 steps)", "seconds"], numeric: [3, 5])
        for item in facts.trainings {
            training.append([item.name, item.start, item.corpus, String(item.steps),
                             String(format: "%.2f → %.2f", item.lossFirst, item.lossLast), String(format: "%.0f", item.seconds)])
        }
        var cosines = TextTable(headers: ["a", "b", "cos(a, b), all weights", "‖a − b‖ / ‖b‖"], numeric: [2, 3])
        for (a, b, cosine, change) in facts.cosines { cosines.append([a, b, String(format: "%.5f", cosine), String(format: "%.4f", change)]) }
        return [("Corpora", corpora), ("Training (\(facts.versions); batch \(facts.batch) × \(facts.length) tokens)", training),
                ("Raw weight similarity", cosines)]
    }

    var resultsTable: TextTable {
        var table = TextTable(
            headers: ["#", "suspect", "expected", "provenance", "verdict", "p (combined)", "est. cos", "β(release|base)",
                      "whole-file SHA-256", "tensor SHA-256 set", "std-curve r ≥ 0.9"],
            numeric: [0, 5, 6, 7])
        func mark(_ ok: Bool) -> String { ok ? "✓" : "✗" }
        for (index, row) in rows.enumerated() {
            let p = row.provenance
            let expectation = row.expectation
            table.append([
                String(index + 1), row.recipe.name, expectation.text,
                "\(p.attributionCell) \(mark(Scoring.attributionCorrect(p, expectation)))",
                "\(p.verdict.rawValue) \(mark(Scoring.verdictCorrect(p, expectation)))",
                p.pValue, p.estimatedCosine.map { String(format: "%.4f", $0) } ?? "–",
                p.betaReleaseOverBase.map { String(format: "%.3f", $0) } ?? "–",
                "\(row.wholeFile.cell) \(mark(Scoring.correct(row.wholeFile, expectation)))",
                "\(row.tensorSet.cell) \(mark(Scoring.correct(row.tensorSet, expectation)))",
                "\(row.stdCurve.cell) \(mark(Scoring.correct(row.stdCurve, expectation)))",
            ])
        }
        return table
    }

    var summaryTable: TextTable {
        var table = TextTable(headers: ["method", "correct", "false positives", "note"], numeric: [])
        for summary in summaries {
            let note = summary.attributionOnly.map { "right model(s) in \($0)/\(summary.rows); correct = right model(s) and right verdict" }
                ?? "correct = names the right model (any component of a merge) or none for the unrelated model"
            table.append([summary.name, "\(summary.correct)/\(summary.rows)", String(summary.falsePositives), note])
        }
        return table
    }

    var nullTable: TextTable {
        var table = TextTable(
            headers: ["null pairs", "pairs", "flagged (default 1e-6)", "p < 0.05 (nominal 5%)", "p < 0.01 (nominal 1%)", "smallest p"],
            numeric: [1])
        func rate(_ count: Int, _ total: Int) -> String { String(format: "%d (%.1f%%)", count, total > 0 ? 100 * Double(count) / Double(total) : 0) }
        for null in nulls {
            table.append([null.name, String(null.count), rate(null.flaggedAtDefault, null.count), rate(null.below(0.05), null.count),
                          rate(null.below(0.01), null.count), LogProbability.format(null.smallestLog10P * log(10.0))])
        }
        return table
    }

    var realNullTable: TextTable {
        var table = TextTable(headers: ["pair (independent training)", "combined p", "verdict"], numeric: [])
        for pair in nulls.last?.pairs ?? [] {
            table.append(["\(pair.first) vs \(pair.second)", LogProbability.format(pair.log10P * log(10.0)), pair.verdict.rawValue])
        }
        return table
    }

    var timingTable: TextTable {
        var table = TextTable(headers: ["phase", "seconds", "peak RSS"], numeric: [1, 2])
        func mib(_ bytes: UInt64) -> String { bytes == 0 ? "–" : String(format: "%.0f MiB", Double(bytes) / 1_048_576) }
        for phase in makePhases { table.append([phase.name, String(format: "%.0f", phase.seconds), mib(phase.peakBytes)]) }
        for phase in ownPhases { table.append(["  provenance-eval: " + phase.name, String(format: "%.1f", phase.seconds), ""]) }
        table.append(["provenance-eval (total)", String(format: "%.0f", harnessSeconds), mib(harnessPeakBytes)])
        let total = makePhases.reduce(0) { $0 + $1.seconds } + harnessSeconds
        let peak = max(makePhases.map(\.peakBytes).max() ?? 0, harnessPeakBytes)
        table.append(["make eval (total)", String(format: "%.0f", total), mib(peak)])
        return table
    }

    /// Rows provenance got wrong, with the numbers behind the decision.
    var failures: [String] {
        rows.filter { !$0.provenanceCorrect }.map { row in
            var lines = ["\(row.recipe.name): expected \(row.expectation.text); got \(row.provenance.attributionCell) (\(row.provenance.verdict.rawValue)).",
                         "  attribution: \(row.provenance.scan.attribution.sentence)"]
            for candidate in row.provenance.scan.candidates {
                let v = candidate.verdict
                lines.append(String(format: "  vs %@: %@, p = %@, est. cos %@, coverage %.0f%%", candidate.reference.label, v.kind.rawValue, v.pValue,
                                    v.estimatedCosine.map { String(format: "%.4f", $0) } ?? "–", v.coverage * 100))
            }
            for relation in row.provenance.scan.attribution.relations {
                lines.append("  relation \(relation.from) → \(relation.toward): " + (relation.beta.map { String(format: "β = %.3f, ", $0) } ?? "")
                             + "\(relation.method): \(relation.conclusion)")
            }
            return lines.joined(separator: "\n")
        }
    }

    /// Every row's attribution sentence and how related candidates were told apart.
    var details: [String] {
        rows.map { row in
            var lines = ["\(row.recipe.name) — \(row.provenance.scan.attribution.sentence)"]
            for relation in row.provenance.scan.attribution.relations {
                lines.append("    \(relation.from) → \(relation.toward): " + (relation.beta.map { String(format: "β = %.3f, ", $0) } ?? "")
                             + "\(relation.method): \(relation.conclusion)")
            }
            return lines.joined(separator: "\n")
        }
    }

    // MARK: - Renderings

    var plainText: String {
        var out = ["== provenance detection quality on a real lineage (all-MiniLM-L6-v2) ==", "", headline, ""]
        for (title, table) in lineageTables() { out += [title, table.plainText, ""] }
        out += ["Results (registry: base, release, independent-1; ✓ right, ✗ wrong)", resultsTable.plainText, ""]
        out += ["Summary", summaryTable.plainText, ""]
        let failures = self.failures
        out += ["provenance misses: \(failures.isEmpty ? "none" : "")"] + failures + [""]
        out += ["Null calibration", nullTable.plainText, "", realNullTable.plainText, ""]
        out += ["Run time and memory", timingTable.plainText]
        return out.joined(separator: "\n")
    }

    static let beginMarker = "<!-- BEGIN GENERATED BY provenance-eval: do not edit by hand -->"
    static let endMarker = "<!-- END GENERATED -->"

    /// The generated Markdown: every table of the run.
    var markdown: String {
        let processors = ProcessInfo.processInfo.activeProcessorCount
        var out = [
            "**Headline.** " + headline,
            "",
            "Produced by `\(options.command)` on a \(processors)-core machine (\(ProcessInfo.processInfo.operatingSystemVersionString)).",
            "",
        ]
        out += ["### Results", "", "Registry: `base` (the real all-MiniLM-L6-v2), `release`, `independent-1`. ✓ right, ✗ wrong.", "", resultsTable.markdown, ""]
        out += ["### Summary", "", summaryTable.markdown, ""]
        let failures = self.failures
        out += ["### provenance misses", ""]
        out += failures.isEmpty ? ["None."] : ["```"] + failures + ["```"]
        out += ["", "### Attribution sentences and lineage relations (every row)", "", "<details><summary>show</summary>", "", "```"]
        out += details
        out += ["```", "", "</details>"]
        out += ["", "### Null calibration", "", nullTable.markdown, "", realNullTable.markdown, ""]
        out += ["### The lineage", ""]
        for (title, table) in lineageTables() { out += ["#### \(title)", "", table.markdown, ""] }
        out += ["### Run time and memory", "", timingTable.markdown, ""]
        out += ["### Rebuilding each suspect with `provenance perturb`", "", "```"]
        out += rows.map(\.recipe.command)
        out += ["```"]
        return out.joined(separator: "\n")
    }

    /// Replaces the generated section of the document at `path` (between the markers).
    func splice(into path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw EvaluationError("\(path) does not exist.") }
        let text = String(decoding: data, as: UTF8.self)
        guard let begin = text.range(of: Self.beginMarker), let end = text.range(of: Self.endMarker, range: begin.upperBound..<text.endIndex) else {
            throw EvaluationError("\(path) has no generated section (\(Self.beginMarker) … \(Self.endMarker)).")
        }
        let updated = String(text[..<begin.upperBound]) + "\n\n" + markdown + "\n\n" + String(text[end.lowerBound...])
        try Data(updated.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
