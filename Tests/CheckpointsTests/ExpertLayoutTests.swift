@testable import Checkpoints
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

    @Test("fused gate/up names: which tensors are fused, along which axis, halves or interleaved")
    func fusedSplitRules() {
        #expect(FusedProjection.split(name: "model.layers.0.mlp.gate_up_proj.weight", shape: [512, 128], outputMajor: false)
                    == FusedProjection(axis: .rows, layout: .halves))
        #expect(FusedProjection.split(name: "model.layers.0.feed_forward.experts.gate_up_proj", shape: [16, 128, 512], outputMajor: false)
                    == FusedProjection(axis: .cols, layout: .halves))
        #expect(FusedProjection.split(name: "model.layers.0.mlp.experts.gate_up_proj", shape: [32, 128, 512], outputMajor: false)
                    == FusedProjection(axis: .cols, layout: .interleaved))
        #expect(FusedProjection.split(name: "model.layers.0.mlp.experts.gate_up_proj", shape: [32, 512, 128], outputMajor: true)
                    == FusedProjection(axis: .rows, layout: .interleaved))
        // Not fused: other names, odd fused lengths, biases, per-expert numbering.
        #expect(FusedProjection.split(name: "model.layers.0.mlp.up_proj.weight", shape: [512, 128], outputMajor: false) == nil)
        #expect(FusedProjection.split(name: "model.layers.0.mlp.gate_up_proj.weight", shape: [511, 128], outputMajor: false) == nil)
        // Granite 4.0's dense (or shared) MLP: gate rows, then up rows; its down projection is no fused tensor.
        #expect(FusedProjection.split(name: "model.layers.3.shared_mlp.input_linear.weight", shape: [1024, 256], outputMajor: false)
                    == FusedProjection(axis: .rows, layout: .halves))
        #expect(FusedProjection.split(name: "model.layers.3.shared_mlp.output_linear.weight", shape: [256, 512], outputMajor: false) == nil)
        // gpt-oss's expert biases: one row per expert, gate and up interleaved along it; a 1-D bias is not split.
        #expect(FusedProjection.split(name: "model.layers.0.mlp.experts.gate_up_proj_bias", shape: [32, 512], outputMajor: false)
                    == FusedProjection(axis: .cols, layout: .interleaved))
        #expect(FusedProjection.split(name: "model.layers.0.mlp.experts.gate_up_proj_bias", shape: [512], outputMajor: false) == nil)
        #expect(FusedProjection.split(name: "model.layers.0.mlp.gate_up_proj.bias", shape: [512], outputMajor: false) == nil)
        let halves = FusedProjection(axis: .cols, layout: .halves), interleaved = FusedProjection(axis: .cols, layout: .interleaved)
        #expect(halves.locate(3, length: 8) == (.gate, 3) && halves.locate(4, length: 8) == (.up, 0))
        #expect(interleaved.locate(6, length: 8) == (.gate, 3) && interleaved.locate(7, length: 8) == (.up, 3))
        #expect(halves.partView(.up, rows: 128, cols: 512) == (128, 256))
        #expect(FusedProjection(axis: .rows, layout: .halves).partView(.gate, rows: 512, cols: 128) == (256, 128))
    }

    @Test("latent attention: kv_b_proj's heads follow from its shape, kv_a_proj_with_mqa's and the query's; key rows, then value rows, per head")
    func latentAttentionSplits() {
        // DeepSeek-V3 / R1: 128 heads, n = v = 128, rotary 64, latent 512, query through q_b_proj.
        #expect(LatentAttention.headCount(keyValueRows: 128 * 256, latentRank: 512, latentInputRows: 576, queryRows: 128 * 192) == 128)
        // DeepSeek-V2-Lite: 16 heads, q_proj [16·192, 2048]; Kimi K2: 64 heads.
        #expect(LatentAttention.headCount(keyValueRows: 16 * 256, latentRank: 512, latentInputRows: 576, queryRows: 16 * 192) == 16)
        #expect(LatentAttention.headCount(keyValueRows: 64 * 256, latentRank: 512, latentInputRows: 576, queryRows: 64 * 192) == 64)
        // Shapes that fit no head layout: no rotary rows, odd rows, a query the rotary width does not divide.
        #expect(LatentAttention.headCount(keyValueRows: 256, latentRank: 576, latentInputRows: 576, queryRows: 192) == nil)
        #expect(LatentAttention.headCount(keyValueRows: 255, latentRank: 512, latentInputRows: 576, queryRows: 192) == nil)
        #expect(LatentAttention.headCount(keyValueRows: 256, latentRank: 512, latentInputRows: 576, queryRows: 128 + 65) == nil)

        func info(_ name: String, _ shape: [Int]) -> TensorInfo {
            TensorInfo(name: name, dtype: .bf16, shape: shape, fileIndex: 0, offset: 0, byteCount: UInt64(shape.reduce(2, *)))
        }
        let layer = "model.layers.3.self_attn."
        let tensors = [info(layer + "q_a_proj.weight", [1536, 7168]), info(layer + "q_b_proj.weight", [128 * 192, 1536]),
                       info(layer + "kv_a_proj_with_mqa.weight", [576, 7168]), info(layer + "kv_b_proj.weight", [128 * 256, 512]),
                       info("model.layers.4.self_attn.kv_b_proj.weight", [128 * 256, 512])]  // its layer lacks the other two
        let splits = LatentAttention.keyValueSplits(tensors)
        #expect(splits == [3: FusedProjection(keyRows: 128, valueRows: 128)])
        let split = FusedProjection(keyRows: 3, valueRows: 2)
        #expect((0..<10).map { split.locate($0, length: 10).part } == [.key, .key, .key, .value, .value, .key, .key, .key, .value, .value])
        #expect(split.locate(8, length: 10) == (.value, 0) && split.locate(6, length: 10) == (.key, 1))
        #expect(split.parts == [.key, .value] && split.stackedMatrices(rows: 10) == 2)
        #expect(split.partView(.key, rows: 10, cols: 7) == (3, 7) && split.partView(.value, rows: 10, cols: 7) == (2, 7))
        #expect(split.fits(rows: 10, cols: 7) && !split.fits(rows: 11, cols: 7))
        // llama.cpp's per-head stacks are stacks; an unsplit attn_kv_b, or attn_k_b outside a block, is not.
        #expect(ExpertLayout.stackedExpertCount(name: "blk.3.attn_k_b.weight", shape: [128, 512, 128]) == 128)
        #expect(ExpertLayout.stackedExpertCount(name: "blk.3.attn_v_b.weight", shape: [128, 128, 512]) == 128)
        #expect(ExpertLayout.stackedExpertCount(name: "blk.3.attn_kv_b.weight", shape: [32768, 512]) == nil)
        #expect(ExpertLayout.stackedExpertCount(name: "attn_k_b.weight", shape: [128, 512, 128]) == nil)
    }

    @Test("writeGGUF writes deepseek2's kv_b_proj as llama.cpp does: attn_k_b [H, L, n] (keys transposed per head), attn_v_b [H, v, L]")
    func latentAttentionConversion() throws {
        let directory = try FormatTestDirectory()
        let source = directory.path("model.safetensors")
        let (heads, keyRows, latent, rotary, hidden) = (2, 4, 8, 2, 16)
        // kv[h][r][l]: rows 0..<n of each head are keys, the next n values.
        func kv(_ h: Int, _ r: Int, _ l: Int) -> Float { Float(h * 1000 + r * 10 + l) }
        let kvB = (0..<heads).flatMap { h in (0..<(2 * keyRows)).flatMap { r in (0..<latent).map { l in kv(h, r, l) } } }
        let layer = "model.layers.0.self_attn."
        try SafetensorsWriter.write([
            .init(name: layer + "q_proj.weight", shape: [heads * (keyRows + rotary), hidden], values: [Float](repeating: 0.5, count: heads * (keyRows + rotary) * hidden)),
            .init(name: layer + "kv_a_proj_with_mqa.weight", shape: [latent + rotary, hidden], values: [Float](repeating: 0.25, count: (latent + rotary) * hidden)),
            .init(name: layer + "kv_b_proj.weight", shape: [heads * 2 * keyRows, latent], values: kvB),
        ], to: source)
        let copy = directory.path("model.gguf")
        try CheckpointConversion.writeGGUF(from: try CheckpointReader(path: source), to: copy, options: .init(matrixType: .f32, architecture: "deepseek2"))
        let reader = try CheckpointReader(path: copy)
        #expect(reader.checkpoint.tensors.map(\.name) == [layer + "q_proj.weight", layer + "kv_a_proj_with_mqa.weight", "blk.0.attn_k_b.weight", "blk.0.attn_v_b.weight"])
        let keys = try #require(reader.checkpoint.tensor(named: "blk.0.attn_k_b.weight"))
        let values = try #require(reader.checkpoint.tensor(named: "blk.0.attn_v_b.weight"))
        #expect(keys.shape == [heads, latent, keyRows] && values.shape == [heads, keyRows, latent])
        #expect(try readAllFloats(reader, keys) == (0..<heads).flatMap { h in (0..<latent).flatMap { l in (0..<keyRows).map { r in kv(h, r, l) } } })
        #expect(try readAllFloats(reader, values) == (0..<heads).flatMap { h in (0..<keyRows).flatMap { r in (0..<latent).map { l in kv(h, keyRows + r, l) } } })
        // Another architecture keeps kv_b_proj whole.
        try CheckpointConversion.writeGGUF(from: try CheckpointReader(path: source), to: copy, options: .init(matrixType: .f32, architecture: "qwen2"))
        #expect(try CheckpointReader(path: copy).checkpoint.tensors.contains { $0.name == layer + "kv_b_proj.weight" })
    }

    @Test("writeGGUF splits a fused gate/up stack into blk.N.ffn_gate_exps and ffn_up_exps, output rows first, value for value",
          arguments: [("feed_forward", false), ("mlp", false), ("mlp", true)])
    func fusedSplitConversion(block: String, outputMajor: Bool) throws {
        let directory = try FormatTestDirectory()
        let source = directory.path("model.safetensors")
        let (hidden, inner, experts) = (32, 48, 3)
        // gate[e][i][h] and up[e][i][h] as the separate [I, H] projections llama.cpp writes.
        func gate(_ e: Int, _ i: Int, _ h: Int) -> Float { Float(e * 10_000 + i * 100 + h) }
        func up(_ e: Int, _ i: Int, _ h: Int) -> Float { -gate(e, i, h) - 0.5 }
        let interleaved = block == "mlp"
        var fused: [Float] = []
        for e in 0..<experts {
            if outputMajor {  // [E, 2I, H]: fused rows
                for k in 0..<(2 * inner) {
                    for h in 0..<hidden { fused.append(interleaved ? (k % 2 == 0 ? gate(e, k / 2, h) : up(e, k / 2, h)) : (k < inner ? gate(e, k, h) : up(e, k - inner, h))) }
                }
            } else {  // [E, H, 2I]: fused columns
                for h in 0..<hidden {
                    for k in 0..<(2 * inner) { fused.append(interleaved ? (k % 2 == 0 ? gate(e, k / 2, h) : up(e, k / 2, h)) : (k < inner ? gate(e, k, h) : up(e, k - inner, h))) }
                }
            }
        }
        let shape = outputMajor ? [experts, 2 * inner, hidden] : [experts, hidden, 2 * inner]
        let split = CheckpointConversion.splitFused(fused, shape: shape, split: FusedProjection(axis: outputMajor ? .rows : .cols, layout: interleaved ? .interleaved : .halves))
        let parts = (gate: split.parts[0].1, up: split.parts[1].1)
        #expect(split.parts.map(\.0) == [.gate, .up])
        #expect(split.shape == [experts, inner, hidden])
        let wantGate = (0..<experts).flatMap { e in (0..<inner).flatMap { i in (0..<hidden).map { h in gate(e, i, h) } } }
        let wantUp = (0..<experts).flatMap { e in (0..<inner).flatMap { i in (0..<hidden).map { h in up(e, i, h) } } }
        #expect(parts.gate == wantGate && parts.up == wantUp)
        guard !outputMajor else { return }  // a plain F32 stack is never output-major on disk; the rows axis is MXFP4's
        try SafetensorsWriter.write([.init(name: "model.layers.0.\(block).experts.gate_up_proj", shape: shape, values: fused)], to: source)
        let copy = directory.path("model.gguf")
        try CheckpointConversion.writeGGUF(from: try CheckpointReader(path: source), to: copy, options: .init(matrixType: .f32, architecture: "llama"))
        let reader = try CheckpointReader(path: copy)
        #expect(reader.checkpoint.tensors.map(\.name) == ["blk.0.ffn_gate_exps.weight", "blk.0.ffn_up_exps.weight"])
        for (name, want) in [("blk.0.ffn_gate_exps.weight", wantGate), ("blk.0.ffn_up_exps.weight", wantUp)] {
            let tensor = try #require(reader.checkpoint.tensor(named: name))
            #expect(tensor.shape == [experts, inner, hidden])
            #expect(try readAllFloats(reader, tensor) == want, "\(name)")
        }
    }
}
