import Matching

/// Builds the report content of one comparison (suspect vs one reference): the verdict
/// lead and the evidence sections. Used alone (`compare`) and inside a scan report.
struct ComparisonSections {
    let result: Comparison
    /// Prefix of section identifiers, so a scan report can hold several comparisons.
    let idPrefix: String

    // MARK: - Lead

    /// The verdict sentence, key numbers and evidence lines.
    var lead: [Block] {
        let verdict = result.verdict
        var blocks: [Block] = [
            .callout(verdict.kind.callout, [.strong(["Verdict: \(verdict.kind.displayName)."]), " ", .text(verdict.sentence)]),
            .paragraph(keyNumbers),
        ]
        if !verdict.evidence.isEmpty {
            blocks.append(.paragraph([.strong(["Evidence"])]))
            blocks.append(.list(verdict.evidence.map { [.text($0)] }))
        }
        return blocks
    }

    private var keyNumbers: [Inline] {
        let verdict = result.verdict
        var content: [Inline] = [
            "Combined p-value ", .strong([.value(ReportNumbers.pValue(log10: verdict.log10P))]),
            " (flagged below ", .value(ReportNumbers.threshold(result.method.threshold)), ")",
        ]
        if let cosine = verdict.estimatedCosine {
            content += [" · estimated cosine ", .strong([.value(ReportNumbers.cosine(cosine))])]
        }
        content += [" · coverage ", .strong([.value(ReportNumbers.percent(verdict.coverage))]), " of the suspect's weight parameters."]
        return content
    }

    // MARK: - Sections

    /// The evidence sections; `includeMethod` is false inside a scan (which has one method section).
    func sections(includeMethod: Bool) -> [Section] {
        var sections = [models, exactMatches, layers, tensors, profiles, alignment, statistics]
        if let fullWeights { sections.insert(fullWeights, at: 4) }
        if includeMethod { sections.append(Self.method(result.method, id: idPrefix + "method")) }
        return sections
    }

    var models: Section {
        let identities = [result.suspect, result.reference]
        let table = Self.identityTable(identities, titles: ["Suspect", "Reference"])
        return Section(id: idPrefix + "models", title: ["Models"], blocks: [
            .table(table),
            .section(Section(id: idPrefix + "files", title: ["Files"], blocks: [
                .table(Self.filesTable([("suspect", result.suspect), ("reference", result.reference)])),
            ])),
        ])
    }

    var exactMatches: Section {
        let exact = result.exact
        func equal(_ flag: Bool) -> [Inline] { flag ? [.strong(["equal"])] : ["different"] }
        func of(_ part: Int, _ whole: Int, _ noun: String) -> [Inline] {
            [.text("\(ReportNumbers.count(part)) of \(ReportNumbers.count(whole)) \(noun)")]
        }
        var rows: [[[Inline]]] = []
        rows.append([["Identical files (same SHA-256)"], of(exact.identicalFiles, exact.suspectFiles, "suspect files")])
        rows.append([["Byte-identical tensors"], of(exact.sharedRawTensors, exact.suspectTensors, "suspect tensors")])
        rows.append([["Same values re-encoded (canonical digest)"], of(exact.sharedCanonicalTensors, exact.suspectTensors, "suspect tensors")])
        rows.append([["Raw tensor root"], equal(exact.rawRootEqual)])
        rows.append([["Canonical tensor root"], equal(exact.canonicalRootEqual)])
        if exact.expertRootEqual {
            rows.append([["Canonical root, experts compared one by one"], equal(true)])
        }
        rows.append([["Weight parameters with an exact canonical match"], [.text(ReportNumbers.percent(exact.canonicalCoverage))]])
        let table = Table(columns: [.init(title: "Check"), .init(title: "Result")], rows: rows)
        return Section(id: idPrefix + "exact", title: ["Exact matches"], blocks: [
            .paragraph(["Raw digests hash the stored bytes; canonical digests hash the values after conversion to one dtype and orientation, so they survive renaming, re-sharding, transposing and lossless dtype changes."]),
            .table(table),
        ])
    }

    var layers: Section {
        var blocks: [Block] = []
        if result.layers.isEmpty {
            blocks.append(.paragraph(["No weight matrices were compared."]))
        } else {
            blocks.append(.paragraph(["Per layer: the reference layer its weight matrices match, what matched them (exact digests, sketches or neuron profiles), the parameter-weighted estimated cosine and the combined p-value of the layer's tests."]))
            blocks.append(.table(Table(
                columns: [.init(title: "Group"), .init(title: "Matched by"), .init(title: "Reference layer", numeric: true),
                          .init(title: "Tensors", numeric: true), .init(title: "Parameters", numeric: true),
                          .init(title: "Est. cosine", numeric: true), .init(title: "p-value", numeric: true)],
                rows: result.layers.map { layer in
                    [[.text(layer.group)], [.text(layer.matchedBy)], [.text(layer.referenceLayer.map(String.init) ?? "—")],
                     [.text(ReportNumbers.count(layer.tensors))], [.text(ReportNumbers.count(layer.parameters))],
                     [.text(ReportNumbers.cosine(layer.meanCosine))], [.text(ReportNumbers.pValue(log10: layer.log10P))]]
                })))
            blocks.append(.figure(CosineChart.figure(result.layers)))
        }
        var heatmapBlocks: [Block] = []
        if result.heatmaps.isEmpty {
            heatmapBlocks.append(.paragraph(["No layer-to-layer matrix (the models have fewer than two numbered layers)."]))
        } else {
            heatmapBlocks.append(.paragraph(HeatmapPlot.explanation))
            if let note = permutationNote {
                let profiles = result.heatmaps.contains(where: HeatmapPlot.isProfiles)
                    ? " The last matrix shows the layer pairs those cross-checks matched instead." : ""
                heatmapBlocks.append(.paragraph([.text(note + profiles)]))
            }
            heatmapBlocks.append(.figureRow(result.heatmaps.map(HeatmapPlot.figure)))
        }
        blocks.append(.section(Section(id: idPrefix + "heatmaps", title: ["Layer-to-layer similarity"], blocks: heatmapBlocks)))
        return Section(id: idPrefix + "layers", title: ["Layers"], blocks: blocks)
    }

    var tensors: Section {
        guard !result.tensors.isEmpty else {
            return Section(id: idPrefix + "tensors", title: ["Tensors"], blocks: [.paragraph(["No weight matrices were compared."])])
        }
        let rows: [[[Inline]]] = result.tensors.map { match in
            let aligned = match.significant || match.exact != nil
            var names: [Inline] = [.code(match.suspectTensor)]
            if let reference = match.referenceTensor, aligned {
                names += reference == match.suspectTensor ? [" (same name)"] : [" → ", .code(reference)]
            } else {
                // The best-scoring reference of an insignificant match is chance: naming it would
                // read as an alignment.
                names += [" → ", .emphasis([match.referenceTensor == nil ? "no candidate" : "no significant match"])]
            }
            return [[.text(match.role)], names, [.text(aligned && match.transposed ? "yes" : "")],
                    [.text(match.referenceTensor == nil ? "—" : ReportNumbers.cosine(match.cosine))],
                    [.text(ReportNumbers.pValue(log10: match.log10P))], [.text(match.exact ?? "")]]
        }
        var blocks: [Block] = [
            .paragraph(["Each suspect weight matrix with its best reference match (found by role, shape and sketch similarity, not by name); cosine and p-value are the best candidate's even when it is not significant. p-values are Bonferroni-corrected for the candidates each match was chosen from; ",
                        .text("exact"), " is ", .code("raw"), " for byte-identical, ", .code("canonical"), " for the same values re-encoded."]),
        ]
        if let note = permutationNote { blocks.append(.paragraph([.text(note)])) }
        return Section(id: idPrefix + "tensors", title: ["Tensors"], blocks: blocks + [
            .table(Table(columns: [.init(title: "Role"), .init(title: "Suspect tensor → reference tensor"), .init(title: "Transposed"),
                                   .init(title: "Cosine", numeric: true), .init(title: "p-value", numeric: true), .init(title: "Exact")],
                         rows: rows)),
        ])
    }

    /// Element-by-element figures (`compare --deep`), when present.
    var fullWeights: Section? {
        guard let evidence = result.fullWeights else { return nil }
        var blocks: [Block] = [
            .paragraph(["Both checkpoints were read and every significantly matched pair of weight matrices compared element by element (exact figures, not sketch estimates). Matrices whose rows or columns were renumbered or removed (permuted or width-pruned copies) are first lined up: the hidden dimensions by their values in the embeddings, then each matrix's neurons or attention rows by their values at the lined-up hidden positions, and only the matched rows and columns are compared. When no hidden dimension is the reference's, a change of basis fitted to the token embeddings (a rotated residual stream) lines each matrix up instead, and its units are compared after turning the reference's by it. The difference is measured after the least-squares scale a (suspect ≈ a · reference)."]),
            .list(evidence.summary.map { [.text($0)] }),
        ]
        if !evidence.pairs.isEmpty {
            let rows: [[[Inline]]] = evidence.pairs.map { pair in
                [[.code(pair.suspectTensor), " → ", .code(pair.referenceTensor)], [.text(ReportNumbers.count(pair.elements))],
                 [.text(ReportNumbers.fixed(pair.cosine, digits: 6))], [.text(ReportNumbers.fixed(pair.scale, digits: 4))],
                 [.text(String(format: "%.3g", pair.relativeDifference))], [.text(ReportNumbers.percent(pair.identicalFraction))],
                 [.text(pair.differenceKurtosis.map { ReportNumbers.fixed($0, digits: 2) } ?? "—")],
                 [.text(pair.recoveredIndices.map(\.shortText) ?? "as stored")]]
            }
            blocks.append(.table(Table(columns: [.init(title: "Suspect tensor → reference tensor"), .init(title: "Elements", numeric: true),
                                                 .init(title: "Cosine", numeric: true), .init(title: "Scale a", numeric: true),
                                                 .init(title: "Difference", numeric: true), .init(title: "Identical", numeric: true),
                                                 .init(title: "Excess kurtosis", numeric: true), .init(title: "Lined up")], rows: rows)))
        }
        return Section(id: idPrefix + "full-weights", title: ["Full-weight comparison"], blocks: blocks)
    }

    /// Why permuted layers look unrelated to sketches, when the comparison found permuted layers.
    var permutationNote: String? {
        let permuted = result.alignment.permutedLayers
        guard !permuted.isEmpty else { return nil }
        return "Sketches compare weights position by position, so they do not see through the neuron permutation found in \(Self.layersText(permuted)): those matrices show no significant sketch match here and are matched by the neuron-profile cross-check instead."
    }

    var profiles: Section {
        guard !result.profiles.isEmpty else {
            return Section(id: idPrefix + "profiles", title: ["Neuron-profile cross-check"], blocks: [
                .paragraph(["No neuron profiles were compared (none stored in both fingerprints, or different probe tokens or seeds)."]),
            ])
        }
        let logThreshold = ReportNumbers.log10(result.method.tensorThreshold)
        let rows: [[[Inline]]] = result.profiles.map { profile in
            let permuted: String
            if profile.log10P >= logThreshold {
                permuted = "—"
            } else {
                let kept = ReportNumbers.percent(profile.identityFraction)
                if profile.identityFraction >= 0.5 {
                    permuted = "no (\(kept) kept their index)"
                } else if profile.keepsNeuronOrder, let order = profile.orderFraction {
                    permuted = "no (renumbered, \(ReportNumbers.percent(order)) in order)"
                } else {
                    permuted = "yes (\(kept) kept their index)"
                }
            }
            var neurons = ReportNumbers.count(profile.matchedNeurons)
            if let s = profile.suspectNeurons, let r = profile.referenceNeurons, s != r {
                neurons += " (\(ReportNumbers.count(s)) of \(ReportNumbers.count(r)))"
            }
            return [[.text(profile.kind)], [.text("\(profile.suspectLayer) → \(profile.referenceLayer)")],
                    [.text(neurons)], [.text(ReportNumbers.fixed(profile.crossCheck, digits: 4))],
                    [.text(ReportNumbers.fixed(profile.nullMean, digits: 4) + " ± " + ReportNumbers.fixed(profile.nullStd, digits: 4))],
                    [.text(ReportNumbers.fixed(profile.z, digits: 1))], [.text(ReportNumbers.pValue(log10: profile.log10P))], [.text(permuted)]]
        }
        return Section(id: idPrefix + "profiles", title: ["Neuron-profile cross-check"], blocks: [
            .paragraph(["Neurons of each suspect layer are aligned to a reference layer on their input profiles (Hungarian algorithm); T measures whether the same alignment also aligns their output profiles: ≈1 for the same neurons in any order, ≈0 for unrelated models. The null is T under random re-pairings of the neurons (what unrelated models give); p is the Gaussian tail of z, Bonferroni-corrected. This evidence survives neuron permutations that scramble positional sketches."]),
            .table(Table(columns: [.init(title: "Kind"), .init(title: "Layers (suspect → reference)"), .init(title: "Neurons", numeric: true),
                                   .init(title: "T", numeric: true), .init(title: "Null (mean ± std)", numeric: true), .init(title: "z", numeric: true),
                                   .init(title: "p-value", numeric: true), .init(title: "Permuted?")],
                         rows: rows)),
            .figure(CrossCheckPlot.figure(result.profiles, tensorThreshold: result.method.tensorThreshold)),
        ])
    }

    var alignment: Section {
        let alignment = result.alignment
        func layerList(_ layers: [Int]) -> [Inline] {
            [.text(layers.isEmpty ? "none" : Self.layersText(layers))]
        }
        var rows: [[[Inline]]] = [
            [["Renamed tensors"], [.text(alignment.renamingText)]],
            [["Transposed tensors"], [.text(ReportNumbers.count(alignment.transposed))]],
            [["Rescaled tensors"], alignment.rescaled.isEmpty ? ["none"] : [.text(alignment.rescaled.joined(separator: "; "))]],
            [["Permuted layers"], layerList(alignment.permutedLayers)],
            [["Layer map (suspect → reference)"], [.text(alignment.layerMapText)]],
            [["Dropped reference layers"], layerList(alignment.droppedReferenceLayers)],
            [["Unmatched suspect layers"], layerList(alignment.unmatchedSuspectLayers)],
            [["Layer order"], [alignment.reordered ? .strong(["reordered"]) : "preserved"]],
        ]
        if let vocabulary = alignment.vocabularyText { rows.append([["Vocabulary rows"], [.text(vocabulary)]]) }
        if let changes = alignment.widthChanges, !changes.isEmpty {
            rows.append([["Widths (suspect/reference)"], [.text(changes.map { change in
                change.shortText + (change.layers.isEmpty ? "" : " in " + Self.layersText(change.layers))
                    + (change.orderKept == false ? ", reordered" : "")
            }.joined(separator: "; "))]])
        }
        return Section(id: idPrefix + "alignment", title: ["Alignment found"], blocks: [
            .paragraph(["How the suspect's tensors and layers map onto the reference's, found without trusting names."]),
            .table(Table(columns: [.init(title: "Aspect"), .init(title: "Found")], rows: rows)),
        ])
    }

    var statistics: Section {
        var blocks: [Block] = [
            .callout(.caveat, [.strong(["Supporting context, not evidence."]),
                               " Per-layer statistics such as each layer's weight standard deviation follow the architecture and the training recipe, so independent models with the same architecture get highly correlated curves too (in the Pangu/Qwen dispute, unrelated deepseek-7b and llama2-7b scored 0.91 with this method). The verdict does not use them."]),
        ]
        if result.curves.isEmpty {
            blocks.append(.paragraph(["No per-layer statistics available for both models."]))
        } else {
            blocks.append(.table(Table(
                columns: [.init(title: "Role"), .init(title: "Statistic"), .init(title: "Layers (suspect / reference)", numeric: true),
                          .init(title: "Correlation", numeric: true), .init(title: "Suspect range", numeric: true), .init(title: "Reference range", numeric: true)],
                rows: result.curves.map { curve in
                    [[.text(curve.role)], [.text(curve.statistic)],
                     [.text("\(curve.suspect.compactMap { $0 }.count) / \(curve.reference.compactMap { $0 }.count)")],
                     [.text(ReportNumbers.fixed(curve.correlation, digits: 3))],
                     [.text(Self.range(curve.suspect))], [.text(Self.range(curve.reference))]]
                })))
            blocks.append(.figureRow(result.curves.map(CurvePlot.figure)))
        }
        return Section(id: idPrefix + "statistics", title: ["Per-layer statistics (supporting context, not evidence)"], blocks: blocks)
    }

    // MARK: - Shared pieces

    /// "layer 3" or "layers 0–3, 5".
    static func layersText(_ layers: [Int]) -> String {
        (layers.count == 1 ? "layer " : "layers ") + ReportNumbers.ranges(layers)
    }

    static func method(_ method: MethodInfo, id: String) -> Section {
        var blocks: [Block] = [
            .table(Table(columns: [.init(title: "Setting"), .init(title: "Value")], rows: [
                [["Tool"], [.text("\(method.tool) \(method.toolVersion)")]],
                [["Fingerprint format"], [.text("version \(method.fingerprintFormat)")]],
                [["Sketch seed"], [.code(method.seed)]],
                [["Flag threshold"], [.text("combined p < \(ReportNumbers.threshold(method.threshold)) (Fisher's method over every tensor and profile test)")]],
                [["Per-test threshold"], [.text("p < \(ReportNumbers.threshold(method.tensorThreshold)) (Bonferroni-corrected)")]],
            ])),
        ]
        if let command = method.command {
            blocks.append(.paragraph(["To reproduce:"]))
            blocks.append(.code(command))
        } else {
            blocks.append(.paragraph(["The command that produced this result was not recorded."]))
        }
        return Section(id: id, title: ["Method"], blocks: blocks)
    }

    /// Field-by-model table of identities (one column per model).
    static func identityTable(_ identities: [ModelIdentity], titles: [String]) -> Table {
        var rows: [[[Inline]]] = []
        func row(_ field: String, _ value: (ModelIdentity) -> [Inline]) {
            rows.append([[.text(field)]] + identities.map(value))
        }
        row("Label") { [.code($0.label)] }
        row("Kind") { [.text($0.kind)] }
        let keys = Set(identities.flatMap(\.metadata.keys)).sorted()
        for key in keys {
            rows.append([[.text(key)]] + identities.map { identity in
                guard let value = identity.metadata[key] else { return ["—"] }
                // URL-like values are links when safe, code otherwise (never autolinked by GFM).
                let urlLike = value.lowercased().contains("://") || value.lowercased().hasPrefix("javascript:")
                    || value.lowercased().hasPrefix("data:")
                return SafeURL.isLinkable(value) || urlLike ? [.link(text: value, url: value)] : [.text(value)]
            })
        }
        row("Parameters") { [.text(ReportNumbers.parameters($0.parameterCount))] }
        row("Tensors") { [.text(ReportNumbers.count($0.tensorCount))] }
        row("Stored dtypes") { identity in
            identity.dtypes.isEmpty ? ["—"] : Array(identity.dtypes.map { Inline.code($0) }.interspersed(with: ", "))
        }
        row("Architecture") { [.text($0.architectureSummary)] }
        row("Files") { [.text("\(ReportNumbers.count($0.files.count)) (\(ReportNumbers.bytes($0.totalFileSize)))")] }
        row("Raw tensor root") { [.digest($0.rawRoot)] }
        row("Canonical tensor root") { [.digest($0.canonicalRoot)] }
        return Table(columns: [.init(title: "Field")] + titles.map { .init(title: $0) }, rows: rows)
    }

    /// Every file of the given models with size and SHA-256, marking files present in another model.
    static func filesTable(_ models: [(role: String, identity: ModelIdentity)]) -> Table {
        var rows: [[[Inline]]] = []
        for (index, model) in models.enumerated() {
            let others = Set(models.enumerated().filter { $0.offset != index }.flatMap { $0.element.identity.files.compactMap(\.sha256) })
            for file in model.identity.files {
                let shared = file.sha256.map { others.contains($0) } ?? false
                rows.append([[.text(model.role)], [.code(file.name)], [.text(ReportNumbers.bytes(file.size))],
                             [file.sha256.map { .digest($0) } ?? "not computed"], [shared ? .strong(["identical"]) : ""]])
            }
        }
        let columns: [Table.Column] = [.init(title: "Model"), .init(title: "File"), .init(title: "Size", numeric: true),
                                       .init(title: "SHA-256"), .init(title: "In both")]
        return Table(columns: models.count > 1 ? columns : columns.dropLast(), rows: models.count > 1 ? rows : rows.map { Array($0.dropLast()) })
    }

    static func range(_ values: [Double?]) -> String {
        let finite = values.compactMap { $0 }.filter(\.isFinite)
        guard let low = finite.min(), let high = finite.max() else { return "—" }
        return ReportNumbers.tick(low) + " – " + ReportNumbers.tick(high)
    }
}
