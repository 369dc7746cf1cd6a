import Fingerprinting

/// Delta analysis with linear sketches: where does the suspect lie relative to two related
/// references X and Y? With sketches S (linear in the weights) and D = S(Y) − S(X), the
/// least-squares fit over the weight matrices matched in all three
///
///     S(suspect) ≈ a · S(X) + b · D,   β(Y | X) = b / a
///
/// gives β ≈ 1 when the suspect is Y (or a copy of it), ≈ 0 when it is X or moved away from X
/// independently of Y (an honest sibling fine-tune of a common base), and the mixing weight of
/// Y for a linear merge of X and Y. The free scale a keeps β where it belongs when a copy's
/// weights shrink as a whole: one-bit quantization stores sign × mean magnitude, which scales a
/// tensor by about cos² ≈ 0.6, and without a the bare projection ⟨S(suspect) − S(X), D⟩ / ‖D‖²
/// put a 1-bit copy of the release at β = 0.52, next to the ½ boundary (docs/MATCHING.md §5).
struct DeltaAnalysis {
    struct Entry {
        var suspect: [Float]
        var x: [Float]
        var y: [Float]
        var layer: Int?
    }

    let entries: [Entry]

    init(suspect: Fingerprint, x: (Fingerprint, Comparison), y: (Fingerprint, Comparison)) {
        let aligned = AlignedSketches(suspect: suspect, references: [x, y])
        entries = aligned.common([0, 1]).map { name in
            Entry(suspect: aligned.suspect[name]!.sketch, x: aligned.references[0][name]!, y: aligned.references[1][name]!,
                  layer: aligned.suspect[name]!.layer)
        }
    }

    /// β(Y | X) over all entries, or over those of one layer; nil when X and Y coincide.
    func beta(layer: Int?? = nil) -> Double? {
        fit(layer: layer)?.beta
    }

    /// β and the fraction of the suspect's difference from (scaled) X that the direction
    /// towards Y explains (≈1 when the suspect lies on that line, as a linear merge of X and Y does).
    func fit(layer: Int?? = nil) -> (beta: Double, explained: Double)? {
        var line = ScaledLineFit()
        for entry in entries {
            if let layer, entry.layer != layer { continue }
            for index in entry.x.indices {
                line.add(suspect: Double(entry.suspect[index]), x: Double(entry.x[index]), y: Double(entry.y[index]))
            }
        }
        // X and Y must differ measurably (more than float rounding of the sketches).
        guard line.dd > 1e-10 * max(line.xx, 1e-30) else { return nil }
        return line.result
    }

    /// Cosine between X's and Y's sketches over the entries: ≈1 for releases of one lineage
    /// (a fine-tune and its base), ≈0 for independently trained models; nil without entries.
    var referenceCosine: Double? {
        var xy = 0.0, xx = 0.0, yy = 0.0
        for entry in entries {
            for index in entry.x.indices {
                let x = Double(entry.x[index]), y = Double(entry.y[index])
                xy += x * y; xx += x * x; yy += y * y
            }
        }
        guard xx > 0, yy > 0 else { return nil }
        return xy / (xx * yy).squareRoot()
    }

    /// Layers present in the entries.
    var layers: [Int] { Array(Set(entries.compactMap(\.layer))).sorted() }
}

// MARK: - Delta analysis on neuron profiles (permuted suspects)

extension DeltaAnalysis {
    /// β(Y | X) from neuron profiles, for suspects whose sketches no longer align (permuted
    /// neurons or hidden dimensions). The suspect's neurons are aligned to Y's (Hungarian method
    /// on profiles, as in the cross-check); X and Y, one fine-tuned from the other, share neuron
    /// indices. Over neurons kept in both, with input and paired profiles concatenated and the
    /// suspect's sign matched to Y's, β and the explained share are computed as for sketches.
    static func profileFit(suspect: Fingerprint, x: Fingerprint, y: Fingerprint, layerMap: [Int: Int]) -> (beta: Double, explained: Double)? {
        let t = suspect.header.probeTokens
        guard t == x.header.probeTokens, t == y.header.probeTokens else { return nil }
        var line = ScaledLineFit()
        for set in suspect.profiles where !set.kind.hasPrefix("matrix.") {
            guard let referenceLayer = layerMap[set.layer],
                  let ySet = y.profiles.first(where: { $0.kind == set.kind && $0.layer == referenceLayer }),
                  let xSet = x.profiles.first(where: { $0.kind == set.kind && $0.layer == referenceLayer }) else { continue }
            let alignment = ProfileComparison.compare(
                referenceInput: ySet.inputProfiles, referencePaired: ySet.pairedProfiles,
                suspectInput: set.inputProfiles, suspectPaired: set.pairedProfiles, t: t).alignment
            let xPosition = Dictionary(uniqueKeysWithValues: xSet.selected.enumerated().map { ($1, $0) })
            for (i, suspectPosition) in alignment.enumerated() where suspectPosition >= 0 {
                guard let j = xPosition[ySet.selected[i]] else { continue }
                func row(_ values: [Float], _ position: Int) -> ArraySlice<Float> { values[(position * t)..<((position + 1) * t)] }
                let yRow = Array(row(ySet.inputProfiles, i)) + row(ySet.pairedProfiles, i)
                let xRow = Array(row(xSet.inputProfiles, j)) + row(xSet.pairedProfiles, j)
                var sRow = Array(row(set.inputProfiles, suspectPosition)) + row(set.pairedProfiles, suspectPosition)
                let agreement = zip(sRow[0..<t], yRow[0..<t]).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                if agreement < 0 { sRow = sRow.map { -$0 } }
                for k in 0..<(2 * t) { line.add(suspect: Double(sRow[k]), x: Double(xRow[k]), y: Double(yRow[k])) }
            }
        }
        guard line.dd > 1e-12 else { return nil }
        return line.result
    }
}

// MARK: - The fit

/// Sums for the least-squares fit s ≈ a·x + b·(y − x) over value triples, and β = b / a.
struct ScaledLineFit {
    private(set) var xx = 0.0, xd = 0.0, dd = 0.0, sx = 0.0, sd = 0.0, ss = 0.0

    mutating func add(suspect s: Double, x: Double, y: Double) {
        let d = y - x
        xx += x * x; xd += x * d; dd += d * d
        sx += s * x; sd += s * d; ss += s * s
    }

    /// β = b / a, and the share of ‖s − a₀x‖² (a₀: the best scale of x alone) that b·d
    /// explains. Falls back to the unscaled projection (a = 1) when x and d are nearly
    /// collinear or the fitted scale is not clearly positive.
    var result: (beta: Double, explained: Double) {
        let determinant = xx * dd - xd * xd
        let a = determinant > 1e-9 * xx * dd ? (sx * dd - sd * xd) / determinant : 0
        guard a > 0.05 else {
            // Unscaled: β = ⟨s − x, d⟩ / ‖d‖², explained = ⟨s − x, d⟩² / (‖d‖² ‖s − x‖²).
            let numerator = sd - xd
            let offset = ss - 2 * sx + xx
            return (numerator / dd, offset > 0 ? numerator * numerator / dd / offset : 1)
        }
        let b = (sd * xx - sx * xd) / determinant
        let afterScale = ss - sx * sx / xx                // ‖s − a₀x‖²
        let residual = ss - a * sx - b * sd               // ‖s − a·x − b·d‖² at the optimum
        let explained = afterScale > 0 ? max(0, min(1, (afterScale - residual) / afterScale)) : 1
        return (b / a, explained)
    }
}
