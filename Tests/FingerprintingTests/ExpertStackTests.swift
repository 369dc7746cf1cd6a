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
    static let model = Fixtures.mixtureOfExperts(
        ModelGenerator.generate(TransformerSpec(family: .llama, vocabSize: 512, hiddenSize: 128, intermediateSize: 256,
                                                layerCount: 2, headCount: 4), seed: 700),
        experts: experts, seed: 701)

    @Test("names and shapes say which tensors are stacks and which experts are numbered")
    func layoutFromNames() {
        #expect(ExpertLayout.stackedExpertCount(name: "blk.3.ffn_up_exps.weight", shape: [8, 256, 128]) == 8)
        #expect(ExpertLayout.stackedExpertCount(name: "model.layers.0.feed_forward.experts.down_proj", shape: [16, 512, 128]) == 16)
        #expect(ExpertLayout.stackedExpertCount(name: "model.layers.0.mlp.experts.3.up_proj.weight", shape: [8, 256, 128]) == nil)
        #expect(ExpertLayout.stackedExpertCount(name: "blk.3.ffn_up_exps.weight", shape: [256, 128]) == nil)
        #expect(ExpertLayout.stackedExpertCount(name: "encoder.conv.weight", shape: [8, 256, 128]) == nil)
        #expect(ExpertLayout.expertIndex(name: "model.layers.2.block_sparse_moe.experts.11.w1.weight") == 11)
        #expect(ExpertLayout.expertIndex(name: "blk.2.ffn_gate.5.weight") == 5)
        #expect(ExpertLayout.expertIndex(name: "model.layers.2.mlp.up_proj.weight") == nil)
        #expect(ExpertLayout.groupName(name: "model.layers.2.mlp.experts.11.up_proj.weight") == "model.layers.2.mlp.experts.*.up_proj.weight")
        #expect(ExpertLayout.groupName(name: "blk.2.ffn_gate.2.weight") == "blk.2.ffn_gate.*.weight")
        #expect(ExpertLayout.stackName(forGroup: "blk.2.ffn_gate.*.weight") == "blk.2.ffn_gate_exps.weight")
        #expect(ExpertLayout.stackName(forGroup: "model.layers.2.mlp.experts.*.up_proj.weight") == "model.layers.2.mlp.experts.up_proj.weight")
    }

    @Test("a stack's sketch is the sum of its experts' sketches; routers and sizes are recognised")
    func stackSketchIsTheSum() throws {
        let perExpert = try Fixtures.fingerprint(Self.model)
        let stacked = try Fixtures.fingerprint(Fixtures.stackExperts(Self.model, experts: Self.experts))
        let stacks = stacked.tensors.filter { $0.experts != nil }
        #expect(stacks.count == 2 * 3)
        for stack in stacks {
            #expect(stack.experts == Self.experts)
            #expect(stack.sketch.count == 64 * 64)
            #expect(!stack.lshKeys.isEmpty)
            let members = (0..<Self.experts).map { expert in
                perExpert.tensors.first { $0.name == stack.name.replacingOccurrences(of: ".experts.", with: ".experts.\(expert).") }!
            }
            #expect(members.allSatisfy { $0.experts == nil && $0.role == stack.role && $0.layer == stack.layer })
            var sum = [Double](repeating: 0, count: 64 * 64)
            for member in members { for cell in sum.indices { sum[cell] += Double(member.sketch[cell]) } }
            let scale = sum.map(abs).max()!
            for cell in sum.indices {
                #expect(abs(Double(stack.sketch[cell]) - sum[cell]) <= 1e-5 * scale, "\(stack.name) cell \(cell)")
            }
            // The statistics cover every expert.
            #expect(stack.statistics?.count == members.reduce(0) { $0 + $1.statistics!.count })
        }
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
}
