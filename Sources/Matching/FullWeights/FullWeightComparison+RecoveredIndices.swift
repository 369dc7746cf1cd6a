import Checkpoints
import Fingerprinting

extension FullWeightComparison {
    /// Compares two checkpoints on disk (`compare --deep`): every significant sketch match as
    /// stored (`compare(suspect:reference:matches:)`), then every other weight matrix the
    /// comparison paired by role and layer after recovering which reference row and column each
    /// of its rows and columns is (`RecoveredIndices`) — the matrices of copies whose neurons,
    /// heads or hidden dimensions were renumbered or removed, which no sketch lines up.
    public static func compare(
        suspect: CheckpointReader, reference: CheckpointReader, comparison: Comparison,
        suspectFingerprint: Fingerprint, referenceFingerprint: Fingerprint, bandElements: Int = 1 << 20,
        maximumTransposedElements: Int = FullWeightComparison.maximumTransposedElements
    ) throws -> FullWeightEvidence {
        var evidence = try compare(suspect: suspect, reference: reference, matches: comparison.tensors, bandElements: bandElements,
                                   maximumTransposedElements: maximumTransposedElements)
        // A pair that lines up as stored keeps its direct figures; one that does not (a sketch
        // match on a few heads left in place by a permutation) is tried again, lined up.
        let direct = Dictionary(evidence.pairs.map { ($0.suspectTensor, $0) }, uniquingKeysWith: { first, _ in first })
        let recovery = Recovery(suspect: suspect, reference: reference, bandElements: bandElements, maximumWholeElements: maximumTransposedElements)
        let (paired, unpairedNames) = recoveryPairs(comparison: comparison, suspect: suspectFingerprint, reference: referenceFingerprint)
        let (searched, searchedAlternatives, unpaired) = searchPairs(for: unpairedNames.filter { direct[$0] == nil }, besides: paired,
                                               suspect: suspectFingerprint, reference: referenceFingerprint)
        let all = paired + searched
        let candidates = all.filter { (direct[$0.suspect.name]?.cosine ?? -1) < linedUpCosine }
        let skippedNames = Set(evidence.skipped.map(\.suspectTensor))
        evidence.skipped += unpaired.filter { !skippedNames.contains($0) }
            .map { .init(suspectTensor: $0, reason: "no reference matrix of its role in an aligned layer") }
        guard !candidates.isEmpty else { return evidence }
        var recovered = try recovery.compare(candidates, anchors: hiddenAnchors(suspect: suspectFingerprint, reference: referenceFingerprint),
                                             alternatives: otherLayers(of: candidates, in: referenceFingerprint)
                                                .merging(searchedAlternatives) { _, searched in searched },
                                             suspectHidden: suspectFingerprint.structure.hiddenSize,
                                             referenceHidden: referenceFingerprint.structure.hiddenSize,
                                             norms: (precedingNorms(in: suspectFingerprint), precedingNorms(in: referenceFingerprint)))
        recovered.pairs = recovered.pairs.filter { pair in
            direct[pair.suspectTensor].map { pair.recoveredIndices?.isRearranged == true && pair.cosine > $0.cosine + 0.01 } ?? true
        }
        recovered.skipped = recovered.skipped.filter { direct[$0.suspectTensor] == nil }
        let lined = Set(recovered.pairs.map(\.suspectTensor))
        evidence.pairs = evidence.pairs.filter { !lined.contains($0.suspectTensor) } + recovered.pairs
        evidence.skipped = evidence.skipped.filter { !lined.contains($0.suspectTensor) } + recovered.skipped
        return evidence
    }

    /// The exact cosine below which a directly compared pair is also tried with recovered
    /// indices: fine-tunes and re-encodings stay far above it, a permuted matrix whose sketch
    /// matched on the heads left in place falls far below.
    static let linedUpCosine = 0.9

    /// A suspect matrix and the reference matrix of the same role in the aligned layer.
    struct RecoveryPair {
        var suspect: TensorFingerprint
        var reference: TensorFingerprint
    }

    /// Suspect weight matrices paired with the reference's by role in aligned layers (the
    /// comparison's layer matches and profile matches; embeddings and heads outside layers),
    /// then the profile matches' own pairs for suspects without layers; and the eligible suspect
    /// matrices left without a pair. Only plain matrices: experts, fused parts and quantization
    /// companions are left to the direct comparison.
    static func recoveryPairs(comparison: Comparison, suspect: Fingerprint, reference: Fingerprint) -> (pairs: [RecoveryPair], unpaired: [String]) {
        var layerMap: [Int: Int] = [:]
        for layer in comparison.layers where layer.matchedBy != "none" {
            if let s = layer.suspectLayer, let r = layer.referenceLayer { layerMap[s] = r }
        }
        for profile in comparison.profiles where profile.suspectLayer >= 0 && layerMap[profile.suspectLayer] == nil {
            layerMap[profile.suspectLayer] = profile.referenceLayer
        }
        // Profiles cover at most 8 layers: a layer between aligned ones is guessed at the offset
        // of the nearest aligned layer below it (above, for the first ones). A wrong guess (a
        // layer dropped or moved in between) matches no rows, and the recovery then tries the
        // reference layers no other matrix lined up with (`otherLayers`).
        let aligned = layerMap.keys.sorted()
        let referenceLayers = Set(reference.tensors.compactMap(\.layer))
        for layer in Set(suspect.tensors.compactMap(\.layer)).sorted() where layerMap[layer] == nil {
            guard let anchor = aligned.last(where: { $0 < layer }) ?? aligned.first(where: { $0 > layer }) else { break }
            let target = layer + layerMap[anchor]! - anchor
            if referenceLayers.contains(target) { layerMap[layer] = target }
        }
        struct Key: Hashable { var role: TensorRole; var layer: Int? }
        let references = Dictionary(grouping: reference.tensors.filter(eligible)) { Key(role: $0.role, layer: $0.layer) }
        let suspects = Dictionary(grouping: suspect.tensors.filter(eligible)) { Key(role: $0.role, layer: $0.layer) }
        var pairs: [RecoveryPair] = []
        for tensor in suspect.tensors where eligible(tensor) {
            let key = Key(role: tensor.role, layer: tensor.layer)
            let target = Key(role: tensor.role, layer: tensor.layer.flatMap { layerMap[$0] })
            guard tensor.layer == nil || target.layer != nil, suspects[key]?.count == 1,
                  let candidates = references[target], candidates.count == 1 else { continue }
            pairs.append(RecoveryPair(suspect: tensor, reference: candidates[0]))
        }
        // Suspects without layer structure: the matrices their profiles matched, the input side
        // and the paired side (the reference's paired side is its profile set's).
        var paired = Set(pairs.map(\.suspect.name))
        let suspectByName = Dictionary(suspect.tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let referenceByName = Dictionary(reference.tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let referencePaired = Dictionary(reference.profiles.map { ($0.inputTensor, $0.pairedTensor) }, uniquingKeysWith: { first, _ in first })
        let suspectPaired = Dictionary(suspect.profiles.map { ($0.inputTensor, $0.pairedTensor) }, uniquingKeysWith: { first, _ in first })
        for profile in comparison.profiles {
            let sides = [(profile.suspectTensor, profile.referenceTensor),
                         (profile.suspectPairedTensor ?? suspectPaired[profile.suspectTensor], referencePaired[profile.referenceTensor])]
            for case let (suspectName?, referenceName?) in sides where !paired.contains(suspectName) {
                guard let s = suspectByName[suspectName], let r = referenceByName[referenceName], eligible(s), eligible(r) else { continue }
                pairs.append(RecoveryPair(suspect: s, reference: r))
                paired.insert(suspectName)
            }
        }
        let unpaired = suspect.tensors.filter { eligible($0) && !paired.contains($0.name) }.map(\.name)
        return (pairs, unpaired)
    }

    /// A plain weight matrix with an axis of the hidden width, by role: experts, fused parts and
    /// quantization companions are left to the direct comparison.
    static func eligible(_ tensor: TensorFingerprint) -> Bool {
        tensor.shape.count == 2 && tensor.experts == nil && Recovery.unitAxis(of: tensor.role) != nil
            && ExpertLayout.groupName(name: tensor.name) == nil && !EvidenceTensor.isPartName(tensor.name)
    }

    /// Most unpaired suspects × candidates `searchPairs` takes on: each failed guess costs a
    /// screened line-up against every other candidate.
    static let pairSearchBudget = 1024

    /// Suspect matrices left without a partner because they carry no layer (opaque names: gate
    /// and up share a role inferred from shapes, and only the profiled one is paired) are
    /// guessed against the reference matrices of the same shape and unit kind that no pair
    /// holds, one each in turn; a wrong guess is corrected by the line-up trying the other
    /// candidates (`alternatives`, whatever their roles: a role inferred from a shape does not
    /// tell a query from a key). Suspects with layers, or more guesses than `pairSearchBudget`,
    /// stay unpaired.
    static func searchPairs(for unpaired: [String], besides pairs: [RecoveryPair], suspect: Fingerprint, reference: Fingerprint)
        -> (pairs: [RecoveryPair], alternatives: [String: [TensorFingerprint]], unpaired: [String]) {
        let held = Set(pairs.map(\.reference.name))
        let suspects = Dictionary(suspect.tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var found: [RecoveryPair] = [], left: [String] = []
        var alternatives: [String: [TensorFingerprint]] = [:]
        var turn: [[Int]: Int] = [:]
        for name in unpaired {
            guard let tensor = suspects[name], tensor.layer == nil, let kind = Recovery.unitAxis(of: tensor.role), kind != .tokens else {
                left.append(name)
                continue
            }
            // A square matrix's role, inferred from its shape, does not tell which axis its units
            // run along (an output projection reads as attention): both are tried in the line-up.
            let square = tensor.shape.count == 2 && tensor.shape[0] == tensor.shape[1]
            let candidates = reference.tensors.filter {
                guard eligible($0), $0.layer != nil, !held.contains($0.name), $0.shape == tensor.shape,
                      let referenceKind = Recovery.unitAxis(of: $0.role) else { return false }
                return referenceKind == kind || (square && referenceKind != .tokens)
            }
            guard !candidates.isEmpty, unpaired.count * candidates.count <= pairSearchBudget else {
                left.append(name)
                continue
            }
            let index = turn[tensor.shape, default: 0]
            turn[tensor.shape] = index + 1
            let guess = index % candidates.count
            found.append(RecoveryPair(suspect: tensor, reference: candidates[guess]))
            alternatives[name] = Array(candidates[(guess + 1)...] + candidates[..<guess])
        }
        return (found, alternatives, left)
    }

    /// For each paired suspect matrix in a layer, the reference matrices of its role in the
    /// other layers, nearest first: where the aligned layer's matrix matches nothing, the layer
    /// may have been moved or its neighbours dropped (`Recovery.compare` tries those no other
    /// matrix lined up with before calling it unrelated).
    /// A suspect without layers (opaque names, its role inferred from its shape) may have been
    /// paired with the wrong role of the right shape: the other roles of that shape follow.
    static func otherLayers(of pairs: [RecoveryPair], in reference: Fingerprint) -> [String: [TensorFingerprint]] {
        var result: [String: [TensorFingerprint]] = [:]
        for pair in pairs {
            guard let layer = pair.reference.layer else { continue }
            func nearest(_ tensors: [TensorFingerprint]) -> [TensorFingerprint] {
                tensors.sorted { (abs($0.layer! - layer), $0.layer!) < (abs($1.layer! - layer), $1.layer!) }
            }
            let layered = reference.tensors.filter { $0.layer != nil && $0.shape.count == 2 && $0.experts == nil && $0.name != pair.reference.name }
            result[pair.suspect.name] = nearest(layered.filter { $0.role == pair.reference.role && $0.layer != layer })
                + (pair.suspect.layer != nil ? [] : nearest(layered.filter { $0.role != pair.reference.role && $0.shape == pair.reference.shape }))
        }
        return result
    }

    /// The embeddings and heads of both sides, every suspect one with every reference one: the
    /// candidates for lining up the hidden width (opaque names may confuse embedding and head).
    static func hiddenAnchors(suspect: Fingerprint, reference: Fingerprint) -> [RecoveryPair] {
        func tokens(_ fingerprint: Fingerprint) -> [TensorFingerprint] {
            let found = fingerprint.tensors.filter { [.tokenEmbedding, .outputHead].contains($0.role) && $0.shape.count == 2 }
            return found.filter { $0.role == .tokenEmbedding } + found.filter { $0.role == .outputHead }
        }
        let references = tokens(reference)
        return tokens(suspect).flatMap { s in references.map { RecoveryPair(suspect: s, reference: $0) } }
    }
}

// MARK: - Recovery

extension FullWeightComparison {
    /// One axis of a stored matrix.
    enum Axis: String {
        case rows, columns
        var other: Axis { self == .rows ? .columns : .rows }
    }

    /// Recovers the indices of paired matrices and compares them element by element.
    struct Recovery {
        let suspect: CheckpointReader
        let reference: CheckpointReader
        let bandElements: Int
        let maximumWholeElements: Int

        /// How a role's unit axis is found: `tokens` for embeddings and heads (rows lined up by
        /// token id), `input` for matrices that read the hidden state (its columns in Hugging
        /// Face storage), `output` for matrices that write it (its rows); nil for other roles.
        enum UnitKind { case tokens, input, output }

        static func unitAxis(of role: TensorRole) -> UnitKind? {
            switch role {
            case .tokenEmbedding, .positionEmbedding, .tokenTypeEmbedding, .outputHead: .tokens
            case .attentionQuery, .attentionKey, .attentionValue, .attentionQKV, .attentionUnknown, .mlpGate, .mlpUp, .mlpGateUp, .mlpRouter: .input
            case .attentionOutput, .mlpDown: .output
            default: nil
            }
        }

        /// Which reference hidden dimension each suspect one is, and the matched suspect
        /// positions every matrix's signatures sample.
        struct HiddenMap {
            let map: [Int?]
            let referenceWidth: Int
            let order: RecoveredIndices.Order
            /// Up to `IndexMatching.signatureWidth` matched suspect positions, evenly spaced.
            let samples: [Int]
            let matched: Int

            init(_ map: [Int?], referenceWidth: Int) {
                self.map = map
                self.referenceWidth = referenceWidth
                order = IndexMatching.order(of: map, referenceCount: referenceWidth)
                let positions = map.indices.filter { map[$0] != nil }
                matched = positions.count
                samples = Recovery.evenlySpaced(positions, count: IndexMatching.signatureWidth)
            }

            /// The reference positions of `samples`.
            var referenceSamples: [Int] { samples.map { map[$0]! } }
        }

        /// The hidden map from the best-matching of `anchors` (embeddings and heads; the
        /// identity when there are none and the widths agree), then every pair lined up through
        /// it; a matrix that matches nothing of its partner is tried against its `alternatives`
        /// (the same role in other layers) that no other matrix lined up with.
        func compare(_ pairs: [RecoveryPair], anchors: [RecoveryPair], alternatives: [String: [TensorFingerprint]] = [:],
                     suspectHidden: Int, referenceHidden: Int,
                     norms: (suspect: [String: String], reference: [String: String]) = ([:], [:])) throws -> FullWeightEvidence {
            var evidence = FullWeightEvidence(pairs: [], skipped: [])
            func skip(_ pair: RecoveryPair, _ reason: String, unrelated: Bool = false) {
                evidence.skipped.append(.init(suspectTensor: pair.suspect.name, reason: reason, unrelated: unrelated ? true : nil))
            }
            var best: [Int?]?
            for anchor in anchors {
                guard let found = try hiddenMap(anchor, suspectHidden: suspectHidden, referenceHidden: referenceHidden) else { continue }
                let matched = found.compactMap { $0 }.count
                if matched > best.map({ $0.compactMap { $0 }.count }) ?? -1 { best = found }
                if matched == suspectHidden { break }
            }
            let hidden: HiddenMap
            if let best {
                hidden = HiddenMap(best, referenceWidth: referenceHidden)
            } else if suspectHidden == referenceHidden {
                hidden = HiddenMap(Array(0..<suspectHidden), referenceWidth: referenceHidden)
            } else {
                pairs.forEach { skip($0, "the hidden widths differ (\(suspectHidden) and \(referenceHidden)) and no embedding lines them up") }
                return evidence
            }
            let alignment: HiddenAlignment
            if hidden.matched > 0, hidden.matched * 2 >= suspectHidden {
                alignment = .map(hidden)
            } else if suspectHidden == referenceHidden, let basis = try rotatedBasis(anchors: anchors, width: suspectHidden, norms: norms) {
                // No permutation lines the stream up, a change of basis does: a rotated copy.
                alignment = .rotation(basis)
            } else {
                pairs.forEach { skip($0, "only \(hidden.matched) of \(suspectHidden) hidden dimensions match one of the reference's one to one, and no change of basis fitted to the embeddings lines them up (retrained or unrelated weights)") }
                return evidence
            }
            for pair in pairs {
                // An embedding or head whose token rows do not agree may be the reference's other one
                // (roles inferred from shapes confuse them): those are tried next.
                var attempts = [pair]
                if Self.unitAxis(of: pair.suspect.role) == .tokens {
                    attempts += anchors.filter { $0.suspect.name == pair.suspect.name && $0.reference.name != pair.reference.name }
                }
                var outcomes: [Outcome] = []
                for attempt in attempts {
                    outcomes.append(try lineUp(attempt, alignment: alignment))
                    if case .pair = outcomes.last! { break }
                }
                switch outcomes.last {
                case .pair(let compared): evidence.pairs.append(compared)
                default: if case .skipped(let reason, let unrelated) = outcomes.first { skip(pair, reason, unrelated: unrelated) }
                }
            }
            try moveUnrelated(&evidence, pairs: pairs, alternatives: alternatives, alignment: alignment)
            return evidence
        }

        /// Tries each matrix found unrelated to its aligned partner against the same role in the
        /// other reference layers (a moved layer, one whose neighbours were dropped, or one
        /// repeated in a depth up-scaled copy): first the layer a sibling matrix of its layer was
        /// found in, then those no lined-up matrix holds, then the rest, nearest first, each
        /// screened by a sample of its units. It stays unrelated only when none of them holds it.
        private func moveUnrelated(_ evidence: inout FullWeightEvidence, pairs: [RecoveryPair], alternatives: [String: [TensorFingerprint]],
                                   alignment: HiddenAlignment) throws {
            let unrelated = evidence.skipped.indices.filter { evidence.skipped[$0].unrelated == true }
            guard !unrelated.isEmpty else { return }
            let suspects = Dictionary(pairs.map { ($0.suspect.name, $0.suspect) }, uniquingKeysWith: { first, _ in first })
            var claimed = Set(evidence.pairs.filter(FullWeightEvidence.holdsReferenceWeights).map(\.referenceTensor))
            var homes: [Int: Int] = [:]  // suspect layer → the reference layer a matrix of it was found in
            var moved: [Int: FullWeightEvidence.Pair] = [:]
            for index in unrelated {
                let name = evidence.skipped[index].suspectTensor
                guard let suspect = suspects[name] else { continue }
                let home = suspect.layer.flatMap { homes[$0] }
                let candidates = (alternatives[name] ?? []).enumerated().sorted { a, b in
                    func rank(_ tensor: TensorFingerprint) -> Int { tensor.layer == home ? 0 : claimed.contains(tensor.name) ? 2 : 1 }
                    return (rank(a.element), a.offset) < (rank(b.element), b.offset)
                }.map(\.element)
                for candidate in candidates {
                    guard case .pair(let compared) = try lineUp(RecoveryPair(suspect: suspect, reference: candidate), alignment: alignment, screened: true),
                          FullWeightEvidence.holdsReferenceWeights(compared) else { continue }
                    moved[index] = compared
                    claimed.insert(candidate.name)
                    if let layer = suspect.layer, let found = candidate.layer { homes[layer] = found }
                    break
                }
                if moved[index] == nil, !candidates.isEmpty {
                    // A suspect without layers was offered matrices of its shape in other roles too.
                    let kinds = suspect.layer == nil && candidates.contains { $0.role != candidates[0].role } ? "its shape" : "its role"
                    evidence.skipped[index].reason += " (nor in the \(candidates.count) other reference \(candidates.count == 1 ? "matrix" : "matrices") of \(kinds))"
                }
            }
            evidence.pairs += moved.keys.sorted().map { moved[$0]! }
            evidence.skipped = evidence.skipped.indices.filter { moved[$0] == nil }.map { evidence.skipped[$0] }
        }

        enum Outcome {
            case pair(FullWeightEvidence.Pair)
            /// `unrelated`: the weights were read and none of the rows or columns is the reference's.
            case skipped(String, unrelated: Bool = false)
        }

        /// The suspect's axis of `tensor` that runs along a hidden width, given its role.
        func hiddenAxes(_ shape: [Int], width: Int, kind: UnitKind) -> [Axis] {
            // Hugging Face stores [out, in]: readers of the hidden state have it in their columns.
            let preferred: Axis = kind == .output ? .rows : .columns
            return [preferred, preferred.other].filter { shape[$0 == .rows ? 0 : 1] == width }
        }

        /// Units a `screened` line-up matches first: fewer than half of them found ends it.
        static let screeningUnits = 64

        /// How the suspect's hidden width was lined up with the reference's.
        enum HiddenAlignment {
            /// Dimension by dimension (unchanged, permuted or pruned).
            case map(HiddenMap)
            /// Through a change of basis (rotated).
            case rotation(RotatedBasis)
        }

        func lineUp(_ pair: RecoveryPair, alignment: HiddenAlignment, screened: Bool = false) throws -> Outcome {
            switch alignment {
            case .map(let hidden): try lineUp(pair, hidden: hidden, screened: screened)
            case .rotation(let basis): try lineUp(pair, basis: basis, screened: screened)
            }
        }

        private func lineUp(_ pair: RecoveryPair, hidden: HiddenMap, screened: Bool = false) throws -> Outcome {
            guard let s = suspect.checkpoint.tensor(named: pair.suspect.name), let r = reference.checkpoint.tensor(named: pair.reference.name) else {
                return .skipped("not found in the checkpoint")
            }
            guard s.shape.count == 2, r.shape.count == 2, !(s.shape + r.shape).contains(0) else { return .skipped("not a non-empty 2-D matrix") }
            guard s.dtype.unsupportedReason == nil, r.dtype.unsupportedReason == nil else { return .skipped("values not decodable") }
            guard let kind = Self.unitAxis(of: pair.suspect.role) else { return .skipped("no hidden axis") }
            let suspectAxes = hiddenAxes(s.shape, width: hidden.map.count, kind: kind)
            let referenceAxes = hiddenAxes(r.shape, width: hidden.referenceWidth, kind: kind)
            let axes = suspectAxes.filter(referenceAxes.contains)
            guard !axes.isEmpty else {
                return .skipped(suspectAxes.isEmpty || referenceAxes.isEmpty ? "no axis of the hidden width" : "stored transposed relative to the reference")
            }
            // Each side opened once (its scale factors read once) for every pass below.
            guard let suspectRows = try rows(of: s, in: suspect), let referenceRows = try rows(of: r, in: reference) else {
                return .skipped("rows not whole storage blocks and larger than \(maximumWholeElements) elements")
            }
            var best: (units: [Int?], axis: Axis)?
            for hiddenAxis in axes {
                let unitAxis = hiddenAxis.other
                let suspectUnits = s.shape[unitAxis == .rows ? 0 : 1], referenceUnits = r.shape[unitAxis == .rows ? 0 : 1]
                let units: [Int?]
                if kind == .tokens {
                    // Rows by token id — if they really are the same tokens: their values at the
                    // lined-up hidden positions must agree (not another embedding, or retrained).
                    let tokens = Self.evenlySpaced(Array(0..<min(suspectUnits, referenceUnits)), count: IndexMatching.signatureWidth)
                    let a = try values(of: suspectRows, units: unitAxis, at: tokens, positions: hidden.samples)
                    let b = try values(of: referenceRows, units: unitAxis, at: tokens, positions: hidden.referenceSamples)
                    let agreeing = IndexMatching.correlations(a, b, width: hidden.samples.count).filter { $0 >= IndexMatching.minimumCorrelation }.count
                    guard agreeing * 2 > tokens.count else {
                        return .skipped("its token rows do not agree with the reference's (\(agreeing) of \(tokens.count) sampled rows correlate): another embedding or head, or retrained")
                    }
                    units = (0..<suspectUnits).map { $0 < referenceUnits ? $0 : nil }
                } else {
                    let b = try values(of: referenceRows, units: unitAxis, at: Array(0..<referenceUnits), positions: hidden.referenceSamples)
                    if screened {
                        // A sample of the units first: a wrong partner is told cheaply.
                        let sample = Self.evenlySpaced(Array(0..<suspectUnits), count: Self.screeningUnits)
                        let a = try values(of: suspectRows, units: unitAxis, at: sample, positions: hidden.samples)
                        let found = IndexMatching.match(suspect: a, reference: b, width: hidden.samples.count).map.compactMap { $0 }.count
                        guard found * 2 >= sample.count else { continue }
                    }
                    let a = try values(of: suspectRows, units: unitAxis, at: Array(0..<suspectUnits), positions: hidden.samples)
                    units = IndexMatching.match(suspect: a, reference: b, width: hidden.samples.count).map
                }
                let matched = units.compactMap { $0 }.count
                if best == nil || matched > best!.units.compactMap({ $0 }).count { best = (units, hiddenAxis) }
                if matched * 2 >= units.count { break }
            }
            guard let (units, hiddenAxis) = best else { return .skipped("no axis of the hidden width") }
            let matchedUnits = units.compactMap { $0 }.count
            guard matchedUnits > 0 else { return .skipped("no row or column matches one of the reference's", unrelated: true) }
            let unitAxis = hiddenAxis.other
            let referenceUnits = r.shape[unitAxis == .rows ? 0 : 1]
            let rowMap = unitAxis == .rows ? units : hidden.map, columnMap = unitAxis == .rows ? hidden.map : units
            var compared = try FullWeightComparison.statistics(mappedVisitor(suspectRows, referenceRows, rowMap: rowMap, columnMap: columnMap))
            compared.suspectTensor = pair.suspect.name
            compared.referenceTensor = pair.reference.name
            compared.recoveredIndices = RecoveredIndices(
                hiddenAxis: hiddenAxis.rawValue, suspectHidden: hidden.map.count, referenceHidden: hidden.referenceWidth,
                matchedHidden: hidden.matched, hiddenOrder: hidden.order,
                suspectUnits: units.count, referenceUnits: referenceUnits, matchedUnits: matchedUnits,
                unitOrder: IndexMatching.order(of: units, referenceCount: referenceUnits))
            return .pair(compared)
        }

        /// The hidden map from an embedding or head pair: each hidden dimension's values at the
        /// same token rows. Nil when the pair has no axis of the hidden width.
        private func hiddenMap(_ pair: RecoveryPair, suspectHidden: Int, referenceHidden: Int) throws -> [Int?]? {
            guard let s = suspect.checkpoint.tensor(named: pair.suspect.name), let r = reference.checkpoint.tensor(named: pair.reference.name),
                  s.shape.count == 2, r.shape.count == 2, !(s.shape + r.shape).contains(0),
                  s.dtype.unsupportedReason == nil, r.dtype.unsupportedReason == nil else { return nil }
            let suspectAxes = hiddenAxes(s.shape, width: suspectHidden, kind: .tokens)
            guard let hiddenAxis = hiddenAxes(r.shape, width: referenceHidden, kind: .tokens).first(where: suspectAxes.contains) else { return nil }
            let tokenAxis = hiddenAxis.other
            let tokens = min(s.shape[tokenAxis == .rows ? 0 : 1], r.shape[tokenAxis == .rows ? 0 : 1])
            let samples = Self.evenlySpaced(Array(0..<tokens), count: IndexMatching.signatureWidth)
            guard !samples.isEmpty, let suspectRows = try rows(of: s, in: suspect), let referenceRows = try rows(of: r, in: reference) else { return nil }
            let a = try values(of: suspectRows, units: hiddenAxis, at: Array(0..<suspectHidden), positions: samples)
            let b = try values(of: referenceRows, units: hiddenAxis, at: Array(0..<referenceHidden), positions: samples)
            return IndexMatching.match(suspect: a, reference: b, width: samples.count).map
        }

        /// Up to `count` of `values`, evenly spaced (all of them when there are fewer).
        static func evenlySpaced(_ values: [Int], count: Int) -> [Int] {
            guard values.count > count else { return values }
            return (0..<count).map { values[$0 * values.count / count] }
        }

        /// `tensor` read by rows within the memory bound; nil when it cannot be.
        func rows(of tensor: TensorInfo, in reader: CheckpointReader) throws -> MatrixRows? {
            try MatrixRows(tensor, in: reader, bandElements: bandElements, maximumWholeElements: maximumWholeElements)
        }

        /// The values of `indices` along the `units` axis at `positions` of the other axis:
        /// indices × positions, row by row — signatures when `indices` are all units. Every row
        /// is streamed in bands when all are wanted; otherwise the needed rows are read one by one.
        func values(of rows: MatrixRows, units: Axis, at indices: [Int], positions: [Int]) throws -> [Float] {
            var result = [Float](repeating: 0, count: indices.count * positions.count)
            if units == .rows, indices.elementsEqual(0..<rows.rows) {
                try rows.forEachBand { first, band in
                    for row in 0..<band.count / rows.columns {
                        for (k, column) in positions.enumerated() { result[(first + row) * positions.count + k] = band[row * rows.columns + column] }
                    }
                }
                return result
            }
            var row = [Float](repeating: 0, count: rows.columns)
            // Read whichever side lists rows: units stored as rows, or the positions.
            let (readRows, gathered) = units == .rows ? (indices, positions) : (positions, indices)
            for (i, stored) in readRows.enumerated() {
                try row.withUnsafeMutableBufferPointer { try rows.read(row: stored, into: $0) }
                for (j, column) in gathered.enumerated() {
                    let (unit, position) = units == .rows ? (i, j) : (j, i)
                    result[unit * positions.count + position] = row[column]
                }
            }
            return result
        }

        /// Visits (suspect, reference) values of the matched rows and columns: suspect row i
        /// column j against reference row rowMap[i] column columnMap[j].
        private func mappedVisitor(_ suspectRows: MatrixRows, _ referenceRows: MatrixRows, rowMap: [Int?], columnMap: [Int?]) -> Visitor {
            let matched = columnMap.indices.filter { columnMap[$0] != nil }
            let suspectColumns = matched, referenceColumns = matched.map { columnMap[$0]! }
            let width = suspectRows.columns
            return { body in
                var x = [Float](repeating: 0, count: matched.count), y = x
                var referenceRow = [Float](repeating: 0, count: referenceRows.columns)
                try suspectRows.forEachBand { first, band in
                    for row in 0..<band.count / width {
                        guard let mapped = rowMap[first + row] else { continue }
                        try referenceRow.withUnsafeMutableBufferPointer { try referenceRows.read(row: mapped, into: $0) }
                        band.withUnsafeBufferPointer { source in
                            referenceRow.withUnsafeBufferPointer { target in
                                x.withUnsafeMutableBufferPointer { a in
                                    y.withUnsafeMutableBufferPointer { b in
                                        let start = row * width
                                        for k in 0..<a.count {
                                            a[k] = source[start + suspectColumns[k]]
                                            b[k] = target[referenceColumns[k]]
                                        }
                                    }
                                }
                            }
                        }
                        x.withUnsafeBufferPointer { a in y.withUnsafeBufferPointer { b in body(a, b, a.count) } }
                    }
                }
            }
        }
    }
}
