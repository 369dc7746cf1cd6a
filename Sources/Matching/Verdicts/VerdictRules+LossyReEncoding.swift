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
        /// The evidence line: the rounding explains the deviation (with the detection limit), or
        /// — from block scales only — a change made before quantizing and its size. `nil` when a
        /// typical-error budget is exceeded: the deviation then says nothing about the order.
        var evidence: String?
    }

    /// The check for a suspect stored in other (narrower) types than the reference, or
    /// quantized (two quantizations of one original differ by both roundings, also in the same
    /// type); `nil` when neither holds.
    static func lossyReEncoding(suspect: Fingerprint, reference: Fingerprint, budget: RoundingBudget) -> LossyReEncoding? {
        let suspectTypes = Set(suspect.tensors.filter { $0.role.isWeightMatrix }.map(effectiveType))
        let referenceTypes = Set(reference.tensors.filter { $0.role.isWeightMatrix }.map(effectiveType))
        let quantized = suspectTypes.filter(isGGMLQuantized).sorted()
        guard suspectTypes != referenceTypes || !quantized.isEmpty else { return nil }

        let stored = Set(suspect.tensors.filter { $0.role.isWeightMatrix }.map(\.dtype))
        var names = quantized.isEmpty ? suspectTypes.sorted().joined(separator: ", ") : quantized.joined(separator: ", ")
        if quantized.isEmpty, suspectTypes != stored { names += " (values on that grid, stored as \(stored.sorted().joined(separator: ", ")))" }
        let referenceQuantized = referenceTypes.filter(isGGMLQuantized).sorted()
        if !referenceQuantized.isEmpty { names += " (with the reference's own \(referenceQuantized.joined(separator: ", ")) rounding)" }
        let conversion = quantized.isEmpty ? "converted to" : "quantized to"
        let scales = referenceQuantized.isEmpty ? "the file's own block scales" : "both files' block scales"

        let evidence: String?
        switch (budget.explained, budget.fromBlockScales) {
        case (true, true):
            evidence = String(format: "Relative deviation %.2g is what rounding to %@ explains: %@ predict %.2g; a change to the weights smaller than ≈%.2g of their norm would not show.",
                              budget.relativeDeviation, names, scales, budget.relativeRounding, budget.detectionLimit)
        case (true, false):
            evidence = String(format: "Relative deviation %.2g is what being %@ %@ produces (≈%.2g); changes to the weights smaller than that rounding, light fine-tuning included, would not show.",
                              budget.relativeDeviation, conversion, names, budget.relativeRounding)
        case (false, true):
            evidence = String(format: "The deviation (%.2g of the weights' norm) is more than rounding to %@ explains (%.2g, from %@): about %.2g of the norm was changed before the weights were quantized.",
                              budget.relativeDeviation, names, budget.relativeRounding, scales, budget.relativeExcess)
        case (false, false):
            evidence = nil
        }
        return LossyReEncoding(names: names, conversion: conversion, evidence: evidence)
    }
}
