import Checkpoints
import Foundation
import ModelFixtures
import Perturbation
import SyntheticModels
import Testing

/// Renumbering the experts of mixture-of-experts layers, checked with an MoE layer's forward
/// pass (softmax router over all experts, SwiGLU experts), in both storage layouts.
@Suite("Expert permutation")
struct ExpertPermutationTests {
    static let experts = 4
    static let spec = TransformerSpec(family: .llama, vocabSize: 256, hiddenSize: 64, intermediateSize: 96, layerCount: 2, headCount: 4)
    static let model = ModelGenerator.mixtureOfExperts(ModelGenerator.generate(spec, seed: 40), experts: experts, seed: 41)

    /// One MoE layer: y = Σ_e softmax(R·x)_e · W2_e (silu(W1_e·x) ⊙ W3_e·x), in Double.
    /// Reads per-expert tensors, or slices of stacks when the model stores them stacked.
    static func layerOutput(_ model: CheckpointModel, layer: Int, input x: [Double]) throws -> [Double] {
        let prefix = "model.layers.\(layer).block_sparse_moe."
        let router = try #require(model[prefix + "gate.weight"])
        func matrix(_ role: String, expert: Int) throws -> (values: ArraySlice<Float>, rows: Int, cols: Int) {
            if let single = model[prefix + "experts.\(expert).\(role).weight"] {
                return (single.values[...], single.shape[0], single.shape[1])
            }
            let stack = try #require(model[prefix + "experts.\(role).weight"])
            let size = stack.shape[1] * stack.shape[2]
            return (stack.values[(expert * size)..<((expert + 1) * size)], stack.shape[1], stack.shape[2])
        }
        func apply(_ m: (values: ArraySlice<Float>, rows: Int, cols: Int), _ v: [Double]) -> [Double] {
            (0..<m.rows).map { r in (0..<m.cols).reduce(0.0) { $0 + Double(m.values[m.values.startIndex + r * m.cols + $1]) * v[$1] } }
        }
        let logits = apply((router.values[...], router.shape[0], router.shape[1]), x)
        let top = logits.max()!
        let weights = logits.map { exp($0 - top) }
        let total = weights.reduce(0, +)
        var y = [Double](repeating: 0, count: x.count)
        for expert in 0..<router.shape[0] {
            let gate = apply(try matrix("w1", expert: expert), x), up = apply(try matrix("w3", expert: expert), x)
            let hidden = zip(gate, up).map { g, u in g / (1 + exp(-g)) * u }
            for (index, value) in apply(try matrix("w2", expert: expert), hidden).enumerated() { y[index] += weights[expert] / total * value }
        }
        return y
    }

    static func maximumRelativeDifference(_ a: CheckpointModel, _ b: CheckpointModel) throws -> Double {
        var rng = SplitMix64(seed: 3)
        var worst = 0.0
        for layer in 0..<spec.layerCount {
            for _ in 0..<3 {
                let x = (0..<spec.hiddenSize).map { _ in Double(rng.nextGaussian()) }
                let before = try layerOutput(a, layer: layer, input: x), after = try layerOutput(b, layer: layer, input: x)
                let scale = before.map(abs).max()!
                worst = max(worst, zip(before, after).map { abs($0 - $1) }.max()! / scale)
            }
        }
        return worst
    }

    @Test("renumbering experts with their router rows keeps every MoE layer's output; without the router it does not", arguments: [false, true])
    func functionPreserving(stacked: Bool) throws {
        let original = CheckpointModel(stacked ? Fixtures.stackExperts(Self.model, experts: Self.experts) : Self.model)
        var permuted = original
        let record = try ExpertPermutation(seed: 7).apply(to: &permuted)
        #expect(record.functionPreserving && record.attack == "permute-experts")
        #expect(record.summary.contains("2 mixture-of-experts layers (4 experts)"), "\(record.summary)")
        let changed = zip(original.entries, permuted.entries).filter { $0.tensor.values != $1.tensor.values }.map(\.0.name)
        // Every expert tensor or stack and both routers moved (a permutation fixing no group is not guaranteed, but seed 7 moves all).
        #expect(changed.contains("model.layers.0.block_sparse_moe.gate.weight") && changed.contains("model.layers.1.block_sparse_moe.gate.weight"))
        #expect(changed.count >= (stacked ? 2 * 3 : 2 * 3 * 2) + 2, "\(changed)")
        #expect(try Self.maximumRelativeDifference(original, permuted) < 1e-12)
        // Negative control: the same experts renumbered but the routers left as they were.
        var broken = permuted
        for name in ["model.layers.0.block_sparse_moe.gate.weight", "model.layers.1.block_sparse_moe.gate.weight"] {
            broken.entries[broken.index(of: name)!].tensor.values = original[name]!.values
        }
        #expect(try Self.maximumRelativeDifference(original, broken) > 1e-4)
    }

    @Test("a model without experts, or with experts but no router, is refused with a sentence")
    func refusals() throws {
        var dense = CheckpointModel(ModelGenerator.generate(Self.spec, seed: 40))
        #expect(throws: PerturbationError.self) { try ExpertPermutation(seed: 1).apply(to: &dense) }
        do {
            _ = try ExpertPermutation(seed: 1).apply(to: &dense)
        } catch {
            #expect(error.description.contains("permute-experts") && error.description.contains("no mixture-of-experts layers"), "\(error)")
        }
        let routerless = ModelWeights(spec: Self.model.spec, tensors: Self.model.tensors.filter { !$0.name.hasSuffix("block_sparse_moe.gate.weight") })
        var model = CheckpointModel(routerless)
        do {
            _ = try ExpertPermutation(seed: 1).apply(to: &model)
            Issue.record("a model without routers was permuted")
        } catch {
            #expect(error.description.contains("no router"), "\(error)")
        }
    }
}
