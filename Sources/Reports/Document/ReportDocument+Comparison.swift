import Matching

// MARK: - Comparison reports

extension ReportDocument {
    init(comparison result: Comparison) {
        let builder = ComparisonSections(result: result, idPrefix: "")
        self.init(
            title: ["Provenance report: ", .code(result.suspect.label), " vs ", .code(result.reference.label)],
            lead: builder.lead,
            sections: builder.sections(includeMethod: true))
    }
}
