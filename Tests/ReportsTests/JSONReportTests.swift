import Foundation
import Testing
@testable import Matching
@testable import Reports

/// JSON reports: the schema header, stable bytes, round trips into the result types,
/// precise errors for documents that are not reports, and a documented schema.
@Suite("JSON reports")
struct JSONReportTests {
    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("the envelope names the schema, its version and the kind")
    func header() throws {
        let comparison = try Self.object(ReportRenderer.json(ResultFixtures.comparison()))
        #expect(comparison["schema"] as? String == "provenance.report")
        #expect(comparison["schemaVersion"] as? Int == 1)
        #expect(comparison["kind"] as? String == "comparison")
        #expect(Set(comparison.keys) == ["schema", "schemaVersion", "kind", "result"])
        let scan = try Self.object(ReportRenderer.json(ResultFixtures.scan()))
        #expect(scan["kind"] as? String == "scan")
    }

    @Test("output is pretty-printed with sorted keys and byte-stable")
    func stable() throws {
        let first = try ReportRenderer.json(ResultFixtures.scan())
        let second = try ReportRenderer.json(ResultFixtures.scan())
        #expect(first == second)
        #expect(first.hasPrefix("{\n  \"kind\" : \"scan\",\n  \"result\" : {"))
        #expect(first.hasSuffix("\"schema\" : \"provenance.report\",\n  \"schemaVersion\" : 1\n}\n"))
        // Metadata keys (a dictionary) come out sorted too.
        let comparison = try ReportRenderer.json(ResultFixtures.comparison())
        let keys = ["\"homepage\"", "\"license\"", "\"org\"", "\"released\"", "\"url\""].map { comparison.range(of: $0)!.lowerBound }
        #expect(keys == keys.sorted())
        #expect(!comparison.contains("\\/"))
    }

    @Test("a comparison report decodes back to the same result")
    func comparisonRoundTrip() throws {
        let original = ResultFixtures.comparison(.hostile)
        let text = try ReportRenderer.json(original)
        guard case .comparison(let decoded) = try ReportJSON.decode(Data(text.utf8)) else {
            Issue.record("decoded as a scan")
            return
        }
        #expect(decoded.suspect == original.suspect)
        #expect(decoded.reference == original.reference)
        #expect(decoded.verdict == original.verdict)
        #expect(decoded.exact == original.exact)
        #expect(decoded.tensors == original.tensors)
        #expect(decoded.layers == original.layers)
        #expect(decoded.profiles == original.profiles)
        #expect(decoded.heatmaps == original.heatmaps)
        #expect(decoded.curves == original.curves)
        #expect(decoded.alignment == original.alignment)
        #expect(decoded.method == original.method)
        #expect(try ReportRenderer.json(decoded) == text)
    }

    @Test("a scan report decodes back to the same result")
    func scanRoundTrip() throws {
        let original = ResultFixtures.scan()
        let text = try ReportRenderer.json(original)
        guard case .scan(let decoded) = try ReportJSON.decode(Data(text.utf8)) else {
            Issue.record("decoded as a comparison")
            return
        }
        #expect(decoded.attribution == original.attribution)
        #expect(decoded.suspect == original.suspect)
        #expect(decoded.method == original.method)
        #expect(decoded.candidates.map(\.verdict) == original.candidates.map(\.verdict))
        #expect(decoded.candidates.map(\.tensors) == original.candidates.map(\.tensors))
        #expect(try ReportRenderer.json(decoded) == text)
    }

    @Test("non-finite numbers are written as strings and read back")
    func nonFinite() throws {
        var result = ResultFixtures.comparison()
        result.verdict.log10P = -.infinity
        result.curves[0].correlation = .nan
        let text = try ReportRenderer.json(result)
        #expect(text.contains("\"log10P\" : \"-Infinity\""))
        #expect(text.contains("\"correlation\" : \"NaN\""))
        guard case .comparison(let decoded) = try ReportJSON.decode(Data(text.utf8)) else {
            Issue.record("decoded as a scan")
            return
        }
        #expect(decoded.verdict.log10P == -.infinity)
        #expect(decoded.curves[0].correlation?.isNaN == true)
    }

    @Test("documents that are not reports get precise errors")
    func decodeErrors() throws {
        func decode(_ text: String) -> ReportError? {
            do { _ = try ReportJSON.decode(Data(text.utf8)); return nil } catch { return error }
        }
        #expect(decode("not json") == .invalidJSON(reason: "the data is not valid JSON"))
        #expect(decode("{}") == .notAReport(schema: nil))
        #expect(decode(#"{"schema":"provenance.fingerprint","schemaVersion":1}"#) == .notAReport(schema: "provenance.fingerprint"))
        #expect(decode(#"{"schema":"provenance.report","schemaVersion":2,"kind":"scan"}"#) == .unsupportedSchemaVersion(found: 2, supported: 1))
        #expect(decode(#"{"schema":"provenance.report","schemaVersion":1,"kind":"merge"}"#) ==
                .invalidJSON(reason: "'kind' is 'merge', expected 'comparison' or 'scan'"))
        // A real report with one field removed names the missing field's path.
        var object = try Self.object(ReportRenderer.json(ResultFixtures.comparison()))
        var result = try #require(object["result"] as? [String: Any])
        var verdict = try #require(result["verdict"] as? [String: Any])
        verdict.removeValue(forKey: "kind")
        result["verdict"] = verdict
        object["result"] = result
        let broken = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        #expect(decode(broken) == .invalidJSON(reason: "'result.verdict.kind' is missing"))
        #expect(ReportError.invalidJSON(reason: "'result.verdict.kind' is missing").description ==
                "The report JSON does not match the schema: 'result.verdict.kind' is missing.")
    }

    @Test("every field the JSON contains is documented in docs/REPORT_SCHEMA.md")
    func schemaDocumented() throws {
        let document = try String(contentsOf: Golden.repositoryFile("docs/REPORT_SCHEMA.md"), encoding: .utf8)
        var keys = Set<String>()
        func collect(_ value: Any, under parent: String?) {
            if let object = value as? [String: Any] {
                for (key, child) in object {
                    // Keys of free-form maps are data, not schema.
                    if parent != "metadata" && parent != "layerMap" { keys.insert(key) }
                    collect(child, under: key)
                }
            } else if let array = value as? [Any] {
                for child in array { collect(child, under: parent) }
            }
        }
        collect(try Self.object(ReportRenderer.json(ResultFixtures.comparison())), under: nil)
        collect(try Self.object(ReportRenderer.json(ResultFixtures.scan())), under: nil)
        collect(try Self.object(ReportRenderer.json(ResultFixtures.mergeScan())), under: nil)
        collect(try Self.object(ReportRenderer.json(FullWeightsReportTests.comparison())), under: nil)
        #expect(keys.count > 80)
        // Documented as `key` or as a path ending in it (`files[].name`).
        let undocumented = keys.filter { !document.contains("`\($0)`") && !document.contains(".\($0)`") }.sorted()
        #expect(undocumented == [], "fields missing from docs/REPORT_SCHEMA.md")
    }
}
