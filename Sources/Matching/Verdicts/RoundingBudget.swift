import Checkpoints
import Fingerprinting

/// How much of a suspect's deviation from a reference the rounding of the suspect's storage
/// (and of the reference's, when it is a quantized release) explains (docs/MATCHING.md §5).
///
/// For each matched matrix the sketch gives the deviation energy ‖S(s)‖²(1 − ρ²) and the
/// aligned energy ‖S(s)‖²ρ²; rounding is expected to add q · aligned, with q read from the
/// matrix's own block scales when its GGML type has a rounding grid (the fingerprint's
/// `roundingEnergy`), else from the typical error of its type (`VerdictRules.expectedRoundingError`).
struct RoundingBudget: Sendable, Equatable {
    /// Σ deviation energy of the matched matrices (sketch space).
    var observed = 0.0
    /// Σ aligned energy.
    var aligned = 0.0
    /// Σ q · aligned: the deviation rounding alone is expected to cause.
    var expected = 0.0
    /// Σ margin · q · aligned: the most rounding can explain.
    var allowed = 0.0
    /// The part of `expected` read from block scales.
    var fromBlockScalesExpected = 0.0
    /// The part of `expected` that is a narrower container's subnormal steps (`subnormalRounding`).
    var fromSubnormalsExpected = 0.0

    /// How far rounding of a measured grid may exceed Σ step²/12: llama.cpp's scale searches
    /// pick steps down to 1/8.9 instead of 1/8 of the block maximum (≤ 1.24× the energy), and
    /// the sketch estimate of the deviation is good to a few per cent. Its 2- and 3-bit searches
    /// go down to ¾ of the min–max step (≤ 1.78×). The ternary grids (TQ1_0, TQ2_0, Q2_0: −d,
    /// 0, +d with d the block maximum) round most weights to 0, which shrinks the matrix as well
    /// as scattering it, so the sketch's deviation (the part off the original's direction) can
    /// exceed Σ d²/12: on the real MiniLM's matrices by up to 1.57× in blocks of 256 (0.80× in
    /// blocks of 64; `python3 eval/ternary_rounding.py`); allowed 2× as well.
    static func margin(measured tensor: TensorFingerprint) -> Double {
        switch search(of: tensor) {
        case .errorFeedback?, .assumedErrorFeedback?: return gptqMargin
        case .clipping?: return awqMargin
        case nil:
            let type = DType(rawValue: tensor.dtype)
            return type == .q2K || type == .q3K || type?.isTernaryGrid == true ? 2.0 : 1.35
        }
    }

    /// A quantizer's search that moves weights further than rounding to nearest.
    enum Search: Equatable {
        /// GPTQ's error feedback: the GPTQ layout, activation-ordered groups (`g_idx`), or
        /// llm-compressor's recipe naming GPTQ.
        case errorFeedback
        /// Integer codes of llm-compressor's layouts (compressed-tensors I4, U8 or I8 with a
        /// scale) whose checkpoint names no algorithm: GPTQ is its most common producer, and
        /// calling a GPTQ copy "changed" would accuse a plain quantization, so GPTQ's allowance is used.
        case assumedErrorFeedback
        /// AWQ's clipping: the AWQ layout, or the recipe naming AWQ.
        case clipping
    }

    /// The search that chose a weight's codes, as far as its fingerprint tells; `nil` for round
    /// to nearest (stated by a recipe, or any other format).
    static func search(of tensor: TensorFingerprint) -> Search? {
        guard let scale = tensor.scale else { return nil }
        // Activation-ordered groups (`g_idx`, in either layout) are GPTQ's alone, whatever a recipe says.
        if scale.packing.flatMap(CodePacking.Order.init(rawValue:))?.isGPTQ == true || scale.groupIndex != nil
            || scale.quantizer == QuantizationSettings.Quantizer.gptq.rawValue { return .errorFeedback }
        if scale.packing == CodePacking.Order.awq.rawValue || scale.quantizer == QuantizationSettings.Quantizer.awq.rawValue { return .clipping }
        let integerCodes = [DType.i4.name, DType.u8.name, DType.i8.name].contains(tensor.dtype)
        // bitsandbytes (packing, or LLM.int8's `SCB`) and MLX (biases) are round to nearest by their own layout.
        // compressed-tensors' layouts (no packing order, or its own for widths other than 4 and 8) need its recipe.
        let compressedTensors = scale.packing.map { CodePacking.Order(rawValue: $0)?.packQuantizedBits != nil } ?? true
        if scale.quantizer == nil, integerCodes, compressedTensors, scale.biases == nil, !scale.tensor.hasSuffix(".SCB") {
            return .assumedErrorFeedback
        }
        return nil
    }

    /// GPTQ does not round to nearest: it spreads each column's rounding error over the columns
    /// still to be quantized (weighted by the calibration Hessian), trading weight error for
    /// output error. Run on the real MiniLM with real calibration activations
    /// (`eval/gptq_minilm.py`, AutoGPTQ's algorithm and settings), its weight error energy was
    /// 1.54–2.80× Σ scale²/12 per layer (median 2.06); allowed up to 4× (2× the relative error).
    static let gptqMargin = 4.0

    /// AWQ clips each group before rounding (AutoAWQ's `auto_clip`: the group maximum shrunk by up
    /// to half where that lowers the output error), so its scales are smaller and the clipped
    /// weights err by more than a step. Run on the real MiniLM (`eval/awq_minilm.py`, AutoAWQ's
    /// search on real activations), the weight error energy of the linears it does not rescale
    /// was 0.99–1.86× Σ scale²/12 per layer (median 1.11; 1.38× in all); allowed up to 2×.
    static let awqMargin = 2.0

    /// Per-type typical errors are looser: up to 3× the typical relative error (9× its energy).
    static let typicalMargin = 9.0

    /// The budget of the significant matches, or `nil` when a matched matrix is stored in a type
    /// with no rounding estimate or nothing rounds at all.
    init?(suspect: Fingerprint, reference: Fingerprint, evidence: [EvidenceTensor], referenceEvidence: [EvidenceTensor], matches: [TensorMatch]) {
        // Evidence by name: a tensor, or the members of an expert group.
        let referenceMembers = Dictionary(referenceEvidence.map { ($0.name, $0.members.map { reference.tensors[$0] }) },
                                          uniquingKeysWith: { first, _ in first })
        for (tensor, match) in zip(evidence, matches) where match.significant {
            let stored = tensor.members.map { suspect.tensors[$0] }
            let referenceTensor = match.referenceTensor.flatMap { referenceMembers[$0] }
            let energy = SketchMath.dot(tensor.sketch, tensor.sketch)
            let cosineSquared = min(1, match.cosine * match.cosine)
            let alignedEnergy = energy * cosineSquared
            observed += energy * (1 - cosineSquared)
            aligned += alignedEnergy
            // The suspect's own rounding; a floating-point grid the reference's values already lie on
            // rounded nothing (scaled grids differ with their factors, so they never count as the same).
            let sameFloatGrid = referenceTensor.map { theirs in
                !theirs.contains { VerdictRules.isGGMLQuantized($0.dtype) || $0.scale != nil } && !stored.contains { $0.scale != nil }
                    && Set((theirs + stored).map(VerdictRules.effectiveType)).count == 1
            } ?? false
            guard let own = sameFloatGrid ? Self.subnormalRounding(of: stored, grid: referenceTensor ?? []) : Self.rounding(of: stored) else { return nil }
            // A quantized reference (a release published as GGUF or as scaled FP8) was rounded from the same original too.
            let theirs = referenceTensor.flatMap { theirs in
                theirs.contains { VerdictRules.isGGMLQuantized($0.dtype) || $0.scale != nil } ? Self.rounding(of: theirs) : Rounding.none
            } ?? Rounding.none
            for part in [own, theirs] {
                expected += part.q * alignedEnergy
                allowed += part.margin * part.q * alignedEnergy
                if part.fromBlockScales { fromBlockScalesExpected += part.q * alignedEnergy }
                if part.subnormalsOnly { fromSubnormalsExpected += part.q * alignedEnergy }
            }
        }
        guard expected > 0, aligned > 0 else { return nil }
    }

    /// Rounding of one stored tensor relative to its original: q = E / (‖original‖²).
    struct Rounding {
        var q: Double
        var margin: Double
        var fromBlockScales: Bool
        /// Only values below the container's normal range round (`subnormalRounding`).
        var subnormalsOnly = false
        static let none = Rounding(q: 0, margin: 1, fromBlockScales: false)
    }

    /// The rounding a tensor's storage implies: from its block scales when recorded, else the
    /// typical error of its type; `nil` for a type with no estimate.
    ///
    /// For an expert group (several tensors standing for one piece of evidence) the energies add
    /// up: the experts' rounding errors are independent. A group of mixed storage has no estimate.
    static func rounding(of tensors: [TensorFingerprint]) -> Rounding? {
        guard let first = tensors.first else { return nil }
        var energy = 0.0, sumSquares = 0.0, measured = 0
        for tensor in tensors {
            guard let own = tensor.roundingEnergy, let statistics = tensor.statistics else { continue }
            energy += own
            sumSquares += statistics.sumSquares
            measured += 1
        }
        if measured == tensors.count {
            let margin = tensors.map { Self.margin(measured: $0) }.max() ?? 1.35
            return Rounding(q: sumSquares > energy ? energy / (sumSquares - energy) : 1, margin: margin, fromBlockScales: true)
        }
        let type = VerdictRules.effectiveType(first)
        guard tensors.allSatisfy({ VerdictRules.effectiveType($0) == type && $0.roundingEnergy == nil }) else { return nil }
        if type == "F32" || type == "F64" { return Rounding.none }
        guard let error = VerdictRules.expectedRoundingError(type) else { return nil }
        return Rounding(q: error * error, margin: typicalMargin, fromBlockScales: false)
    }

    /// Whether all of the expectation is a narrower container's subnormal rounding: the values
    /// kept their grid, only the container changed (BF16 values written as F16).
    var subnormalsOnly: Bool { expected > 0 && fromSubnormalsExpected >= expected }
    /// Whether the expectation comes from block scales (at least 90 % of it): then a deviation
    /// beyond it is a measured change, not a guess about a type's typical error.
    var fromBlockScales: Bool { fromBlockScalesExpected >= 0.9 * expected }
    /// Whether rounding alone can explain the deviation.
    var explained: Bool { observed <= allowed }
    /// The observed deviation relative to the aligned weights (√ of the energy ratio).
    var relativeDeviation: Double { (observed / aligned).squareRoot() }
    /// The deviation rounding is expected to cause, relative to the aligned weights.
    var relativeRounding: Double { (expected / aligned).squareRoot() }
    /// The deviation beyond rounding: the size of a change made before the weights were rounded.
    var relativeExcess: Double { (max(0, observed - expected) / aligned).squareRoot() }
    /// The smallest change that would show beyond the allowance.
    var detectionLimit: Double { (max(0, allowed - expected) / aligned).squareRoot() }

    /// The figures a report carries.
    var check: RoundingCheck {
        RoundingCheck(deviation: relativeDeviation, expectedRounding: relativeRounding,
                      allowedRounding: (allowed / aligned).squareRoot(), change: relativeExcess,
                      fromBlockScales: fromBlockScales, explained: explained)
    }
}
