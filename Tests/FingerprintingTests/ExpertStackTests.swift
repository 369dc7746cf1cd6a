import ModelFixtures
import Checkpoints
@testable import Fingerprinting
import Foundation
import SyntheticModels
import Testing

/// Mixture-of-experts layers: per-expert tensors and rank-3 stacks of experts (docs/FINGERPRINT_FORMAT.md §4b).
@Suite("Experts stacked in rank-3 tensors are sketched as the sum of their matrices")
struct ExpertStackTests {
    static let experts = 4
    static let model = ModelGenerator.mixtureOfExperts(
        ModelGenerator.generate(TransformerSpec(family: .llama, vocabSize: 512, hiddenSize: 128, intermediateSize: 256,
                                                layerCount: 2, headCount: 4), seed: 700),
        experts: experts, seed: 701)

    @Test("a stack's sketch and a group of per-expert tensors both hold the sum of the experts' sketches; routers and sizes are recognised")
    func stackSketchIsTheSum() throws {
        let perExpert = try Fixtures.fingerprint(Self.model)
        let stacked = try Fixtures.fingerprint(Fixtures.stackExperts(Self.model, experts: Self.experts))
        let stacks = stacked.tensors.filter { $0.experts != nil }
        #expect(stacks.count == 2 * 3)
        #expect(stacked.expertGroups.isEmpty)
        #expect(perExpert.expertGroups.count == 2 * 3)
        for stack in stacks {
            #expect(stack.experts == Self.experts)
            #expect(stack.sketch.count == 64 * 64)
            #expect(!stack.lshKeys.isEmpty)
            // The definition (SketchTests.referenceSketch) summed over the experts.
            let (rows, cols) = (stack.shape[1], stack.shape[2])
            var sum = [Double](repeating: 0, count: 64 * 64)
            for expert in 0..<Self.experts {
                let values = Self.model[stack.name.replacingOccurrences(of: ".experts.", with: ".experts.\(expert).")]!.values
                for (cell, value) in SketchTests.referenceSketch(values, rows: rows, cols: cols).enumerated() { sum[cell] += value }
            }
            let scale = sum.map(abs).max()!
            for cell in sum.indices {
                #expect(abs(Double(stack.sketch[cell]) - sum[cell]) <= 1e-5 * scale, "\(stack.name) cell \(cell)")
            }
            // The per-expert checkpoint's group holds the same sum; its members keep no sketch of their own.
            let groupName = stack.name.replacingOccurrences(of: ".experts.", with: ".experts.*.")
            let group = try #require(perExpert.expertGroups.first { $0.name == groupName })
            #expect(group.members.map { perExpert.tensors[$0].name }
                        == (0..<Self.experts).map { stack.name.replacingOccurrences(of: ".experts.", with: ".experts.\($0).") })
            #expect(group.members.allSatisfy { perExpert.tensors[$0].sketch.isEmpty && perExpert.tensors[$0].lshKeys.isEmpty })
            for cell in sum.indices {
                #expect(abs(Double(group.sketch[cell]) - sum[cell]) <= 1e-5 * scale, "\(group.name) cell \(cell)")
            }
            // Their LSH keys agree (sign bits of projections of nearly equal sketches).
            #expect(Set(group.lshKeys).intersection(stack.lshKeys).count >= group.lshKeys.count * 3 / 4)
            // The statistics cover every expert.
            #expect(stack.statistics?.count == group.members.reduce(0) { $0 + perExpert.tensors[$1].statistics!.count })
        }
        #expect(Set(perExpert.expertGroups.flatMap(\.lshKeys)).isSubset(of: Set(perExpert.indexKeys.map(\.value))))
        for fingerprint in [perExpert, stacked] {
            #expect(fingerprint.structure.intermediateSize == 256)
            let routers = fingerprint.tensors.filter { $0.role == .mlpRouter }
            #expect(routers.map(\.name) == ["model.layers.0.block_sparse_moe.gate.weight", "model.layers.1.block_sparse_moe.gate.weight"])
        }
        // The expert count survives the file format, and a stack's sketch view is one expert's matrix.
        let path = Fixtures.temporaryDirectory() + "/stacked.fingerprint"
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        try stacked.write(to: path)
        let reread = try Fingerprint.read(from: path).fingerprint
        #expect(reread.tensors.map(\.experts) == stacked.tensors.map(\.experts))
        #expect(reread.tensors.map(\.sketch) == stacked.tensors.map(\.sketch))
        try perExpert.write(to: path)
        #expect(try Fingerprint.read(from: path).fingerprint.expertGroups == perExpert.expertGroups)
        let down = try #require(reread.tensors.first { $0.name == "model.layers.1.block_sparse_moe.experts.w2.weight" })
        #expect(down.matrixView! == (128, 256))
    }

    @Test("the stack's sketch does not depend on chunk size or thread count")
    func stackDeterminism() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try Fixtures.write(Fixtures.stackExperts(Self.model, experts: Self.experts), to: directory)
        var small = FingerprintOptions()
        small.chunkBytes = 4096 + 12
        small.threads = 1
        let a = try Fingerprinter.fingerprint(path: path, options: small)
        let b = try Fingerprinter.fingerprint(path: path)
        #expect(try a.encoded() == b.encoded())
    }

    @Test("a file declaring experts its shape does not hold is rejected, naming the tensor")
    func badExpertCount() throws {
        var stacked = try Fixtures.fingerprint(Fixtures.stackExperts(Self.model, experts: Self.experts))
        let index = try #require(stacked.tensors.firstIndex { $0.experts != nil })
        stacked.tensors[index].experts = 3
        let bytes = try stacked.encoded()
        #expect {
            _ = try Fingerprint.decode(bytes, name: "bad.fingerprint")
        } throws: { error in
            "\(error)".contains(stacked.tensors[index].name) && "\(error)".contains("3 stacked experts")
        }
    }

    @Test("a file whose expert groups do not list distinct sketchless matrices of one shape is rejected")
    func badExpertGroups() throws {
        let perExpert = try Fixtures.fingerprint(Self.model)
        var repeated = perExpert
        repeated.expertGroups[0].members = [repeated.expertGroups[0].members[0], repeated.expertGroups[0].members[0]]
        var sketched = perExpert
        sketched.tensors[sketched.expertGroups[1].members[1]].sketch = perExpert.expertGroups[1].sketch
        var mixed = perExpert
        mixed.expertGroups[2].members[1] = mixed.expertGroups[0].members[0]
        for (fingerprint, message) in [(repeated, "does not list two or more distinct tensors"),
                                       (sketched, "without sketches of their own"), (mixed, "without sketches of their own")] {
            let bytes = try fingerprint.encoded()
            #expect {
                _ = try Fingerprint.decode(bytes, name: "bad.fingerprint")
            } throws: { error in
                "\(error)".contains(message) && "\(error)".contains("bad.fingerprint")
            }
        }
    }

    @Test("many small experts: one sketch per layer and role, not per expert (prints the size)")
    func fingerprintSize() throws {
        let experts = 64
        let spec = TransformerSpec(family: .llama, vocabSize: 256, hiddenSize: 64, intermediateSize: 32, layerCount: 2, headCount: 4)
        let model = ModelGenerator.mixtureOfExperts(ModelGenerator.generate(spec, seed: 710), experts: experts, seed: 711)
        let fingerprint = try Fixtures.fingerprint(model)
        let bytes = try fingerprint.encoded()
        let members = fingerprint.expertGroups.reduce(0) { $0 + $1.members.count }
        #expect(fingerprint.expertGroups.count == 2 * 3 && members == 2 * 3 * experts)
        let buffer = try SafetensorsBuffer(bytes: bytes, name: "moe.fingerprint")
        let sketchArrays = buffer.tensors.filter { $0.name.hasPrefix("sketch.") || $0.name.hasPrefix("expert-group.") }
        // Attention matrices and embeddings keep their sketches; the experts add six, not 384.
        let others = fingerprint.tensors.filter { !$0.sketch.isEmpty }.count
        #expect(sketchArrays.count == others + 6)
        let perExpertSketches = members * 64 * 64 * 4
        print("MoE fingerprint: \(members) expert matrices in \(fingerprint.expertGroups.count) groups, \(bytes.count) bytes"
              + " (\(bytes.count / fingerprint.tensors.count) per tensor); one sketch per expert would add \(perExpertSketches) bytes")
        #expect(bytes.count < perExpertSketches / 4)
    }
}
