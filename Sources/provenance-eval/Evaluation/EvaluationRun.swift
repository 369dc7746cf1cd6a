import BenchmarkSupport
import Fingerprinting
import Foundation
import Matching
import Perturbation

/// Runs the whole evaluation: lineage facts, every suspect through the four methods, the null
/// calibration, then prints the report (and writes it as Markdown).
enum EvaluationRun {
    static func main(arguments: [String]) -> Int32 {
        let options: EvaluationOptions
        do {
            options = try EvaluationOptions.parse(arguments)
        } catch {
            print(error.text)
            return error.isHelp ? 0 : 2
        }
        do {
            try run(options)
            return 0
        } catch {
            FileHandle.standardError.write(Data("provenance-eval: error: \(error)\n".utf8))
            return 2
        }
    }

    static func run(_ options: EvaluationOptions) throws {
        let start = Date()
        var ownPhases: [Phase] = []
        func phase<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
            let began = Date()
            let value = try body()
            ownPhases.append(Phase(name: name, seconds: Date().timeIntervalSince(began), peakBytes: ResourceUsage.peakResidentBytes))
            return value
        }
        func log(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }

        var facts = try LineageFacts.read(lineage: options.lineage)
        let builder = try SuspectBuilder(options: options)

        // The lineage models: fingerprints and raw cosines.
        let lineage: [LineageModel: EvaluatedModel] = try phase("fingerprint the 6 lineage models") {
            var models: [LineageModel: EvaluatedModel] = [:]
            for model in LineageModel.allCases { models[model] = try EvaluatedModel.load(label: model.label, path: model.path(options)) }
            return models
        }
        try phase("raw weight cosines of the lineage") {
            let pairs: [(LineageModel, LineageModel)] = [
                (.release, .base), (.sibling, .base), (.sibling, .release), (.releaseFineTuned, .release),
                (.releaseFineTuned, .base), (.independent1, .independent2), (.independent1, .base),
            ]
            for (a, b) in pairs {
                let (cosine, change) = LineageFacts.cosine(try builder.load(a), try builder.load(b))
                facts.cosines.append((a.label, b.label, cosine, change))
            }
        }
        let registry = LineageModel.registry.map { lineage[$0]! }
        log("registry: " + registry.map(\.label).joined(separator: ", "))

        // Every suspect through every method.
        let recipes = SuspectCatalogue.all
        var rows: [RowResult] = []
        try phase("build, fingerprint and scan \(recipes.count) suspects") {
            for (index, recipe) in recipes.enumerated() {
                let buildStart = Date()
                let (path, built) = try builder.build(recipe)
                let buildSeconds = Date().timeIntervalSince(buildStart)
                let fingerprintStart = Date()
                let suspect = try EvaluatedModel.load(label: recipe.name, path: path)
                let fingerprintSeconds = Date().timeIntervalSince(fingerprintStart)
                let row = RowResult(
                    recipe: recipe, provenance: ProvenanceMethod.scan(suspect, registry: registry),
                    wholeFile: WholeFileDigest.attribute(suspect, registry: registry),
                    tensorSet: TensorDigestSet.attribute(suspect, registry: registry),
                    stdCurve: StdCurveCorrelation.attribute(suspect, registry: registry),
                    buildSeconds: buildSeconds, fingerprintSeconds: fingerprintSeconds)
                rows.append(row)
                log(String(format: "[%2d/%d] %@ %@: %@ (%@, p = %@) in %.1f s (%@ %.1f s, fingerprint %.1f s, scan %.1f s)",
                           index + 1, recipes.count, row.provenanceCorrect ? "ok  " : "MISS", recipe.name,
                           row.provenance.attributionCell, row.provenance.verdict.rawValue, row.provenance.pValue,
                           buildSeconds + fingerprintSeconds + row.provenance.seconds, built ? "build" : "cached", buildSeconds,
                           fingerprintSeconds, row.provenance.seconds))
            }
        }

        // Null calibration.
        var nulls: [NullCalibration.Summary] = []
        try phase("null calibration (\(options.nullPairs) generated pairs × \(NullCalibration.families.count) families + real pairs)") {
            for family in NullCalibration.families {
                let summary = try NullCalibration.generated(family, pairs: options.nullPairs, scratch: options.work)
                log(String(format: "null: %@: %d of %d flagged at the default threshold (%.1f s)",
                           summary.name, summary.flaggedAtDefault, summary.count, summary.seconds))
                nulls.append(summary)
            }
            nulls.append(NullCalibration.real(lineage))
        }

        let report = EvaluationReport(
            options: options, facts: facts, rows: rows, nulls: nulls, makePhases: options.phases.map(Phase.read) ?? [],
            ownPhases: ownPhases, harnessSeconds: Date().timeIntervalSince(start), harnessPeakBytes: ResourceUsage.peakResidentBytes)
        log("")
        log(report.plainText)
        if let path = options.markdown {
            try Data(report.markdown.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            log("\nMarkdown report written to \(path)")
        }
        if let path = options.doc {
            try report.splice(into: path)
            log("Generated section of \(path) updated")
        }
    }
}
