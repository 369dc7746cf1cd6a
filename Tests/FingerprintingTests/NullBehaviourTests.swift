@testable import Fingerprinting
import ModelFixtures
import Foundation
import SyntheticModels
import Testing

@Suite("Null behaviour: independently initialised models must not look alike")
struct NullBehaviourTests {
    @Test("statistics of independent models are nearly identical; their sketches are unrelated")
    func statisticsFailSketchesHold() throws {
        let a = try Fixtures.fingerprint(ModelGenerator.generate(.tinyLlama, seed: 21))
        let b = try Fixtures.fingerprint(ModelGenerator.generate(.tinyLlama, seed: 22))
        let signs = SignTable(seed: .standard, count: 1024)
        var maxStdDifference = 0.0, maxAbsCosine = 0.0, matrices = 0
        for (x, y) in zip(a.tensors, b.tensors) where x.role.isWeightMatrix {
            matrices += 1
            let sx = x.statistics!, sy = y.statistics!
            maxStdDifference = max(maxStdDifference, abs(sx.std - sy.std) / sx.std)
            let view = x.matrixView!
            let cosine = SketchMath.cosine(
                SketchMath.centered(x.sketch, rows: view.rows, cols: view.cols, mean: sx.mean, signs: signs),
                SketchMath.centered(y.sketch, rows: view.rows, cols: view.cols, mean: sy.mean, signs: signs))
            maxAbsCosine = max(maxAbsCosine, abs(cosine))
        }
        #expect(matrices > 20)
        // A std-curve or quantile comparison would call these "the same model".
        #expect(maxStdDifference < 0.03, "std differs by \(maxStdDifference)")
        // The sketches do not: every tensor's estimated cosine is inside the null band.
        #expect(maxAbsCosine < 0.0625, "max |cos| \(maxAbsCosine)")
        // Exact layers differ everywhere.
        #expect(Set(a.tensors.map(\.canonical.sha256)).isDisjoint(with: Set(b.tensors.filter { $0.role.isWeightMatrix }.map(\.canonical.sha256))))
        // And they share (almost) no index keys.
        let shared = Set(a.indexKeys.filter { $0.kind == "sketch" }).intersection(b.indexKeys.filter { $0.kind == "sketch" })
        #expect(shared.count <= 2)
    }

    @Test("neuron profiles of independent models fail the cross-check")
    func profilesOfIndependentModels() throws {
        let a = try Fixtures.fingerprint(ModelGenerator.generate(.tinyLlama, seed: 23))
        let b = try Fixtures.fingerprint(ModelGenerator.generate(.tinyLlama, seed: 24))
        for (x, y) in zip(a.profiles, b.profiles) {
            let comparison = ProfileComparison.compare(
                referenceInput: x.inputProfiles, referencePaired: x.pairedProfiles,
                suspectInput: y.inputProfiles, suspectPaired: y.pairedProfiles, t: ProbeBasis.tokenCount)
            #expect(abs(comparison.crossCheck) < 0.1, "\(x.kind) layer \(x.layer): T = \(comparison.crossCheck)")
            #expect(comparison.z < 4.5, "\(x.kind) layer \(x.layer): z = \(comparison.z)")
        }
    }
}
