import Foundation
import Matching
@testable import Reports
import Testing

@Suite("Reports of a compare --deep result")
struct FullWeightsReportTests {
    static func comparison() -> Comparison {
        var result = ResultFixtures.comparison()
        result.fullWeights = FullWeightEvidence(
            pairs: [
                .init(suspectTensor: "x.q", referenceTensor: "model.layers.0.self_attn.q_proj.weight", elements: 4096, transposed: false,
                      cosine: 0.99995, scale: 1, relativeDifference: 0.01, identicalFraction: 0, differenceKurtosis: -0.1),
                .init(suspectTensor: "x.k", referenceTensor: "model.layers.0.self_attn.k_proj.weight", elements: 4096, transposed: true,
                      cosine: 1, scale: 1, relativeDifference: 0, identicalFraction: 1, differenceKurtosis: nil),
            ],
            skipped: [.init(suspectTensor: "x.embed", reason: "stored transposed and larger than 8388608 elements")])
        return result
    }

    @Test("Markdown and HTML carry the section, its summary and one row per pair; JSON decodes back")
    func rendered() throws {
        let result = Self.comparison()
        let markdown = ReportRenderer.markdown(result)
        #expect(markdown.contains("Full-weight comparison"))
        for line in result.fullWeights!.summary { #expect(markdown.contains(line), "\(line)") }
        #expect(markdown.contains("`x.q` → `model.layers.0.self_attn.q_proj.weight`"))
        #expect(result.fullWeights!.summary.contains { $0.contains("1 matched matrix was not compared: stored transposed") })

        let html = ReportRenderer.html(result)
        let inspector = XHTMLInspector.inspect(html)
        #expect(inspector.parseError == nil)
        #expect(inspector.allText.contains("Full-weight comparison"))

        let text = try ReportRenderer.json(result)
        guard case .comparison(let decoded) = try ReportJSON.decode(Data(text.utf8)) else {
            Issue.record("decoded as a scan")
            return
        }
        #expect(decoded.fullWeights == result.fullWeights)
        // Without --deep there is no section and no key.
        #expect(!ReportRenderer.markdown(ResultFixtures.comparison()).contains("Full-weight comparison"))
        #expect(!(try ReportRenderer.json(ResultFixtures.comparison())).contains("fullWeights"))
    }

    @Test("a pair lined up by recovered indices: the table says how, the summary says it is exact pruning, JSON keeps it")
    func recoveredIndices() throws {
        var result = ResultFixtures.comparison()
        var pruned = FullWeightEvidence.Pair(
            suspectTensor: "model.layers.0.mlp.up_proj.weight", referenceTensor: "model.layers.0.mlp.up_proj.weight", elements: 132 * 48,
            transposed: false, cosine: 1, scale: 1, relativeDifference: 0, identicalFraction: 1, differenceKurtosis: nil)
        pruned.recoveredIndices = RecoveredIndices(hiddenAxis: "columns", suspectHidden: 48, referenceHidden: 64, matchedHidden: 48, hiddenOrder: .inOrder,
                                                   suspectUnits: 132, referenceUnits: 176, matchedUnits: 132, unitOrder: .inOrder)
        result.fullWeights = FullWeightEvidence(pairs: [pruned], skipped: [])
        let markdown = ReportRenderer.markdown(result)
        #expect(markdown.contains("| Lined up |"))
        #expect(markdown.contains("hidden 48/64 in order, units 132/176 in order"))
        #expect(markdown.contains("(exact width pruning)"))
        #expect(markdown.contains("all 48 of the suspect's dimensions are found among the reference's 64, in the reference's order (16 removed: width pruning)"))
        let inspector = XHTMLInspector.inspect(ReportRenderer.html(result))
        #expect(inspector.parseError == nil)
        #expect(inspector.allText.contains("hidden 48/64 in order, units 132/176 in order"))
        let text = try ReportRenderer.json(result)
        #expect(text.contains("\"unitOrder\" : \"in order\""))
        guard case .comparison(let decoded) = try ReportJSON.decode(Data(text.utf8)) else {
            Issue.record("decoded as a scan")
            return
        }
        #expect(decoded.fullWeights == result.fullWeights)
        // Pairs compared as stored say so.
        #expect(ReportRenderer.markdown(Self.comparison()).contains("as stored"))
    }

    @Test("a layer matched by the weights: the chart's legend gains `weights` and its bar says exact cosine; without one the legend has no such entry")
    func layerMatchedByWeights() throws {
        var result = ResultFixtures.comparison()
        let plain = ReportRenderer.html(result)
        #expect(!plain.contains(": exact cosine") && !plain.contains(">weights<"))
        result.layers[1].matchedBy = LayerMatch.matchedByWeights
        result.layers[1].meanCosine = 0.9998
        let html = ReportRenderer.html(result)
        let inspector = XHTMLInspector.inspect(html)
        #expect(inspector.parseError == nil)
        #expect(inspector.allText.contains("layer 0: exact cosine 0.9998"), "\(inspector.allText)")
        #expect(inspector.allText.contains("matched by weights") && html.contains(">weights<"))  // tooltip and legend
        #expect(ReportRenderer.markdown(result).contains("| layer 0 | weights |"))
        // The terminal table: "EST. COSINE" while every cosine is a sketch estimate, "COSINE"
        // with a note once a row carries an exact one.
        #expect(TerminalSummary.render(ResultFixtures.comparison()).contains("EST. COSINE"))
        let terminal = TerminalSummary.render(result)
        #expect(!terminal.contains("EST. COSINE") && terminal.contains("exact (element by element) where MATCHED BY is weights"), "\(terminal)")
    }
}
