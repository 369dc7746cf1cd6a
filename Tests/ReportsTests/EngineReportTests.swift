import ModelFixtures
import Checkpoints
import Fingerprinting
import Foundation
import Matching
import Reports
import SyntheticModels
import Testing

/// Reports from real engine output: synthetic checkpoints are written, fingerprinted and
/// matched, then rendered in every format and checked like the hand-built fixtures.
@Suite("Reports from engine results")
struct EngineReportTests {
    static func fingerprint(_ model: ModelWeights, label: String) throws -> Fingerprint {
        try Fixtures.fingerprint(model)
    }

    @Test("a fine-tuned copy and an independent model: comparison and scan reports render and round-trip")
    func engineResults() throws {
        let release = ModelGenerator.generate(.tinyLlama, seed: 41)
        let suspect = SimulatedTraining.fineTune(release, seed: 7, strength: 0.1)
        let unrelated = ModelGenerator.generate(.tinyLlama, seed: 99)
        let releasePrint = try Self.fingerprint(release, label: "release")
        let suspectPrint = try Self.fingerprint(suspect, label: "suspect")
        let unrelatedPrint = try Self.fingerprint(unrelated, label: "unrelated")

        var options = MatchingOptions()
        options.command = "provenance scan suspect/ --report scan.html"
        let suspectIdentity = ModelIdentity(fingerprint: suspectPrint, label: "suspect/", kind: "checkpoint")
        let comparisons = [
            (releasePrint, ModelIdentity(fingerprint: releasePrint, label: "acme/tiny@1.0", kind: "release",
                                         metadata: ["org": "ACME", "url": "https://example.org/acme/tiny"])),
            (unrelatedPrint, ModelIdentity(fingerprint: unrelatedPrint, label: "other/tiny@2.0", kind: "release")),
        ].map { print, identity in
            (fingerprint: print, result: PairComparison.compare(
                suspect: suspectPrint, suspectIdentity: suspectIdentity, reference: print, referenceIdentity: identity, options: options))
        }
        let scan = LineageAnalysis.attribute(suspect: suspectPrint, suspectIdentity: suspectIdentity, comparisons: comparisons, options: options)
        let comparison = comparisons[0].result

        // HTML: well-formed, self-contained, with the plots the result has data for.
        for html in [ReportRenderer.html(comparison), ReportRenderer.html(scan)] {
            let inspector = XHTMLInspector.inspect(html)
            #expect(inspector.parseError == nil)
            #expect(inspector.externalResourceProblems() == [])
            let expectedPlots = comparison.heatmaps.count + (comparison.layers.isEmpty ? 0 : 1)
                + (comparison.profiles.isEmpty ? 0 : 1) + comparison.curves.count
            #expect(inspector.elements(named: "svg").count >= expectedPlots)
            #expect(inspector.allText.contains(comparison.verdict.sentence))
        }
        // Markdown: GFM tables intact, every tensor listed, the verdict sentence first.
        let markdown = ReportRenderer.markdown(comparison)
        #expect(MarkdownInspector.tableProblems(markdown) == [])
        #expect(MarkdownInspector.rawHTML(markdown) == [])
        for match in comparison.tensors { #expect(markdown.contains("`\(match.suspectTensor)`")) }
        let lead = try #require(markdown.components(separatedBy: "\n").first { $0.hasPrefix("> ") })
        #expect(lead.contains("Verdict: \(comparison.verdict.kind == .independent ? "Independent" : "")"))
        let scanMarkdown = ReportRenderer.markdown(scan)
        #expect(MarkdownInspector.tableProblems(scanMarkdown) == [])
        #expect(scanMarkdown.contains("acme/tiny@1.0") && scanMarkdown.contains("other/tiny@2.0"))

        // JSON: round trip through the engine's own types.
        let text = try ReportRenderer.json(scan)
        guard case .scan(let decoded) = try ReportJSON.decode(Data(text.utf8)) else {
            Issue.record("decoded as a comparison")
            return
        }
        #expect(decoded.attribution == scan.attribution)
        #expect(decoded.candidates.map(\.tensors) == scan.candidates.map(\.tensors))
        #expect(try ReportRenderer.json(decoded) == text)

        if let directory = ProcessInfo.processInfo.environment["PROVENANCE_REPORT_SAMPLES"] {
            try Data(ReportRenderer.html(scan).utf8).write(to: URL(fileURLWithPath: directory).appendingPathComponent("engine-scan.html"))
            try Data(scanMarkdown.utf8).write(to: URL(fileURLWithPath: directory).appendingPathComponent("engine-scan.md"))
            try Data(text.utf8).write(to: URL(fileURLWithPath: directory).appendingPathComponent("engine-scan.json"))
        }
    }

    @Test("a renamed copy with permuted neurons: the report names no chance tensor alignments and says why sketches miss")
    func permutedCopy() throws {
        let release = ModelGenerator.generate(.tinyLlama, seed: 41)
        let copy = TestAttacks.permuteHeads(TestAttacks.permuteNeurons(release, seed: 3), seed: 4)
        let suspectPrint = try Fixtures.fingerprint(copy, layout: .init(rename: { "transformer." + $0 }))
        let releasePrint = try Self.fingerprint(release, label: "release")
        let comparison = PairComparison.compare(
            suspect: suspectPrint, suspectIdentity: ModelIdentity(fingerprint: suspectPrint, label: "copy/", kind: "checkpoint"),
            reference: releasePrint, referenceIdentity: ModelIdentity(fingerprint: releasePrint, label: "acme/tiny@1.0", kind: "release"))
        #expect(comparison.verdict.isFlagged, "\(comparison.verdict.sentence)")
        #expect(!comparison.alignment.permutedLayers.isEmpty)
        #expect(comparison.alignment.sharedTensorNames == 0)
        #expect(comparison.alignment.suspectTensorNames == copy.tensors.count)

        let markdown = ReportRenderer.markdown(comparison)
        #expect(markdown.contains("do not see through the neuron permutation"))
        #expect(markdown.contains("0 of \(copy.tensors.count) suspect tensor names occur in the reference"))
        // Rows of insignificant matches must not name a reference tensor.
        let insignificant = comparison.tensors.filter { !$0.significant && $0.exact == nil }
        #expect(!insignificant.isEmpty, "permuted matrices should have no significant sketch match")
        for match in insignificant {
            let row = try #require(markdown.components(separatedBy: "\n").first { $0.contains("`\(match.suspectTensor)` →") })
            #expect(row.contains("no significant match"), "\(row)")
            if let reference = match.referenceTensor { #expect(!row.contains("`\(reference)`"), "\(row)") }
        }
    }

    @Test("a width-pruned copy: the report gives the widths and calls the renumbered neurons not permuted")
    func prunedCopy() throws {
        let release = ModelGenerator.generate(.tinyLlama, seed: 41)
        // Every fourth MLP neuron removed (132 of 176 kept, in order), as structured pruning does.
        let spec = release.spec, f = spec.intermediateSize, d = spec.hiddenSize
        let kept = (0..<f).filter { $0 % 4 != 0 }
        var pruned = release
        for index in pruned.tensors.indices {
            let tensor = pruned.tensors[index]
            if tensor.name.hasSuffix("gate_proj.weight") || tensor.name.hasSuffix("up_proj.weight") {
                pruned.tensors[index] = .init(name: tensor.name, shape: [kept.count, d], values: kept.flatMap { tensor.values[($0 * d)..<(($0 + 1) * d)] })
            } else if tensor.name.hasSuffix("down_proj.weight") {
                pruned.tensors[index] = .init(name: tensor.name, shape: [d, kept.count], values: (0..<d).flatMap { row in kept.map { tensor.values[row * f + $0] } })
            }
        }
        let suspectPrint = try Fixtures.fingerprint(pruned), releasePrint = try Self.fingerprint(release, label: "release")
        let comparison = PairComparison.compare(
            suspect: suspectPrint, suspectIdentity: ModelIdentity(fingerprint: suspectPrint, label: "pruned/", kind: "checkpoint"),
            reference: releasePrint, referenceIdentity: ModelIdentity(fingerprint: releasePrint, label: "acme/tiny@1.0", kind: "release"))
        #expect(comparison.verdict.sentence.contains("(width-pruned)"), "\(comparison.verdict.sentence)")

        let markdown = ReportRenderer.markdown(comparison)
        #expect(MarkdownInspector.tableProblems(markdown) == [])
        let widths = try #require(markdown.components(separatedBy: "\n").first { $0.contains("Widths (suspect/reference)") })
        #expect(widths.contains("mlp 132/176 in layers 0–3"), "\(widths)")
        let profileRows = markdown.components(separatedBy: "\n").filter { $0.hasPrefix("| mlp |") }
        #expect(profileRows.count == 4 && profileRows.allSatisfy { $0.contains("132 (132 of 176)") && $0.contains("no (renumbered, 100% in order)") },
                "\(profileRows)")
        #expect(!markdown.contains("do not see through the neuron permutation"))
        let html = ReportRenderer.html(comparison)
        #expect(XHTMLInspector.inspect(html).parseError == nil)
        #expect(html.contains("mlp 132/176"))
    }
}
