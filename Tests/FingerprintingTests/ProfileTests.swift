@testable import Fingerprinting
import ModelFixtures
import Foundation
import SyntheticModels
import Testing

@Suite("Permutation-robust neuron profiles")
struct ProfileTests {
    func crossChecks(_ reference: Fingerprint, _ suspect: Fingerprint) -> [String: ProfileComparison] {
        var result: [String: ProfileComparison] = [:]
        for x in reference.profiles {
            guard let y = suspect.profiles.first(where: { $0.kind == x.kind && $0.layer == x.layer }) else { continue }
            result["\(x.kind)@\(x.layer)"] = ProfileComparison.compare(
                referenceInput: x.inputProfiles, referencePaired: x.pairedProfiles,
                suspectInput: y.inputProfiles, suspectPaired: y.pairedProfiles, t: ProbeBasis.tokenCount)
        }
        return result
    }

    @Test("profiles survive hidden, neuron and head permutations with reciprocal rescaling")
    func permutedCopy() throws {
        let model = ModelGenerator.generate(.tinyLlama, seed: 31)
        var copy = TestAttacks.permuteHidden(model, seed: 1)
        copy = TestAttacks.permuteNeurons(copy, seed: 2, rescale: true)
        copy = TestAttacks.permuteHeads(copy, seed: 3, rescale: true)
        let reference = try Fixtures.fingerprint(model)
        let suspect = try Fixtures.fingerprint(copy)
        let checks = crossChecks(reference, suspect)
        #expect(checks.count == reference.profiles.count)
        for (name, check) in checks {
            #expect(check.crossCheck > 0.95, "\(name): T = \(check.crossCheck)")
            #expect(check.permutationPValue <= 0.001, "\(name)")
            #expect(check.z > 20, "\(name): z = \(check.z)")
        }
        // The raw sketches of the permuted matrices are scrambled (that is why profiles exist).
        let up = "model.layers.1.mlp.up_proj.weight"
        let a = reference.tensors.first { $0.name == up }!, b = suspect.tensors.first { $0.name == up }!
        #expect(abs(SketchMath.cosine(a.sketch, b.sketch)) < 0.2)
    }

    @Test("profiles survive permutation plus noise (0.2 × std) and BF16 storage")
    func permutedNoisyCopy() throws {
        let model = ModelGenerator.generate(.tinyLlama, seed: 32)
        var copy = TestAttacks.permuteNeurons(TestAttacks.permuteHidden(model, seed: 4), seed: 5)
        copy = TestAttacks.noise(copy, relative: 0.2, seed: 6)
        let checks = crossChecks(try Fixtures.fingerprint(model), try Fixtures.fingerprint(copy, layout: .init(dtype: .bf16)))
        for (name, check) in checks {
            #expect(check.crossCheck > 0.6, "\(name): T = \(check.crossCheck)")
            #expect(check.z > 10, "\(name): z = \(check.z)")
        }
    }

    /// Every 2-D tensor but the embedding tables, as a Flax/JAX `(in, out)` kernel checkpoint stores them.
    static func kernelLayout(_ model: ModelWeights) -> Fixtures.Layout {
        Fixtures.Layout(transposed: Set(model.tensors.filter { $0.shape.count == 2 && !$0.name.contains("embed") }.map(\.name)))
    }

    /// Norm weights away from 1, so that folding them into the profiles is exercised.
    static func withNorms(_ model: ModelWeights, seed: UInt64) -> ModelWeights {
        var result = model
        var rng = SplitMix64(seed: seed)
        for index in result.tensors.indices where result.tensors[index].name.contains("norm") && result.tensors[index].name.hasSuffix("weight") {
            result.tensors[index].values = result.tensors[index].values.map { _ in 1 + 0.3 * rng.nextGaussian() }
        }
        return result
    }

    @Test("profiles are the same when matrices are stored transposed (the (in, out) kernel layout)",
          arguments: [TransformerSpec.tinyLlama, .tinyBERT])
    func kernelLayoutProfiles(spec: TransformerSpec) throws {
        let model = Self.withNorms(ModelGenerator.generate(spec, seed: 33), seed: 9)
        let reference = try Fixtures.fingerprint(model)
        let transposed = try Fixtures.fingerprint(model, layout: Self.kernelLayout(model))
        #expect(!reference.profiles.isEmpty)
        #expect(transposed.profiles.map { "\($0.kind)@\($0.layer)" } == reference.profiles.map { "\($0.kind)@\($0.layer)" })
        for (x, y) in zip(reference.profiles, transposed.profiles) {
            #expect(x.selected == y.selected, "\(x.kind)@\(x.layer)")
            let difference = zip(x.inputProfiles + x.pairedProfiles, y.inputProfiles + y.pairedProfiles).map { abs($0 - $1) }.max() ?? 1
            #expect(difference < 1e-4, "\(x.kind)@\(x.layer): largest difference \(difference)")
        }
    }

    @Test("a permuted copy stored transposed still passes the cross-check")
    func permutedKernelLayoutCopy() throws {
        let model = Self.withNorms(ModelGenerator.generate(.tinyLlama, seed: 34), seed: 10)
        var copy = TestAttacks.permuteHidden(model, seed: 7)
        copy = TestAttacks.permuteNeurons(copy, seed: 8, rescale: true)
        let reference = try Fixtures.fingerprint(model)
        let checks = crossChecks(reference, try Fixtures.fingerprint(copy, layout: Self.kernelLayout(copy)))
        #expect(checks.count == reference.profiles.count)
        for (name, check) in checks {
            #expect(check.crossCheck > 0.95, "\(name): T = \(check.crossCheck)")
            #expect(check.z > 20, "\(name): z = \(check.z)")
        }
    }
}

@Suite("Linear assignment")
struct LinearAssignmentTests {
    @Test("matches brute force on small random instances")
    func bruteForce() {
        var rng = SplitMix64(seed: 77)
        for trial in 0..<30 {
            let rows = 1 + trial % 5, cols = rows + trial % 3
            let weights = (0..<(rows * cols)).map { _ in Double(rng.nextGaussian()) }
            let assignment = LinearAssignment.maximize(weights: weights, rows: rows, cols: cols)
            #expect(Set(assignment).count == rows)
            let total = assignment.enumerated().reduce(0.0) { $0 + weights[$1.offset * cols + $1.element] }
            var best = -Double.infinity
            func search(_ row: Int, _ used: Set<Int>, _ sum: Double) {
                if row == rows { best = max(best, sum); return }
                for col in 0..<cols where !used.contains(col) { search(row + 1, used.union([col]), sum + weights[row * cols + col]) }
            }
            search(0, [], 0)
            #expect(abs(total - best) < 1e-9)
        }
    }
}
