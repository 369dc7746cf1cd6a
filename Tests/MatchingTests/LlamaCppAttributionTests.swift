import CheckpointFixtures
import Checkpoints
import Fingerprinting
import Foundation
@testable import Matching
import Testing

/// The GGUF llama.cpp's own quantizer wrote (one type per matrix, importance-weighted; see
/// `LlamaCppMixedQuantization`) against its generated original: the rounding budgets, which
/// rest on Σ step²/12 of the stored scales, hold for llama.cpp's searched scales too.
@Suite("A GGUF llama.cpp quantized is a re-encoding of its original, within the rounding its scales predict")
struct LlamaCppAttributionTests {
    @Test("every grid type's real rounding error stays within the margin the budget allows over Σ step²/12")
    func roundingWithinMargins() throws {
        let fingerprint = try Fingerprinter.fingerprint(path: LlamaCppMixedQuantization.gguf)
        let reader = try CheckpointReader(path: LlamaCppMixedQuantization.gguf)
        let original = LlamaCppMixedQuantization.originalTensors()
        var ratios: [String] = []
        var measured = 0
        for tensor in fingerprint.tensors {
            guard let predicted = tensor.roundingEnergy, predicted > 0, let info = reader.checkpoint.tensor(named: tensor.name) else { continue }
            let values = try #require(original[tensor.name])
            var decoded = [Float](repeating: .nan, count: info.elementCount)
            try decoded.withUnsafeMutableBufferPointer { try reader.readElements(of: info, range: 0..<info.elementCount, into: $0) }
            let error = zip(decoded, values).reduce(0.0) { $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1)) }
            let ratio = error / predicted
            let margin = RoundingBudget.margin(measured: tensor)
            ratios.append(String(format: "%@ %.2f (≤ %.2f)", tensor.dtype, ratio, margin))
            #expect(ratio <= margin, "\(tensor.name) as \(tensor.dtype): real error energy \(ratio) × Σ step²/12, allowed \(margin)")
            measured += 1
        }
        // Q2_K–Q6_K, IQ4_NL, IQ4_XS, Q4_0, Q5_1, Q8_0, TQ1_0, TQ2_0 and Q2_0 have grids.
        #expect(measured == 13, "\(ratios)")
        print("llama.cpp's rounding / Σ step²/12: " + ratios.joined(separator: ", "))
    }

    @Test("the quantized GGUF is a re-encoded copy of the original, its deviation explained by rounding")
    func quantizedCopyIsReEncoded() throws {
        let directory = try TemporaryDirectory(prefix: "llama-cpp")
        let original = try Fingerprinter.fingerprint(path: try LlamaCppMixedQuantization.writeOriginal(to: directory.path("original")))
        let copy = try Fingerprinter.fingerprint(path: LlamaCppMixedQuantization.gguf)
        let comparison = Scan.compare(copy, original, label: "tiny-llama")
        #expect(comparison.verdict.kind == .reEncoded, "\(comparison.verdict.sentence) \(comparison.verdict.evidence)")
        let rounding = try #require(comparison.verdict.rounding)
        #expect(rounding.explained && rounding.deviation <= rounding.allowedRounding)
        let unmatched = comparison.tensors.filter { !$0.significant }.map(\.suspectTensor)
        #expect(unmatched.isEmpty, "every matrix, down to the 1-bit ones, still matches its original")
        print("llama.cpp mixed GGUF: \(comparison.verdict.sentence) deviation \(rounding.deviation), expected \(rounding.expectedRounding), allowed \(rounding.allowedRounding)")
    }
}
