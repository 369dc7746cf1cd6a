/// Every attack of DESIGN.md's catalogue alone, the hardest combinations, and the honest
/// negatives. Seeds are fixed: the same lineage gives the same suspects, byte for byte.
enum SuspectCatalogue {
    static let layerCount = 6

    static var all: [SuspectRecipe] {
        let release = Expectation.derived(from: .release)
        let reEncoded = Expectation.derived(from: .release, verdict: .reEncoded)
        let identical = Expectation.derived(from: .release, verdict: .identical)
        let permuteAll: [Attack] = [.permuteNeurons, .permuteHeads, .permuteHidden]
        func row(_ name: String, _ group: SuspectRecipe.Group, _ attacks: [Attack], seed: UInt64,
                 from source: LineageModel = .release, _ expectation: Expectation) -> SuspectRecipe {
            SuspectRecipe(name: name, group: group, source: source, attacks: attacks, seed: seed, expectation: expectation)
        }
        return [
            // 1. Exact copies and storage changes.
            row("byte-copy", .storage, [], seed: 0, identical),
            row("metadata-cleared", .storage, [.clearMetadata], seed: 1, identical),
            row("reshard-3", .storage, [.reshard(3)], seed: 2, identical),
            row("rename-gpt", .storage, [.rename(.gpt)], seed: 3, reEncoded),
            row("rename-opaque", .storage, [.rename(.opaque)], seed: 4, reEncoded),
            row("transpose", .storage, [.transpose], seed: 5, reEncoded),
            row("dtype-f16", .storage, [.dtype(.f16)], seed: 6, reEncoded),
            row("dtype-bf16", .storage, [.dtype(.bf16)], seed: 7, reEncoded),
            row("dtype-fp8", .storage, [.dtype(.fp8)], seed: 8, reEncoded),
            // Block-scaled FP8 as DeepSeek-V3 and Qwen3-FP8 publish it (F8_E4M3 codes, one factor per 128 × 128 block).
            row("dtype-fp8-block", .storage, [.dtype(.fp8Block)], seed: 9, reEncoded),
            // NVFP4 as NVIDIA's ModelOpt exports it (E2M1 codes, an F8_E4M3 scale per 16 values, an F32 scale per tensor).
            row("dtype-nvfp4", .storage, [.dtype(.nvfp4)], seed: 10, reEncoded),
            // W4A16 as llm-compressor writes it (compressed-tensors pack-quantized INT4, a BF16 scale per 128 values).
            row("dtype-int4", .storage, [.dtype(.int4)], seed: 15, reEncoded),
            // The same asymmetric (W4A16_ASYM, llm-compressor's AWQ default): a zero point per group, packed down the rows.
            row("dtype-int4-asym", .storage, [.dtype(.int4Asymmetric)], seed: 25, reEncoded),
            // The same in activation order (GPTQModifier's actorder: group): groups of equal-rank columns, weight_g_idx.
            row("dtype-int4-actorder", .storage, [.dtype(.int4ActivationOrder)], seed: 59, reEncoded),
            // The same format at 3 and 2 bits (AutoRound's W3A16 and W2A16: ten and sixteen codes per word), no recipe.
            row("dtype-int3", .storage, [.dtype(.int3)], seed: 28, reEncoded),
            row("dtype-int2", .storage, [.dtype(.int2)], seed: 29, reEncoded),
            // 4-bit GPTQ (AutoGPTQ's qweight/qzeros/scales/g_idx, groups of 128 in activation order) and AWQ (AutoAWQ's GEMM layout), round to nearest.
            row("dtype-gptq", .storage, [.dtype(.gptq)], seed: 16, reEncoded),
            row("dtype-awq", .storage, [.dtype(.awq)], seed: 17, reEncoded),
            // GPTQ at 3 and 2 bits (AutoGPTQ's packing: 32 rows per three words, 16 per word), round to nearest.
            row("dtype-gptq-3bit", .storage, [.dtype(.gptq3)], seed: 26, reEncoded),
            row("dtype-gptq-2bit", .storage, [.dtype(.gptq2)], seed: 27, reEncoded),
            // bitsandbytes NF4 as transformers saves a load_in_4bit model (unsloth's "-bnb-4bit" re-uploads).
            row("dtype-nf4", .storage, [.dtype(.nf4)], seed: 18, reEncoded),
            // bitsandbytes LLM.int8 as transformers saves a load_in_8bit model (I8 codes, SCB per row).
            row("dtype-llm-int8", .storage, [.dtype(.llmInt8)], seed: 19, reEncoded),
            // MLX 4-bit affine as mlx_lm convert -q saves it (mlx-community's "-4bit" re-uploads).
            row("dtype-mlx", .storage, [.dtype(.mlx)], seed: 20, reEncoded),
            // MLX's floating-point modes; mxfp8's saturating exponents need the wider rounding cell (docs/MATCHING.md §5).
            row("dtype-mlx-mxfp4", .storage, [.dtype(.mlxMXFP4)], seed: 60, reEncoded),
            row("dtype-mlx-nvfp4", .storage, [.dtype(.mlxNVFP4)], seed: 61, reEncoded),
            row("dtype-mlx-mxfp8", .storage, [.dtype(.mlxMXFP8)], seed: 62, reEncoded),
            // 2. GGUF quantizations in llama.cpp's layout, as leaked models circulate (the Miqu
            //    case). MiniLM's rows of 384 do not hold 256-value blocks, so all but the six
            //    output.dense matrices take llama.cpp's fallback (Q5_0 for Q4_K, Q4_0 for Q2_K,
            //    IQ4_NL for IQ2_XXS); Q1_0 (128-value blocks) quantizes every matrix to one bit,
            //    Q2_0 (64-value blocks) to −d, 0, +d.
            row("gguf-q8_0", .quantization, [.gguf(.q8_0)], seed: 51, reEncoded),
            row("gguf-q4_k", .quantization, [.gguf(.q4K)], seed: 52, reEncoded),
            row("gguf-q2_k", .quantization, [.gguf(.q2K)], seed: 53, reEncoded),
            row("gguf-iq2_xxs", .quantization, [.gguf(.iq2XXS)], seed: 54, reEncoded),
            row("gguf-q1_0", .quantization, [.gguf(.q1_0)], seed: 55, reEncoded),
            row("gguf-q2_0", .quantization, [.gguf(.q2_0)], seed: 63, reEncoded),
            // 3. Gaussian noise, σ relative to each tensor's std.
            row("noise-0.001", .value, [.noise(0.001)], seed: 11, release),
            row("noise-0.01", .value, [.noise(0.01)], seed: 12, release),
            row("noise-0.1", .value, [.noise(0.1)], seed: 13, release),
            row("noise-0.2", .value, [.noise(0.2)], seed: 14, release),
            // 4. Function-preserving reparametrisations.
            row("permute-neurons", .reparametrisation, [.permuteNeurons], seed: 21, release),
            row("permute-heads", .reparametrisation, [.permuteHeads], seed: 22, release),
            row("permute-hidden", .reparametrisation, [.permuteHidden], seed: 23, release),
            row("rescale", .reparametrisation, [.rescale], seed: 24, release),
            // 5. Structural edits.
            row("drop-layers-2,4", .structure, [.dropLayers([2, 4], of: layerCount)], seed: 31, release),
            row("keep-layers-0-3", .structure, [.keepLayers([0, 1, 2, 3])], seed: 32, release),
            row("extend-vocab-256", .structure, [.extendVocabulary(256)], seed: 33, release),
            row("merge-0.6-indep", .structure, [.merge(.independent1, weight: 0.6)], seed: 34, .merge([.release, .independent1])),
            row("graft-3-5-indep", .structure, [.graft(.independent1, layers: [3, 4, 5])], seed: 35, .merge([.release, .independent1])),
            // Structured width pruning (Minitron-style): a quarter of every layer's MLP neurons removed, the rest kept in order.
            row("prune-neurons-0.25", .structure, [.pruneNeurons(0.25)], seed: 64, release),
            // 6. Further training (real MLM fine-tune of the release on other text).
            row("fine-tune", .training, [], seed: 0, from: .releaseFineTuned, release),
            // 7. The hardest combinations.
            row("permute+noise+bf16+reshard+rename", .combination,
                permuteAll + [.noise(0.01), .dtype(.bf16), .reshard(3), .rename(.gpt)], seed: 41, release),
            row("fine-tune+permute", .combination, permuteAll, seed: 42, from: .releaseFineTuned, release),
            row("fine-tune+permute+noise+bf16+rename", .combination,
                permuteAll + [.noise(0.01), .dtype(.bf16), .rename(.gpt)], seed: 43, from: .releaseFineTuned, release),
            row("rescale+permute+noise0.1+fp8+transpose+opaque", .combination,
                permuteAll + [.rescale, .noise(0.1), .dtype(.fp8), .transpose, .rename(.opaque), .reshard(2)], seed: 44, release),
            // The two storage changes of the row above that hide what neuron profiles need, each alone with permutations.
            row("permute+transpose", .combination, permuteAll + [.transpose], seed: 47, release),
            row("permute+rename-opaque", .combination, permuteAll + [.rename(.opaque)], seed: 48, release),
            row("drop-layers+permute+noise+bf16", .combination,
                [.dropLayers([2, 4], of: layerCount), .permuteNeurons, .permuteHeads, .noise(0.01), .dtype(.bf16)], seed: 45, release),
            row("extend-vocab+permute-hidden+noise+rename", .combination,
                [.extendVocabulary(256), .permuteHidden, .noise(0.01), .rename(.gpt)], seed: 46, release),
            row("fine-tune+permute+gguf-q4_k", .combination, permuteAll + [.gguf(.q4K)], seed: 49, from: .releaseFineTuned, release),
            // Half the MLP pruned, then noise (a stand-in for the distillation that follows pruning), BF16, renamed; and pruning with permutations.
            row("prune-neurons-0.5+noise+bf16+rename", .combination, [.pruneNeurons(0.5), .noise(0.01), .dtype(.bf16), .rename(.gpt)], seed: 65, release),
            row("prune-neurons+permute", .combination, [.pruneNeurons(0.25), .permuteNeurons, .permuteHeads], seed: 66, release),
            // A quantized fine-tune is not a re-encoding: its change exceeds the rounding the
            // file's own block scales predict (docs/MATCHING.md §5, rounding budget).
            row("fine-tune+gguf-q8_0", .combination, [.gguf(.q8_0)], seed: 56, from: .releaseFineTuned, release),
            row("fine-tune+fp8-block", .combination, [.dtype(.fp8Block)], seed: 58, from: .releaseFineTuned, release),
            // 8. Honest negatives.
            row("sibling", .negative, [], seed: 0, from: .sibling, .derived(from: .base)),
            row("sibling+gguf-q4_k", .negative, [.gguf(.q4K)], seed: 57, from: .sibling, .derived(from: .base)),
            row("independent-2", .negative, [], seed: 0, from: .independent2, .unrelated),
        ]
    }
}
