import Checkpoints
import Fingerprinting
import Foundation

// MARK: - Lossy re-encodings

extension VerdictRules {
    /// What the lossy re-encoding check says about a suspect whose matrices all matched.
    struct LossyReEncoding {
        /// The suspect's rounded types as the verdict names them ("Q4_K, Q5_0", "F8_E4M3 (values
        /// on that grid, stored as BF16)"), with the reference's when it is quantized too.
        var names: String
        /// "quantized to" or "converted to".
        var conversion: String
        /// "quantized" or "converted": what was done to the weights after a change.
        var operation: String { conversion == "quantized to" ? "quantized" : "converted" }
        /// The evidence line: the rounding explains the deviation (with the detection limit), or
        /// — from block scales only — a change made before quantizing and its size. `nil` when a
        /// typical-error budget is exceeded: the deviation then says nothing about the order.
        var evidence: String?
    }

    /// The check for a suspect stored in other (narrower) types than the reference, or
    /// quantized (two quantizations of one original differ by both roundings, also in the same
    /// type); `nil` when neither holds.
    static func lossyReEncoding(suspect: Fingerprint, reference: Fingerprint, budget: RoundingBudget) -> LossyReEncoding? {
        // Matrices only: a scalar of role `other` (Apertus's activation parameters) fits narrow grids by chance.
        let suspectWeights = suspect.tensors.filter { $0.role.isWeightMatrix && $0.shape.count >= 2 }
        let referenceWeights = reference.tensors.filter { $0.role.isWeightMatrix && $0.shape.count >= 2 }
        let suspectTypes = Set(suspectWeights.map(effectiveType))
        let referenceTypes = Set(referenceWeights.map(effectiveType))
        let quantized = Set(suspectWeights.compactMap(quantizedName)).sorted()
        let stored = Set(suspectWeights.map(\.dtype))
        // The same grid in a narrower container: BF16 values written as F16.
        let containerOnly = budget.subnormalsOnly && suspectTypes == referenceTypes && quantized.isEmpty
        guard suspectTypes != referenceTypes || !quantized.isEmpty || containerOnly else { return nil }

        var names = quantized.isEmpty ? suspectTypes.sorted().joined(separator: ", ") : quantized.joined(separator: ", ")
        if containerOnly { names = DType.f16.name }
        else if quantized.isEmpty, suspectTypes != stored { names += " (values on that grid, stored as \(stored.sorted().joined(separator: ", ")))" }
        let referenceQuantized = Set(referenceWeights.compactMap(quantizedName)).sorted()
        if !referenceQuantized.isEmpty { names += " (with the reference's own rounding to \(referenceQuantized.joined(separator: ", ")))" }
        let conversion = quantized.isEmpty ? "converted to" : "quantized to"
        let own = measurementSource(suspectWeights)
        let theirs = referenceQuantized.isEmpty ? nil : measurementSource(referenceWeights)
        let scales = switch (own, theirs) {
        case let (own?, theirs?): own == theirs ? "both files' \(own)" : "the file's own \(own) and the reference's \(theirs)"
        case let (own?, nil): "the file's own \(own)"
        case let (nil, theirs?): "the reference's \(theirs)"
        case (nil, nil): "the files"
        }

        var evidence: String?
        switch (budget.explained, budget.fromBlockScales) {
        case (true, _) where containerOnly:
            evidence = String(format: "Relative deviation %.2g is what storing %@ values as %@ can cause: they keep their values down to 2^-17, only smaller ones round to F16's subnormal step 2^-24 (at most %.2g of the norm); a larger change to the weights would show.",
                              budget.relativeDeviation, suspectTypes.sorted().joined(separator: ", "), names, budget.relativeRounding)
        case (false, _) where containerOnly:
            evidence = String(format: "The deviation (%.2g of the weights' norm) is more than storing %@ values as %@ can cause (at most %.2g: only values below 2^-17 round): the weights were changed before they were converted.",
                              budget.relativeDeviation, suspectTypes.sorted().joined(separator: ", "), names, budget.relativeRounding)
        case (true, true):
            evidence = String(format: "Relative deviation %.2g is what rounding to %@ explains: %@ predict %.2g; a change to the weights smaller than ≈%.2g of their norm would not show.",
                              budget.relativeDeviation, names, scales, budget.relativeRounding, budget.detectionLimit)
        case (true, false):
            evidence = String(format: "Relative deviation %.2g is what being %@ %@ produces (≈%.2g); changes to the weights smaller than that rounding, light fine-tuning included, would not show.",
                              budget.relativeDeviation, conversion, names, budget.relativeRounding)
        case (false, true):
            evidence = String(format: "The deviation (%.2g of the weights' norm) is more than rounding to %@ explains (%.2g, from %@): about %.2g of the norm was changed before the weights were %@.",
                              budget.relativeDeviation, names, budget.relativeRounding, scales, budget.relativeExcess, quantized.isEmpty ? "converted" : "quantized")
        case (false, false):
            evidence = nil
        }
        if budget.fromBlockScales, suspectWeights.contains(where: { RoundingBudget.search(of: $0) == .assumedErrorFeedback }), let stated = evidence {
            evidence = stated + " The file does not say which algorithm chose its integer codes (no llm-compressor recipe.yaml), so GPTQ's error feedback is allowed for (up to 4× the rounding energy)."
        }
        return LossyReEncoding(names: names, conversion: conversion, evidence: evidence)
    }

    /// Where measured rounding energies of these tensors come from, for the evidence sentence.
    static func measurementSource(_ tensors: [TensorFingerprint]) -> String? {
        let measured = tensors.filter { $0.roundingEnergy != nil }
        if measured.contains(where: { isGGMLQuantized($0.dtype) }) { return "block scales" }
        if measured.contains(where: { $0.scale != nil }) { return "scale factors" }
        return measured.isEmpty ? nil : "value exponents"
    }

    /// How a quantized weight's storage is named: its GGML type, or its stored type and the
    /// granularity of its scale factors ("F8_E4M3 with 128×128 block scales"); `nil` for weights
    /// stored as their values.
    static func quantizedName(_ tensor: TensorFingerprint) -> String? {
        if isGGMLQuantized(tensor.dtype) { return tensor.dtype }
        guard let scale = tensor.scale, scale.block.count == 2 else { return nil }
        let blocks = TensorScale.describe(scale.granularity, blockRows: scale.block[0], blockColumns: scale.block[1])
        let described = "\(tensor.dtype) with \(blocks) scales"
        // E2M1 codes in runs of 32 are MXFP4 (E8M0 scales), in runs of 16 NVFP4 (F8_E4M3 scales; MLX's nvfp4 has no per-tensor one).
        if tensor.dtype == DType.f4.name, scale.block == [1, 32] { return "MXFP4 (\(described))" }
        if tensor.dtype == DType.f4.name, scale.block == [1, 16] { return "NVFP4 (\(described))" }
        // E4M3 codes in runs of 32 are MXFP8 (E8M0 scales; MLX's mxfp8 mode).
        if tensor.dtype == DType.f8E4M3.name, scale.block == [1, 32] { return "MXFP8 (\(described))" }
        // Unsigned codes with a scale and a bias per group are MLX's affine quantization.
        if scale.biases != nil {
            let bits = scale.packing.flatMap(CodePacking.Order.init(rawValue:))?.statedBits ?? (tensor.dtype == DType.i4.name ? 4 : 8)
            return "MLX (\(bits)-bit affine, \(blocks) scales and biases)"
        }
        // I8 codes scaled per row by a companion named SCB are bitsandbytes' LLM.int8 (load_in_8bit).
        if tensor.dtype == DType.i8.name, scale.granularity == .row, scale.tensor.hasSuffix(".SCB") { return "bitsandbytes LLM.int8 (\(described))" }
        // compressed-tensors' codes (zero points too) have no packing order of their own at 4 and
        // 8 bits, one naming the width at 2, 3, 5, 6 and 7.
        let order = scale.packing.flatMap(CodePacking.Order.init(rawValue:))
        guard let order, order.packQuantizedBits == nil else {
            let width = order?.packQuantizedBits.map { "\($0)-bit codes as " } ?? ""
            // Activation-ordered groups (`weight_g_idx`) give each column its group.
            return width + (scale.zeroPoints != nil ? "\(described) and zero points" : described) + (scale.groupIndex != nil ? ", columns grouped by g_idx" : "")
        }
        // Codes indexing a 16-value codebook are bitsandbytes' NF4 or FP4; codes with zero points
        // packed in I32 words are GPTQ's or AWQ's layout.
        if order.isBitsAndBytes { return "\(order.formatName) (4-bit codebook with \(blocks) scales)" }
        if scale.zeroPoints != nil {
            let width = order.statedBits.map { "\($0)-bit codes as " } ?? ""
            return "\(order.formatName) (\(width)\(described), zero points\(scale.groupIndex != nil ? " and g_idx" : ""))"
        }
        return described
    }
}
