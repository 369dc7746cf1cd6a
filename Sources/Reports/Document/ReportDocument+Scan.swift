import Matching

// MARK: - Scan reports

extension ReportDocument {
    init(scan result: ScanResult) {
        let attribution = result.attribution
        let detailed = Self.detailedCandidates(result)
        var lead: [Block] = [
            .callout(attribution.verdict.callout, [.strong(["Verdict: \(attribution.verdict.displayName)."]), " ", .text(attribution.sentence)]),
        ]
        var facts: [Inline] = []
        if let nearest = attribution.nearest {
            facts += ["Nearest registered ancestor: ", .code(nearest), ". "]
        } else if attribution.verdict == .merge, !attribution.components.isEmpty {
            facts += ["Sources: "] + attribution.components.map { Inline.code($0.label) }.interspersed(with: ", ") + [". "]
        }
        facts += [.text("\(ReportNumbers.count(result.candidates.count)) candidate\(result.candidates.count == 1 ? "" : "s") compared; a candidate is flagged when its combined p-value is below "),
                  .value(ReportNumbers.threshold(result.method.threshold)), "."]
        lead.append(.paragraph(facts))

        var sections = [Self.attributionSection(attribution), Self.candidatesSection(result, detailed: detailed)]
        sections.append(Section(id: "suspect", title: ["Suspect"], blocks: [
            .table(ComparisonSections.identityTable([result.suspect], titles: ["Value"])),
            .section(Section(id: "suspect-files", title: ["Files"], blocks: [
                .table(ComparisonSections.filesTable([("suspect", result.suspect)])),
            ])),
        ]))
        for (number, candidate) in detailed {
            let builder = ComparisonSections(result: candidate, idPrefix: "c\(number)-")
            let blocks = builder.lead + builder.sections(includeMethod: false).map(Block.section)
            sections.append(Section(id: "c\(number)", title: ["Comparison with ", .code(candidate.reference.label)], blocks: blocks))
        }
        sections.append(ComparisonSections.method(result.method, id: "method"))
        self.init(title: ["Provenance scan: ", .code(result.suspect.label)], lead: lead, sections: sections)
    }

    /// The candidates shown in full: each attributed component, else the nearest ancestor,
    /// numbered by their rank in the candidate list (1-based).
    static func detailedCandidates(_ result: ScanResult) -> [(number: Int, result: Comparison)] {
        var chosen: [(number: Int, result: Comparison)] = []
        for label in result.attribution.attributedLabels {
            guard let index = result.candidates.firstIndex(where: { $0.reference.label == label }),
                  !chosen.contains(where: { $0.number == index + 1 }) else { continue }
            chosen.append((index + 1, result.candidates[index]))
        }
        return chosen
    }

    static func attributionSection(_ attribution: Attribution) -> Section {
        var blocks: [Block] = []
        if attribution.components.isEmpty {
            blocks.append(.paragraph(["No registered release is attributed."]))
        } else {
            blocks.append(.table(Table(
                columns: [.init(title: "Component"), .init(title: "Mixing weight", numeric: true), .init(title: "Layers taken")],
                rows: attribution.components.map { component in
                    [[.code(component.label)], [.text(component.weight.map { ReportNumbers.fixed($0, digits: 3) } ?? "—")],
                     [.text(component.layers.map { $0.isEmpty ? "none" : ReportNumbers.ranges($0) } ?? "—")]]
                })))
        }
        if !attribution.relations.isEmpty {
            blocks.append(.paragraph(["How related candidates were told apart. β(toward | from) regresses (suspect − from) on (toward − from) through the linear sketches: ≈1 the suspect carries toward's changes (toward is nearer), ≈0 it moved away from from on its own (e.g. an independent fine-tune of the same base)."]))
            blocks.append(.table(Table(
                columns: [.init(title: "From"), .init(title: "Toward"), .init(title: "β", numeric: true), .init(title: "Method"), .init(title: "Conclusion")],
                rows: attribution.relations.map { relation in
                    [[.code(relation.from)], [.code(relation.toward)], [.text(ReportNumbers.fixed(relation.beta, digits: 3))],
                     [.text(relation.method)], [.text(relation.conclusion)]]
                })))
        }
        return Section(id: "attribution", title: ["Attribution"], blocks: blocks)
    }

    static func candidatesSection(_ result: ScanResult, detailed: [(number: Int, result: Comparison)]) -> Section {
        guard !result.candidates.isEmpty else {
            return Section(id: "candidates", title: ["Candidates"], blocks: [.paragraph(["No candidate was retrieved from the registry."])])
        }
        let detailedNumbers = Set(detailed.map(\.number))
        let rows: [[[Inline]]] = result.candidates.enumerated().map { index, candidate in
            let number = index + 1
            let label: [Inline] = detailedNumbers.contains(number)
                ? [.internalLink([.code(candidate.reference.label)], sectionID: "c\(number)")]
                : [.code(candidate.reference.label)]
            return [[.text("\(number)")], label, [.text(candidate.verdict.kind.displayName)],
                    [.text(ReportNumbers.pValue(log10: candidate.verdict.log10P))],
                    [.text(ReportNumbers.cosine(candidate.verdict.estimatedCosine))],
                    [.text(ReportNumbers.percent(candidate.verdict.coverage))],
                    [.text("\(ReportNumbers.count(candidate.exact.sharedCanonicalTensors)) of \(ReportNumbers.count(candidate.exact.suspectTensors))")]]
        }
        return Section(id: "candidates", title: ["Candidates"], blocks: [
            .paragraph(["Every registered release compared with the suspect: the attributed release first, then the others, most significant first."]),
            .table(Table(columns: [.init(title: "#", numeric: true), .init(title: "Candidate"), .init(title: "Verdict"),
                                   .init(title: "p-value", numeric: true), .init(title: "Est. cosine", numeric: true),
                                   .init(title: "Coverage", numeric: true), .init(title: "Exact tensors", numeric: true)],
                         rows: rows)),
        ])
    }
}
