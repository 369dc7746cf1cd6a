import Checkpoints
import Dispatch
import Fingerprinting

// MARK: - Norms folded into the stream's readers

extension FullWeightComparison {
    /// For each matrix that reads the normalised residual stream, the name of the norm weight
    /// in front of it (Llama, llama.cpp and GPT-2 names): a rotated copy must fold that weight
    /// into the matrix first (a rotation does not commute with a per-dimension scale), so each
    /// side's matrix is compared with its norm weight multiplied in.
    static func precedingNorms(in fingerprint: Fingerprint) -> [String: String] {
        let norms = fingerprint.tensors.filter { $0.role == .norm && $0.shape == [fingerprint.structure.hiddenSize] }
        let byLayer = Dictionary(grouping: norms.filter { $0.layer != nil }) { $0.layer! }
        func named(_ candidates: [TensorFingerprint], _ markers: [String]) -> String? {
            candidates.first { tensor in markers.contains { tensor.name.contains($0) } }?.name
        }
        let attentionMarkers = ["input_layernorm", "attn_norm", "ln_1"], mlpMarkers = ["post_attention_layernorm", "ffn_norm", "ln_2"]
        let finalNorm = named(norms.filter { $0.layer == nil }, ["model.norm", "output_norm", "ln_f", "final_norm", "norm.weight"])
        var result: [String: String] = [:]
        for tensor in fingerprint.tensors where tensor.shape.count == 2 {
            let norm: String?
            switch tensor.role {
            case .attentionQuery, .attentionKey, .attentionValue, .attentionQKV, .attentionUnknown:
                norm = tensor.layer.flatMap { byLayer[$0] }.flatMap { named($0, attentionMarkers) }
            case .mlpGate, .mlpUp, .mlpGateUp, .mlpRouter:
                norm = tensor.layer.flatMap { byLayer[$0] }.flatMap { named($0, mlpMarkers) }
            case .outputHead:
                norm = finalNorm
            default:
                norm = nil
            }
            if let norm { result[tensor.name] = norm }
        }
        return result
    }
}

// MARK: - Lining up a rotated stream

extension FullWeightComparison.Recovery {
    /// A fitted change of the residual basis and what lining matrices up through it needs.
    struct RotatedBasis {
        let rotation: StreamRotation
        /// The hidden positions signatures sample, and X's columns at them (d × positions).
        let positions: [Int]
        let projection: [Float]
        /// Each stream-reading matrix's preceding norm weight, by matrix name, per side.
        let suspectNorms: [String: [Float]]
        let referenceNorms: [String: [Float]]
        /// The anchors (embedding or head pair) the fit used.
        let anchor: FullWeightComparison.RecoveryPair

        /// Units compared element by element per matrix: each costs d² multiply-adds (its
        /// reference vector turned by X), so wide models compare a sample.
        var comparedUnitLimit: Int {
            let d = rotation.width
            return max(32, (1 << 27) / max(d * d, 1))
        }
    }

    /// Fits the change of basis from the first anchor pair (embeddings, then heads) whose token
    /// rows it lines up; nil when none does.
    func rotatedBasis(anchors: [FullWeightComparison.RecoveryPair], width d: Int,
                      norms: (suspect: [String: String], reference: [String: String])) throws -> RotatedBasis? {
        let suspectNorms = try normVectors(norms.suspect, in: suspect, width: d)
        let referenceNorms = try normVectors(norms.reference, in: reference, width: d)
        // Same roles first, at most two fits: each costs ≈ 3·d³ multiply-adds.
        let ordered = anchors.filter { $0.suspect.role == $0.reference.role } + anchors.filter { $0.suspect.role != $0.reference.role }
        for anchor in ordered.prefix(2) {
            guard let s = suspect.checkpoint.tensor(named: anchor.suspect.name), let r = reference.checkpoint.tensor(named: anchor.reference.name),
                  s.shape.count == 2, r.shape.count == 2, !(s.shape + r.shape).contains(0),
                  s.dtype.unsupportedReason == nil, r.dtype.unsupportedReason == nil else { continue }
            // Each side's own orientation: a copy may store its embedding transposed.
            guard let suspectHiddenAxis = hiddenAxes(s.shape, width: d, kind: .tokens).first,
                  let referenceHiddenAxis = hiddenAxes(r.shape, width: d, kind: .tokens).first,
                  let suspectRows = try rows(of: s, in: suspect), let referenceRows = try rows(of: r, in: reference) else { continue }
            let suspectTokenAxis = suspectHiddenAxis.other, referenceTokenAxis = referenceHiddenAxis.other
            let common = min(s.shape[suspectTokenAxis == .rows ? 0 : 1], r.shape[referenceTokenAxis == .rows ? 0 : 1])
            let wanted = StreamRotation.tokenCount(width: d)
            let heldOut = common >= wanted ? StreamRotation.heldOutCount : max(8, (common - d) / 3)
            guard common - heldOut >= d + 8 else { continue }
            let tokens = FullWeightComparison.Recovery.evenlySpaced(Array(0..<common), count: min(common, wanted))
            let hidden = Array(0..<d)
            let fitted = try StreamRotation.fit(rows: tokens.count, width: d, heldOut: heldOut) { range in
                var a = try values(of: suspectRows, units: suspectTokenAxis, at: Array(tokens[range]), positions: hidden)
                var b = try values(of: referenceRows, units: referenceTokenAxis, at: Array(tokens[range]), positions: hidden)
                Self.scale(&a, by: suspectNorms[anchor.suspect.name], width: d)
                Self.scale(&b, by: referenceNorms[anchor.reference.name], width: d)
                return (b, a)
            }
            guard let rotation = fitted, rotation.linesUp else { continue }
            let positions = FullWeightComparison.Recovery.evenlySpaced(Array(0..<d), count: IndexMatching.signatureWidth)
            return RotatedBasis(rotation: rotation, positions: positions, projection: rotation.columns(positions),
                                suspectNorms: suspectNorms, referenceNorms: referenceNorms, anchor: anchor)
        }
        return nil
    }

    /// Lines a pair up through the rotation: its units (neurons, attention rows, tokens) in place
    /// when a sample of them agrees, else recovered from signatures (each unit's vector turned by
    /// X at the sampled positions); then up to `comparedUnitLimit` matched units are compared
    /// whole, the reference's vector turned by X.
    func lineUp(_ pair: FullWeightComparison.RecoveryPair, basis: RotatedBasis, screened: Bool = false) throws -> Outcome {
        guard let s = suspect.checkpoint.tensor(named: pair.suspect.name), let r = reference.checkpoint.tensor(named: pair.reference.name) else {
            return .skipped("not found in the checkpoint")
        }
        guard s.shape.count == 2, r.shape.count == 2, !(s.shape + r.shape).contains(0) else { return .skipped("not a non-empty 2-D matrix") }
        guard s.dtype.unsupportedReason == nil, r.dtype.unsupportedReason == nil else { return .skipped("values not decodable") }
        guard let kind = Self.unitAxis(of: pair.suspect.role) else { return .skipped("no hidden axis") }
        let d = basis.rotation.width
        // Each side's axis of the hidden width, the same orientation first: a copy stored
        // transposed ((in, out), `kernel` layout) has its vectors along the other axis.
        let suspectAxes = hiddenAxes(s.shape, width: d, kind: kind), referenceAxes = hiddenAxes(r.shape, width: d, kind: kind)
        let axes = suspectAxes.flatMap { sAxis in referenceAxes.map { (suspect: sAxis, reference: $0) } }
            .sorted { ($0.suspect == $0.reference ? 0 : 1) < ($1.suspect == $1.reference ? 0 : 1) }
        guard !axes.isEmpty else { return .skipped("no axis of the hidden width in both") }
        guard let suspectRows = try rows(of: s, in: suspect), let referenceRows = try rows(of: r, in: reference) else {
            return .skipped("rows not whole storage blocks and larger than \(maximumWholeElements) elements")
        }
        let suspectNorm = basis.suspectNorms[pair.suspect.name], referenceNorm = basis.referenceNorms[pair.reference.name]
        let width = basis.positions.count
        var best: (units: [Int?], axis: FullWeightComparison.Axis, referenceAxis: FullWeightComparison.Axis)?
        for (hiddenAxis, referenceHiddenAxis) in axes {
            let unitAxis = hiddenAxis.other, referenceUnitAxis = referenceHiddenAxis.other
            let suspectUnits = s.shape[unitAxis == .rows ? 0 : 1], referenceUnits = r.shape[referenceUnitAxis == .rows ? 0 : 1]
            // The units in place? A sample of them, each reference unit turned by X.
            let sample = Self.evenlySpaced(Array(0..<min(suspectUnits, referenceUnits)), count: Self.screeningUnits)
            var a = try values(of: suspectRows, units: unitAxis, at: sample, positions: basis.positions)
            Self.scale(&a, by: suspectNorm.map { norm in basis.positions.map { norm[$0] } }, width: width)
            var whole = try values(of: referenceRows, units: referenceUnitAxis, at: sample, positions: Array(0..<d))
            Self.scale(&whole, by: referenceNorm, width: d)
            let b = Self.project(whole, count: sample.count, width: d, onto: basis.projection, positions: width)
            let agreeing = IndexMatching.correlations(a, b, width: width).filter { $0 >= IndexMatching.minimumCorrelation }.count
            let units: [Int?]
            if agreeing * 2 > sample.count {
                units = (0..<suspectUnits).map { $0 < referenceUnits ? $0 : nil }
            } else if kind == .tokens {
                return .skipped("its token rows do not agree with the reference's through the rotation (\(agreeing) of \(sample.count) sampled rows correlate): another embedding or head, or retrained")
            } else if screened, agreeing == 0, suspectUnits * referenceUnits > Self.screeningUnits * Self.screeningUnits {
                // A wrong partner in the moved-layer search: renumbered units would cost a full search.
                continue
            } else {
                // Renumbered units: every unit's signature on both sides.
                var all = try values(of: suspectRows, units: unitAxis, at: Array(0..<suspectUnits), positions: basis.positions)
                Self.scale(&all, by: suspectNorm.map { norm in basis.positions.map { norm[$0] } }, width: width)
                let signatures = try projectedSignatures(referenceRows, unitAxis: referenceUnitAxis, norm: referenceNorm, basis: basis)
                units = IndexMatching.match(suspect: all, reference: signatures, width: width).map
            }
            let matched = units.compactMap { $0 }.count
            if best == nil || matched > best!.units.compactMap({ $0 }).count { best = (units, hiddenAxis, referenceHiddenAxis) }
            if matched * 2 >= units.count { break }
        }
        guard let (units, hiddenAxis, referenceHiddenAxis) = best else { return .skipped("none of a sample of its rows or columns matches the reference's through the rotation", unrelated: true) }
        let matchedUnits = units.indices.filter { units[$0] != nil }
        guard !matchedUnits.isEmpty else { return .skipped("no row or column matches one of the reference's through the rotation", unrelated: true) }
        let unitAxis = hiddenAxis.other, referenceUnitAxis = referenceHiddenAxis.other
        let compared = Self.evenlySpaced(matchedUnits, count: basis.comparedUnitLimit)
        var suspectVectors = try values(of: suspectRows, units: unitAxis, at: compared, positions: Array(0..<d))
        Self.scale(&suspectVectors, by: suspectNorm, width: d)
        var referenceVectors = try values(of: referenceRows, units: referenceUnitAxis, at: compared.map { units[$0]! }, positions: Array(0..<d))
        Self.scale(&referenceVectors, by: referenceNorm, width: d)
        let turned = Self.project(referenceVectors, count: compared.count, width: d, onto: basis.rotation.matrix, positions: d)
        var result = try FullWeightComparison.statistics { body in
            suspectVectors.withUnsafeBufferPointer { x in
                turned.withUnsafeBufferPointer { y in
                    for unit in 0..<compared.count {
                        body(UnsafeBufferPointer(rebasing: x[unit * d..<(unit + 1) * d]), UnsafeBufferPointer(rebasing: y[unit * d..<(unit + 1) * d]), d)
                    }
                }
            }
        }
        result.suspectTensor = pair.suspect.name
        result.referenceTensor = pair.reference.name
        let referenceUnits = r.shape[referenceUnitAxis == .rows ? 0 : 1]
        result.recoveredIndices = RecoveredIndices(
            hiddenAxis: hiddenAxis.rawValue, suspectHidden: d, referenceHidden: d, matchedHidden: d, hiddenOrder: .rotated,
            suspectUnits: units.count, referenceUnits: referenceUnits, matchedUnits: matchedUnits.count,
            unitOrder: IndexMatching.order(of: units, referenceCount: referenceUnits),
            comparedUnits: compared.count,
            rotation: .init(fittedTokens: basis.rotation.fittedTokens, heldOutResidual: basis.rotation.heldOutResidual,
                            orthogonalityError: basis.rotation.orthogonalityError))
        return .pair(result)
    }

    // MARK: - Helpers

    /// The norm weights `names` points at, read once each (d values; others are ignored).
    private func normVectors(_ names: [String: String], in reader: CheckpointReader, width d: Int) throws -> [String: [Float]] {
        var vectors: [String: [Float]] = [:]
        var result: [String: [Float]] = [:]
        for (matrix, norm) in names {
            if vectors[norm] == nil, let tensor = reader.checkpoint.tensor(named: norm), tensor.shape == [d], tensor.dtype.unsupportedReason == nil {
                var values = [Float](repeating: 0, count: d)
                let scales = try reader.scaleFactors(of: tensor)
                try values.withUnsafeMutableBufferPointer { try reader.readElements(of: tensor, range: 0..<d, into: $0, scales: scales) }
                vectors[norm] = values
            }
            result[matrix] = vectors[norm]
        }
        return result
    }

    /// Multiplies each `width`-value vector of `vectors` by `norm`, element by element.
    static func scale(_ vectors: inout [Float], by norm: [Float]?, width: Int) {
        guard let norm, norm.count == width else { return }
        for index in vectors.indices { vectors[index] *= norm[index % width] }
    }

    /// `vectors` (count × width) · `matrix` (width × positions). Few positions (signatures):
    /// units split over the cores, the small matrix stays in cache. Many (whole vectors turned
    /// by X): blocks of 256 output columns split over the cores, each row of X read once for all
    /// units — turning unit by unit would stream the whole of X from memory per unit.
    static func project(_ vectors: [Float], count: Int, width: Int, onto matrix: [Float], positions: Int) -> [Float] {
        var result = [Float](repeating: 0, count: count * positions)
        result.withUnsafeMutableBufferPointer { output in
            let output = IndexMatching.SendableBuffer(output)
            vectors.withUnsafeBufferPointer { vectors in
                matrix.withUnsafeBufferPointer { matrix in
                    let v = IndexMatching.ReadOnlyBuffer(vectors), m = IndexMatching.ReadOnlyBuffer(matrix)
                    if positions <= 256 {
                        DispatchQueue.concurrentPerform(iterations: count) { unit in
                            let out = output.base.baseAddress! + unit * positions
                            for i in 0..<width {
                                let a = v.base[unit * width + i]
                                guard a != 0 else { continue }
                                let row = m.base.baseAddress! + i * positions
                                for k in 0..<positions { out[k] += a * row[k] }
                            }
                        }
                        return
                    }
                    let block = 256
                    DispatchQueue.concurrentPerform(iterations: (positions + block - 1) / block) { part in
                        let columns = part * block..<min(positions, (part + 1) * block)
                        for i in 0..<width {
                            let row = m.base.baseAddress! + i * positions
                            for unit in 0..<count {
                                let a = v.base[unit * width + i]
                                guard a != 0 else { continue }
                                let out = output.base.baseAddress! + unit * positions
                                for k in columns { out[k] += a * row[k] }
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// Every reference unit's signature through the rotation (its vector · X at the sampled
    /// positions), streamed by bands: units × d × positions multiply-adds, bounded memory.
    private func projectedSignatures(_ rows: FullWeightComparison.MatrixRows, unitAxis: FullWeightComparison.Axis, norm: [Float]?,
                                     basis: RotatedBasis) throws -> [Float] {
        let width = basis.positions.count, d = basis.rotation.width
        let units = unitAxis == .rows ? rows.rows : rows.columns
        var result = [Float](repeating: 0, count: units * width)
        try rows.forEachBand { first, band in
            let count = band.count / rows.columns
            if unitAxis == .rows {
                // Each row is a unit's vector along the hidden width.
                var vectors = band
                Self.scale(&vectors, by: norm, width: d)
                let projected = Self.project(vectors, count: count, width: d, onto: basis.projection, positions: width)
                for k in 0..<projected.count { result[first * width + k] = projected[k] }
            } else {
                // Each row is one hidden dimension h: every unit j gains row[j]·γ[h]·X[h, positions].
                for row in 0..<count {
                    let h = first + row, gamma = norm?[h] ?? 1
                    for j in 0..<rows.columns {
                        let a = band[row * rows.columns + j] * gamma
                        guard a != 0 else { continue }
                        for k in 0..<width { result[j * width + k] += a * basis.projection[h * width + k] }
                    }
                }
            }
        }
        return result
    }
}
