import Checkpoints
import Foundation
import Testing

/// Mixture-of-experts layouts (`ExpertLayout`) and the stacking GGUF conversion.
@Suite("Experts: per-expert names, rank-3 stacks, GGUF stacking")
struct ExpertLayoutTests {
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

    @Test("writeGGUF stacks a layer's experts in expert order into blk.N.ffn_*_exps, or keeps them apart when asked", arguments: [true, false])
    func stackingConversion(stack: Bool) throws {
        let directory = try FormatTestDirectory()
        let source = directory.path("model.safetensors")
        let (hidden, ff, experts) = (64, 96, 3)
        func values(_ count: Int, _ seed: Float) -> [Float] { (0..<count).map { sin(Float($0) * 0.37 + seed) } }
        var tensors: [SafetensorsWriter.Tensor] = [.init(name: "model.layers.0.block_sparse_moe.gate.weight", shape: [experts, hidden],
                                                         values: values(experts * hidden, 9))]
        // Written out of expert order: the stack must still be in expert order.
        for expert in [2, 0, 1] {
            for (role, shape) in [("w1", [ff, hidden]), ("w2", [hidden, ff]), ("w3", [ff, hidden])] {
                tensors.append(.init(name: "model.layers.0.block_sparse_moe.experts.\(expert).\(role).weight", shape: shape,
                                     values: values(ff * hidden, Float(expert * 10) + Float(role.last!.wholeNumberValue!))))
            }
        }
        try SafetensorsWriter.write(tensors, to: source)
        let original = try CheckpointReader(path: source)
        let copy = directory.path("model.gguf")
        try CheckpointConversion.writeGGUF(from: original, to: copy, options: .init(matrixType: .f32, architecture: "llama", stackExperts: stack))
        let reader = try CheckpointReader(path: copy)
        if stack {
            #expect(Set(reader.checkpoint.tensors.map(\.name)) == ["model.layers.0.block_sparse_moe.gate.weight", "blk.0.ffn_gate_exps.weight",
                                                                   "blk.0.ffn_down_exps.weight", "blk.0.ffn_up_exps.weight"])
            for (stackName, role) in [("blk.0.ffn_gate_exps.weight", "w1"), ("blk.0.ffn_down_exps.weight", "w2"), ("blk.0.ffn_up_exps.weight", "w3")] {
                let stacked = try #require(reader.checkpoint.tensor(named: stackName))
                let expertShape = try #require(original.checkpoint.tensor(named: "model.layers.0.block_sparse_moe.experts.0.\(role).weight")).shape
                #expect(stacked.shape == [experts] + expertShape)
                #expect(ExpertLayout.stackedExpertCount(name: stacked.name, shape: stacked.shape) == experts)
                let want = try (0..<experts).flatMap { expert in
                    try readAllFloats(original, #require(original.checkpoint.tensor(named: "model.layers.0.block_sparse_moe.experts.\(expert).\(role).weight")))
                }
                #expect(try readAllFloats(reader, stacked) == want, "\(stackName)")
            }
        } else {
            // Older llama.cpp files: one tensor per expert, named back to the original.
            #expect(Set(reader.checkpoint.tensors.map(\.name)) == Set(original.checkpoint.tensors.map(\.name)))
            #expect(reader.checkpoint.tensor(named: "model.layers.0.block_sparse_moe.experts.2.w1.weight")?.storedName == "blk.0.ffn_gate.2.weight")
        }
    }
}
