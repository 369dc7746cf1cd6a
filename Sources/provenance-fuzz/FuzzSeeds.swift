import CheckpointFixtures
import Checkpoints
import Fingerprinting
import Foundation

/// A small seed corpus for every fuzz target, written with the project's own writers:
/// safetensors with every dtype, GGUF with float, legacy and k-quant types, a PyTorch archive
/// (whole, and its pickle alone), mixture-of-experts layouts, latent attention, and fingerprint
/// files (with expert groups, stacks and expert digests; fused gate/up and key/value parts).
enum FuzzSeeds {
    static func write(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let scratch = directory + "/.scratch"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        func seed(_ name: String, _ target: FuzzTarget, _ payload: [UInt8]) throws {
            try Data([target.rawValue] + payload).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
        func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

        let values = (0..<64).map { Float(sin(Double($0) * 0.7)) * 0.05 }
        var floats: [TensorBytes] = [.f32, .f16, .bf16, .f64].map {
            TensorBytes(name: "model.layers.0.mlp.\($0.name.lowercased()).weight", shape: [8, 8], values: values, as: $0)
        }
        floats.append(TensorBytes(name: "model.embed_tokens.weight", shape: [16, 4], values: values))
        let safetensors = scratch + "/seed.safetensors"
        try SafetensorsWriter.write(floats, metadata: ["format": "pt"], to: safetensors)
        try seed("safetensors-floats", .checkpointFile, try bytes(safetensors))

        let others = DType.allCases.filter { dtype in
            !dtype.isBlockQuantized && (try? SafetensorsWriter.write(
                [TensorBytes(name: "t", dtype: dtype, shape: [4], bytes: [UInt8](repeating: 0x41, count: dtype.byteCount(forElements: 4) ?? 0))],
                to: scratch + "/probe.safetensors")) != nil
        }
        let mixed = others.enumerated().map { index, dtype in
            TensorBytes(name: "t\(index).\(dtype.name)", dtype: dtype, shape: [2, 4],
                        bytes: (0..<(dtype.byteCount(forElements: 8) ?? 0)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ index) })
        }
        try SafetensorsWriter.write(mixed, to: safetensors)
        try seed("safetensors-dtypes", .checkpointFile, try bytes(safetensors))

        // Scaled weights: block (DeepSeek-V3), per-row INT8 and per-tensor FP8 factors.
        let codes = (0..<(130 * 8)).map { UInt8(truncatingIfNeeded: $0 &* 29) & 0x7E }
        let scaled = [
            TensorBytes(name: "a.weight", dtype: .f8E4M3, shape: [130, 8], bytes: codes),
            TensorBytes(name: "a.weight_scale_inv", shape: [2, 1], values: [0.5, 2]),
            TensorBytes(name: "b.weight", dtype: .i8, shape: [4, 8], bytes: Array(codes.prefix(32))),
            TensorBytes(name: "b.weight_scale", shape: [4, 1], values: [1, 2, 3, 4], as: .bf16),
            TensorBytes(name: "c.weight", dtype: .f8E5M2, shape: [4, 8], bytes: Array(codes.suffix(32))),
            TensorBytes(name: "c.weight_scale", shape: [], values: [0.25]),
        ]
        try SafetensorsWriter.write(scaled, to: safetensors)
        try seed("safetensors-scaled", .checkpointFile, try bytes(safetensors))

        // Mixture-of-experts: per-expert tensors with a router (an expert group), a BF16 stack of
        // experts (expert digests) and a llama.cpp-named F32 stack.
        let expertValues = (0..<(3 * 8 * 16)).map { Float(sin(Double($0) * 0.11)) * 0.03 }
        var experts: [TensorBytes] = [TensorBytes(name: "model.layers.0.block_sparse_moe.gate.weight", shape: [3, 16], values: Array(expertValues.prefix(48)))]
        for expert in 0..<3 {
            experts.append(TensorBytes(name: "model.layers.0.block_sparse_moe.experts.\(expert).w1.weight", shape: [8, 16],
                                       values: Array(expertValues[(expert * 128)..<((expert + 1) * 128)])))
        }
        experts.append(TensorBytes(name: "model.layers.1.mlp.experts.down_proj", shape: [3, 8, 16], values: expertValues, as: .bf16))
        experts.append(TensorBytes(name: "blk.2.ffn_up_exps.weight", shape: [3, 8, 16], values: expertValues))
        // gpt-oss MXFP4: blocks of 32 E2M1 codes with E8M0 exponents.
        experts.append(TensorBytes(name: "model.layers.3.mlp.experts.gate_up_proj_blocks", dtype: .u8, shape: [3, 8, 1, 16],
                                   bytes: (0..<(3 * 8 * 16)).map { UInt8(truncatingIfNeeded: $0 &* 53 &+ 7) }))
        experts.append(TensorBytes(name: "model.layers.3.mlp.experts.gate_up_proj_scales", dtype: .u8, shape: [3, 8, 1],
                                   bytes: (0..<24).map { UInt8(120 + $0 % 9) }))
        try SafetensorsWriter.write(experts, to: safetensors)
        try seed("safetensors-experts", .checkpointFile, try bytes(safetensors))
        try seed("fingerprint-experts", .fingerprintFile, try Fingerprinter.fingerprint(path: safetensors).encoded())

        // NVFP4 (ModelOpt: weight, weight_scale, weight_scale_2; compressed-tensors: weight_packed,
        // weight_scale, weight_global_scale) and fused gate/up stacks (halves and interleaved).
        let nvfp4Codes = (0..<(4 * 16)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 3) }
        let blockScales = (0..<(4 * 2)).map { UInt8(0x30 + $0 % 16) }
        var nvfp4: [TensorBytes] = []
        for (base, packed) in [("model.layers.0.mlp.down_proj", false), ("model.layers.0.mlp.up_proj", true)] {
            nvfp4.append(TensorBytes(name: base + (packed ? ".weight_packed" : ".weight"), dtype: .u8, shape: [4, 16], bytes: nvfp4Codes))
            nvfp4.append(TensorBytes(name: base + ".weight_scale", dtype: .f8E4M3, shape: [4, 2], bytes: blockScales))
            nvfp4.append(TensorBytes(name: base + (packed ? ".weight_global_scale" : ".weight_scale_2"), shape: packed ? [1] : [], values: [packed ? 900 : 0.002]))
        }
        // compressed-tensors pack-quantized INT4: eight offset-8 codes per I32 word, group scales, the shape.
        nvfp4.append(TensorBytes(name: "model.layers.0.mlp.gate_proj.weight_packed", dtype: .i32, shape: [4, 4], bytes: Array(nvfp4Codes.prefix(64))))
        nvfp4.append(TensorBytes(name: "model.layers.0.mlp.gate_proj.weight_scale", shape: [4, 2], values: [0.01, 0.02, 0.5, 1, 2, 0.25, 0.125, 4], as: .bf16))
        nvfp4.append(TensorBytes(name: "model.layers.0.mlp.gate_proj.weight_shape", dtype: .i64, shape: [2],
                                 bytes: [Int64(4), Int64(32)].flatMap { value in withUnsafeBytes(of: value.littleEndian, Array.init) }))
        // The same asymmetric (zero points packed down the rows, groups in activation order) and 8-bit (four codes per word, I8 zero points).
        nvfp4.append(TensorBytes(name: "model.layers.0.self_attn.q_proj.weight_packed", dtype: .i32, shape: [4, 4], bytes: Array(nvfp4Codes.prefix(64))))
        nvfp4.append(TensorBytes(name: "model.layers.0.self_attn.q_proj.weight_scale", shape: [4, 2], values: [0.01, 0.02, 0.5, 1, 2, 0.25, 0.125, 4], as: .bf16))
        nvfp4.append(TensorBytes(name: "model.layers.0.self_attn.q_proj.weight_zero_point", dtype: .i32, shape: [1, 2], bytes: [0x98, 0x7A, 0x01, 0xF3, 0x10, 0x32, 0x54, 0x76]))
        // Its groups in activation order (GPTQ's actorder: group): each column's group.
        nvfp4.append(TensorBytes(name: "model.layers.0.self_attn.q_proj.weight_g_idx", dtype: .i32, shape: [32],
                                 bytes: (0..<32).flatMap { column in withUnsafeBytes(of: Int32((column * 5) % 32 / 16).littleEndian, Array.init) }))
        nvfp4.append(TensorBytes(name: "model.layers.0.self_attn.k_proj.weight_packed", dtype: .i32, shape: [4, 4], bytes: Array(nvfp4Codes.prefix(64))))
        nvfp4.append(TensorBytes(name: "model.layers.0.self_attn.k_proj.weight_scale", shape: [4, 1], values: [0.01, 0.5, 2, 0.125], as: .bf16))
        nvfp4.append(TensorBytes(name: "model.layers.0.self_attn.k_proj.weight_zero_point", dtype: .i8, shape: [4, 1], bytes: [0x80, 0x00, 0x05, 0x7F]))
        nvfp4.append(TensorBytes(name: "model.layers.0.self_attn.k_proj.weight_shape", dtype: .i32, shape: [2],
                                 bytes: [Int32(4), Int32(16)].flatMap { value in withUnsafeBytes(of: value.littleEndian, Array.init) }))
        nvfp4.append(TensorBytes(name: "model.layers.1.feed_forward.experts.gate_up_proj", shape: [3, 8, 16], values: expertValues, as: .bf16))
        nvfp4.append(TensorBytes(name: "model.layers.2.mlp.experts.gate_up_proj", shape: [3, 8, 16], values: expertValues))
        try SafetensorsWriter.write(nvfp4, to: safetensors)
        try seed("safetensors-nvfp4-fused", .checkpointFile, try bytes(safetensors))
        try seed("fingerprint-fused", .fingerprintFile, try Fingerprinter.fingerprint(path: safetensors).encoded())

        // Latent attention (DeepSeek-V2/V3): kv_b_proj split into key/value parts from the layer's
        // shapes (2 heads, n = v = 4, latent 8, rotary 2), and llama.cpp's per-head stacks of it.
        let latentValues = (0..<(12 * 16)).map { Float(cos(Double($0) * 0.21)) * 0.04 }
        let latent = [
            TensorBytes(name: "model.layers.0.self_attn.q_proj.weight", shape: [12, 16], values: latentValues, as: .bf16),
            TensorBytes(name: "model.layers.0.self_attn.kv_a_proj_with_mqa.weight", shape: [10, 16], values: Array(latentValues.prefix(160)), as: .bf16),
            TensorBytes(name: "model.layers.0.self_attn.kv_b_proj.weight", shape: [16, 8], values: Array(latentValues.prefix(128)), as: .bf16),
        ]
        try SafetensorsWriter.write(latent, to: safetensors)
        try seed("safetensors-latent-attention", .checkpointFile, try bytes(safetensors))
        try seed("fingerprint-latent-attention", .fingerprintFile, try Fingerprinter.fingerprint(path: safetensors).encoded())
        var deepseek = GGUFMetadata()
        deepseek["general.architecture"] = .string("deepseek2")
        let deepseekPath = scratch + "/seed-deepseek2.gguf"
        try GGUFWriter.write([
            TensorBytes(name: "blk.0.attn_k_b.weight", shape: [2, 8, 32], values: (0..<512).map { latentValues[$0 % latentValues.count] }, as: .q8_0),
            TensorBytes(name: "blk.0.attn_v_b.weight", shape: [2, 4, 8], values: Array(latentValues.prefix(64)), as: .f16),
            TensorBytes(name: "blk.0.exp_probs_b.bias", shape: [4], values: Array(latentValues.prefix(4)), as: .f32),
        ], metadata: deepseek, to: deepseekPath)
        try seed("gguf-deepseek2", .checkpointFile, try bytes(deepseekPath))

        // GPTQ (qweight packed down the rows, qzeros minus one, a shuffled g_idx) and AWQ (eight
        // interleaved columns per word) 4-bit weights of [K 16, N 8], two groups.
        let words = (0..<16).map { UInt8(truncatingIfNeeded: $0 &* 97 &+ 5) }
        let zeroWords = (0..<8).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ 0x77) }
        let groupScales = (0..<16).map { [0.01, 0.02, 0.5, 1][$0 % 4] as Float }
        var zeroPoint: [TensorBytes] = [
            TensorBytes(name: "model.layers.0.self_attn.q_proj.qweight", dtype: .i32, shape: [2, 8], bytes: words + words + words + words),
            TensorBytes(name: "model.layers.0.self_attn.q_proj.g_idx", dtype: .i32, shape: [16],
                        bytes: (0..<16).flatMap { row in withUnsafeBytes(of: Int32((row * 5) % 16 / 8).littleEndian, Array.init) }),
            TensorBytes(name: "model.layers.0.self_attn.k_proj.qweight", dtype: .i32, shape: [16, 1], bytes: words + words + words + words),
        ]
        for base in ["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.k_proj"] {
            zeroPoint.append(TensorBytes(name: base + ".qzeros", dtype: .i32, shape: [2, 1], bytes: zeroWords))
            zeroPoint.append(TensorBytes(name: base + ".scales", shape: [2, 8], values: groupScales, as: .f16))
        }
        // 3-bit GPTQ of [K 32, N 32] (32 rows per three words, fields straddling words; zeros a
        // stream along the row) and compressed-tensors' 3-bit pack-quantized [4, 40] (ten codes per word).
        let streamWords = (0..<(3 * 32 * 4)).map { UInt8(truncatingIfNeeded: $0 &* 53 &+ 11) }
        zeroPoint += [
            TensorBytes(name: "model.layers.0.self_attn.v_proj.qweight", dtype: .i32, shape: [3, 32], bytes: streamWords),
            TensorBytes(name: "model.layers.0.self_attn.v_proj.qzeros", dtype: .i32, shape: [1, 3], bytes: Array(streamWords.suffix(12))),
            TensorBytes(name: "model.layers.0.self_attn.v_proj.scales", shape: [1, 32], values: groupScales + groupScales, as: .f16),
            TensorBytes(name: "model.layers.0.self_attn.v_proj.g_idx", dtype: .i32, shape: [32], bytes: [UInt8](repeating: 0, count: 128)),
            TensorBytes(name: "model.layers.0.self_attn.o_proj.weight_packed", dtype: .i32, shape: [4, 4], bytes: Array(streamWords.prefix(64))),
            TensorBytes(name: "model.layers.0.self_attn.o_proj.weight_scale", shape: [4, 1], values: [0.01, 0.5, 2, 0.125], as: .bf16),
            TensorBytes(name: "model.layers.0.self_attn.o_proj.weight_shape", dtype: .i64, shape: [2],
                        bytes: [Int64(4), Int64(40)].flatMap { value in withUnsafeBytes(of: value.littleEndian, Array.init) }),
        ]
        // bitsandbytes NF4: plain and double-quantized factors, the JSON quant state.
        let nf4Values = (0..<(4 * 128)).map { Float(sin(Double($0) * 0.7)) }
        zeroPoint += BitsAndBytesTensors.nf4(name: "model.layers.1.mlp.up_proj.weight", values: nf4Values, rows: 4, columns: 128, nestedBlockSize: nil).tensors
        zeroPoint += BitsAndBytesTensors.nf4(name: "model.layers.1.mlp.down_proj.weight", values: nf4Values, rows: 4, columns: 128, nestedBlockSize: 4).tensors
        // bitsandbytes LLM.int8: I8 codes, SCB per row, the weight_format byte.
        zeroPoint += BitsAndBytesTensors.llmInt8(name: "model.layers.1.mlp.gate_proj.weight", values: nf4Values, rows: 4, columns: 128).tensors
        // MLX affine: U32 words, BF16 scales and biases per group of 64; 4-, 8- and 3-bit (a bit stream).
        zeroPoint += MLXTensors.affine(name: "model.layers.2.mlp.up_proj.weight", values: nf4Values, rows: 4, columns: 128).tensors
        zeroPoint += MLXTensors.affine(name: "model.layers.2.mlp.down_proj.weight", values: nf4Values, rows: 4, columns: 128, bits: 8).tensors
        zeroPoint += MLXTensors.affine(name: "model.layers.2.mlp.gate_proj.weight", values: nf4Values, rows: 4, columns: 128, bits: 3).tensors
        // MLX's floating-point modes (U8 scales, no biases) and a stack of experts (switch_mlp).
        zeroPoint += MLXTensors.floatingPoint(name: "model.layers.3.self_attn.q_proj.weight", values: nf4Values, shape: [4, 128], mode: .nvfp4).tensors
        zeroPoint += MLXTensors.floatingPoint(name: "model.layers.3.self_attn.k_proj.weight", values: nf4Values, shape: [4, 128], mode: .mxfp8).tensors
        zeroPoint += MLXTensors.floatingPoint(name: "model.layers.3.mlp.switch_mlp.up_proj.weight", values: nf4Values, shape: [2, 2, 128], mode: .mxfp4).tensors
        try SafetensorsWriter.write(zeroPoint, to: safetensors)
        try seed("safetensors-gptq-awq-bitsandbytes-mlx", .checkpointFile, try bytes(safetensors))

        var metadata = GGUFMetadata()
        metadata["general.architecture"] = .string("llama")
        metadata["llama.attention.head_count"] = .uint32(2)
        metadata["llama.attention.head_count_kv"] = .uint32(2)
        let quantized = (0..<1024).map { Float(cos(Double($0) * 0.3)) }
        var ggufTensors: [TensorBytes] = [
            TensorBytes(name: "token_embd.weight", shape: [16, 4], values: values, as: .f16),
            TensorBytes(name: "blk.0.attn_q.weight", shape: [4, 256], values: quantized, as: .q8_0),
            TensorBytes(name: "blk.0.attn_k.weight", shape: [4, 256], values: quantized, as: .q4_0),
            TensorBytes(name: "blk.0.ffn_up.weight", shape: [4, 256], values: quantized, as: .q5_1),
        ]
        for (index, dtype) in DType.allCases.enumerated() where dtype.isBlockQuantized && !GGMLQuantizer.referenceTypes.contains(dtype) && dtype.ggmlTypeID != nil {
            ggufTensors.append(TensorBytes(name: "blk.1.extra\(index).weight", dtype: dtype, shape: [1, 256],
                                           bytes: (0..<(dtype.byteCount(forElements: 256) ?? 0)).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ index) }))
        }
        let gguf = scratch + "/seed.gguf"
        try GGUFWriter.write(ggufTensors, metadata: metadata, to: gguf)
        try seed("gguf", .checkpointFile, try bytes(gguf))

        // Falcon 40B's layout: grouped query/key/value rows (undone on read) and its second norm.
        var falcon = GGUFMetadata()
        falcon["general.architecture"] = .string("falcon")
        falcon["falcon.attention.head_count"] = .uint32(4)
        falcon["falcon.attention.head_count_kv"] = .uint32(2)
        let fused = (0..<(16 * 32)).map { Float(sin(Double($0) * 0.11)) }
        let falconPath = scratch + "/seed-falcon.gguf"
        try GGUFWriter.write([
            TensorBytes(name: "blk.0.attn_qkv.weight", shape: [16, 32], values: fused, as: .q8_0),
            TensorBytes(name: "blk.0.attn_qkv.bias", shape: [16], values: Array(fused.prefix(16)), as: .f32),
            TensorBytes(name: "blk.0.attn_norm_2.weight", shape: [32], values: Array(fused.prefix(32)), as: .f32),
        ], metadata: falcon, to: falconPath)
        try seed("gguf-falcon", .checkpointFile, try bytes(falconPath))

        let pytorch = scratch + "/seed.pt"
        try PyTorchWriter.write(Array(floats.prefix(3)), to: pytorch, archiveName: "archive")
        let archive = try bytes(pytorch)
        try seed("pytorch-archive", .checkpointFile, archive)
        if let pickle = storedRecord(named: "archive/data.pkl", in: archive) {
            try seed("pytorch-pickle", .pickle, pickle)
        }

        let fingerprint = try Fingerprinter.fingerprint(path: gguf)
        try seed("fingerprint", .fingerprintFile, try fingerprint.encoded())
    }

    /// The bytes of an uncompressed zip record, found by its local file header.
    static func storedRecord(named name: String, in zip: [UInt8]) -> [UInt8]? {
        func integer(_ offset: Int, _ width: Int) -> Int {
            (0..<width).reduce(0) { $0 | Int(zip[offset + $1]) << (8 * $1) }
        }
        var offset = 0
        while offset + 30 <= zip.count, integer(offset, 4) == 0x0403_4B50 {
            let size = integer(offset + 18, 4), nameLength = integer(offset + 26, 2), extraLength = integer(offset + 28, 2)
            let start = offset + 30 + nameLength + extraLength
            guard start + size <= zip.count else { return nil }
            if String(decoding: zip[(offset + 30)..<(offset + 30 + nameLength)], as: UTF8.self) == name {
                return Array(zip[start..<(start + size)])
            }
            offset = start + size
        }
        return nil
    }
}
