/// Maps llama.cpp tensor names (as `convert_hf_to_gguf.py` writes them) to Hugging Face
/// names, so a GGUF copy lines up with its safetensors original.
///
/// Each mapped architecture (`general.architecture`) has a naming scheme: whole-model names,
/// a layer prefix and per-layer names, checked against files the real converter wrote
/// (`Tests/CheckpointsTests/Fixtures/LlamaCppArchitectures`, llama.cpp 0c1e570). For other
/// architectures names stay as stored. Values are not transformed beyond undoing two row
/// permutations (`RowPermutation`): the RoPE one of `ropePermutedArchitectures` and the
/// query/key/value regrouping of `groupedQKVArchitectures` — and state-space tensors of
/// `stateSpaceReshapedArchitectures` get their Hugging Face shapes back (a reshape: the same
/// values in the same order); tensors with no single Hugging Face counterpart
/// (stacks of experts whose original is one tensor per expert, or split out of a fused one)
/// keep their llama.cpp names.
public enum GGUFNameMapping {
    /// Architectures whose names are mapped.
    public static let mappedArchitectures: Set<String> = Set(schemes.keys).subtracting(variants.values.map(\.scheme))

    /// Architectures whose query/key rows llama.cpp permutes for RoPE (`LlamaModel.permute`,
    /// `undo_permute = True`): its LlamaModel and the subclasses that keep that conversion —
    /// llama (also Mistral, Mixtral), granite, granitemoe, arcee, smollm3 and OLMo (the first)
    /// checked on files it wrote; granite_swa, llama-embed and nanbeige read from the converter (they inherit it
    /// unchanged); the hybrids Granite 4.0-H (`granitehybrid`) and Nemotron-H (`nemotron_h`, `nemotron_h_moe`),
    /// whose attention layers go through it (`undo_permute = True`), seen on files it wrote (names mapped for all three);
    /// Mistral 3 / Ministral 3 (`mistral3`, the language model of Mistral Small 3.1's vision-language release), seen too.
    /// Not apertus or llama4 (`undo_permute = False`), nor qwen2/qwen3, gemma, phi3, olmo2.
    public static let ropePermutedArchitectures: Set<String> = [
        "llama", "granite", "granitemoe", "granite_swa", "arcee", "smollm3", "llama-embed", "nanbeige", "olmo",
        "granitehybrid", "nemotron_h", "nemotron_h_moe", "mistral3",
    ]

    /// Architectures whose fused query/key/value rows llama.cpp regroups from per-group
    /// `[queries, key, value]` to all queries, all keys, all values (`RowPermutation.Kind.groupedQKV`):
    /// GPT-NeoX and BLOOM with one group per head, Falcon with one per key/value head
    /// (`head_count_kv`; a single group, Falcon 7B's multi-query layout, is left as it is).
    public static let groupedQKVArchitectures: Set<String> = ["gptneox", "bloom", "falcon"]

    /// Architectures whose state-space layers llama.cpp stores in Mamba-2's shapes: the decays
    /// `ssm_a` and skips `ssm_d` as `[heads, 1]` columns, the gated norm `ssm_norm` as
    /// `[groups, d_inner / groups]` (`Mamba2Model.modify_tensors` and the classes built on it).
    /// A reader gives them back the Hugging Face shapes, `[heads]` and `[d_inner]`: the same
    /// values in the same order, and a 2-D norm would be neither a norm nor canonical (its
    /// canonical form transposes a wide matrix). Not Mamba (the first), whose `[d_inner, d_state]`
    /// decays are the original's shape, nor Jamba, which converts as Mamba does.
    public static let stateSpaceReshapedArchitectures: Set<String> = ["mamba2", "granitehybrid", "falcon-h1", "nemotron_h", "nemotron_h_moe"]

    /// One architecture's names: whole-model tensors, the layer prefix, per-layer tensors
    /// (llama.cpp base name → Hugging Face base name; `blk.N.<name>` → `<layerPrefix>.N.<name>`).
    struct Scheme {
        var global: [String: String]
        var layerPrefix: String
        var layer: [String: String]
        /// Per-layer tensors whose suffix changes too (llama.cpp `base.suffix` → the Hugging Face
        /// name in the layer): DeepSeek-V3's `exp_probs_b.bias` ← `mlp.gate.e_score_correction_bias`.
        var layerWhole: [String: String] = [:]
        /// Per-expert tensors (`blk.N.ffn_gate.E` → `….block_sparse_moe.experts.E.w1`), Mixtral in older llama.cpp files.
        var perExpert = false

        func adding(_ more: [String: String]) -> Scheme {
            var result = self
            result.layer.merge(more) { _, new in new }
            return result
        }
    }

    /// The Llama scheme most decoder-only architectures share.
    static let llama = Scheme(
        global: ["token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"],
        layerPrefix: "model.layers",
        layer: [
            "attn_norm": "input_layernorm",
            "ffn_norm": "post_attention_layernorm",
            "attn_q": "self_attn.q_proj",
            "attn_k": "self_attn.k_proj",
            "attn_v": "self_attn.v_proj",
            "attn_output": "self_attn.o_proj",
            "attn_q_norm": "self_attn.q_norm",
            "attn_k_norm": "self_attn.k_norm",
            "ffn_gate": "mlp.gate_proj",
            "ffn_up": "mlp.up_proj",
            "ffn_down": "mlp.down_proj",
        ])

    /// Norms after attention and after the MLP as well as before them (Gemma 2 and 3; OLMo 2 and EXAONE 4 have only the after ones).
    static let sandwichNorms = llama.adding([
        "ffn_norm": "pre_feedforward_layernorm",
        "post_attention_norm": "post_attention_layernorm",
        "post_ffw_norm": "post_feedforward_layernorm",
    ])

    /// Qwen's mixture of experts: the router, and a shared expert beside the routed ones.
    static let qwenMixture = llama.adding([
        "ffn_gate_inp": "mlp.gate",
        "ffn_gate_shexp": "mlp.shared_expert.gate_proj",
        "ffn_up_shexp": "mlp.shared_expert.up_proj",
        "ffn_down_shexp": "mlp.shared_expert.down_proj",
        "ffn_gate_inp_shexp": "mlp.shared_expert_gate",
    ])

    /// BERT (`convert_hf_to_gguf.py`'s BertModel), to the unprefixed names sentence-transformers
    /// checkpoints use.
    static let bert = Scheme(
        global: [
            "token_embd": "embeddings.word_embeddings",
            "position_embd": "embeddings.position_embeddings",
            "token_types": "embeddings.token_type_embeddings",
            "token_embd_norm": "embeddings.LayerNorm",
        ],
        layerPrefix: "encoder.layer",
        layer: [
            "attn_q": "attention.self.query",
            "attn_k": "attention.self.key",
            "attn_v": "attention.self.value",
            "attn_output": "attention.output.dense",
            "attn_output_norm": "attention.output.LayerNorm",
            "ffn_up": "intermediate.dense",
            "ffn_down": "output.dense",
            "layer_output_norm": "output.LayerNorm",
        ])

    /// GPT-2, with the `transformer.` prefix `save_pretrained` writes. The converter stores its
    /// Conv1D matrices (`[in, out]`) transposed; the canonical fingerprint equates both orientations.
    static let gpt2 = Scheme(
        global: ["token_embd": "transformer.wte", "position_embd": "transformer.wpe", "output_norm": "transformer.ln_f", "output": "lm_head"],
        layerPrefix: "transformer.h",
        layer: [
            "attn_norm": "ln_1", "attn_qkv": "attn.c_attn", "attn_output": "attn.c_proj",
            "ffn_norm": "ln_2", "ffn_up": "mlp.c_fc", "ffn_down": "mlp.c_proj",
        ])

    /// GPT-NeoX (Pythia and its kin).
    static let gptNeoX = Scheme(
        global: ["token_embd": "gpt_neox.embed_in", "output_norm": "gpt_neox.final_layer_norm", "output": "embed_out"],
        layerPrefix: "gpt_neox.layers",
        layer: [
            "attn_norm": "input_layernorm", "attn_qkv": "attention.query_key_value", "attn_output": "attention.dense",
            "ffn_norm": "post_attention_layernorm", "ffn_up": "mlp.dense_h_to_4h", "ffn_down": "mlp.dense_4h_to_h",
        ])

    /// BLOOM; Falcon shares its names (without the embedding norm and the post-attention norm).
    static let bloom = Scheme(
        global: [
            "token_embd": "transformer.word_embeddings", "token_embd_norm": "transformer.word_embeddings_layernorm",
            "output_norm": "transformer.ln_f", "output": "lm_head",
        ],
        layerPrefix: "transformer.h",
        layer: [
            "attn_norm": "input_layernorm", "attn_qkv": "self_attention.query_key_value", "attn_output": "self_attention.dense",
            "ffn_norm": "post_attention_layernorm", "ffn_up": "mlp.dense_h_to_4h", "ffn_down": "mlp.dense_4h_to_h",
        ])

    /// Mamba (`MambaForCausalLM`, under `backbone.`): a state-space mixer in every layer. The
    /// decays `ssm_a` hold `−exp(A_log)` (the converter takes the exponential; the matching's
    /// `NegatedExponentials` pairs them), named for the tensor they come from, as Gemma's
    /// `1 + w` norms are.
    static let mamba = Scheme(
        global: ["token_embd": "backbone.embeddings", "output_norm": "backbone.norm_f", "output": "lm_head"],
        layerPrefix: "backbone.layers",
        layer: [
            "attn_norm": "norm", "ssm_in": "mixer.in_proj", "ssm_conv1d": "mixer.conv1d", "ssm_x": "mixer.x_proj",
            "ssm_dt": "mixer.dt_proj", "ssm_out": "mixer.out_proj",
        ],
        layerWhole: ["ssm_a": "mixer.A_log", "ssm_d": "mixer.D"])

    /// Architectures whose files come in two layouts, told apart by a per-layer tensor only one
    /// of them has: Falcon 40B/180B (`new_decoder_architecture`) norm attention and MLP inputs
    /// separately (`attn_norm_2` ← `ln_attn`, `attn_norm` ← `ln_mlp`) where Falcon 7B has one
    /// `input_layernorm`.
    static let variants: [String: (marker: String, scheme: String)] = [
        "falcon": (marker: "attn_norm_2", scheme: "falcon-new-decoder"),
    ]

    /// The naming scheme of a file of `architecture` holding `tensorNames` (llama.cpp names):
    /// the architecture itself, or its variant when the file has the variant's marker tensor.
    public static func scheme(forArchitecture architecture: String, tensorNames: some Sequence<String>) -> String {
        guard let variant = variants[architecture] else { return architecture }
        let marker = ".\(variant.marker)."
        return tensorNames.contains { $0.hasPrefix("blk.") && $0.contains(marker) } ? variant.scheme : architecture
    }

    /// The mapped architectures' schemes.
    static let schemes: [String: Scheme] = {
        var schemes: [String: Scheme] = [:]
        for architecture in ["qwen2", "qwen2vl", "qwen3", "qwen3vl", "mistral3", "granite", "granite_swa", "arcee", "smollm3", "llama-embed", "nanbeige", "gemma", "stablelm",
                             "olmo", "nemotron", "ernie4_5", "command-r"] {
            schemes[architecture] = llama
        }
        var mixtral = llama.adding(["ffn_gate_inp": "block_sparse_moe.gate"])
        mixtral.perExpert = true
        schemes["llama"] = mixtral
        schemes["gemma2"] = sandwichNorms
        schemes["gemma3"] = sandwichNorms
        schemes["olmo2"] = sandwichNorms
        schemes["exaone4"] = sandwichNorms
        schemes["olmoe"] = llama.adding(["ffn_gate_inp": "mlp.gate"])
        schemes["glm4"] = llama.adding(["ffn_up": "mlp.gate_up_proj", "post_attention_norm": "post_self_attn_layernorm", "post_ffw_norm": "post_mlp_layernorm"])
        // Seed-OSS's converter names the norm before the MLP `post_attention_norm`, not `ffn_norm`.
        var seed = llama.adding(["post_attention_norm": "post_attention_layernorm"])
        seed.layer["ffn_norm"] = nil
        schemes["seed_oss"] = seed
        // Llama 4: the MLP under `feed_forward`, a router and a shared expert; its stacks of experts keep llama.cpp's names.
        schemes["llama4"] = llama.adding([
            "ffn_gate": "feed_forward.gate_proj", "ffn_up": "feed_forward.up_proj", "ffn_down": "feed_forward.down_proj",
            "ffn_gate_inp": "feed_forward.router",
            "ffn_gate_shexp": "feed_forward.shared_expert.gate_proj", "ffn_up_shexp": "feed_forward.shared_expert.up_proj",
            "ffn_down_shexp": "feed_forward.shared_expert.down_proj",
        ])
        // DeepSeek-V2/V3 (and Kimi K2): latent attention, a router with a score-correction bias, shared experts.
        // The converter splits `kv_b_proj` into per-head stacks that keep llama.cpp's names (`attn_k_b`, `attn_v_b`;
        // `FusedProjection`); files written before that split hold `attn_kv_b`.
        var deepseek = llama.adding([
            "attn_q_a": "self_attn.q_a_proj", "attn_q_a_norm": "self_attn.q_a_layernorm", "attn_q_b": "self_attn.q_b_proj",
            "attn_kv_a_mqa": "self_attn.kv_a_proj_with_mqa", "attn_kv_a_norm": "self_attn.kv_a_layernorm",
            "attn_kv_b": "self_attn.kv_b_proj", "ffn_gate_inp": "mlp.gate",
            "ffn_gate_shexp": "mlp.shared_experts.gate_proj", "ffn_up_shexp": "mlp.shared_experts.up_proj",
            "ffn_down_shexp": "mlp.shared_experts.down_proj",
        ])
        deepseek.layerWhole = ["exp_probs_b.bias": "mlp.gate.e_score_correction_bias"]
        schemes["deepseek2"] = deepseek
        // GLM-4.5 (and GLM-4.6): Seed-OSS's norm names, DeepSeek's router and shared experts.
        var glmMixture = seed.adding([
            "ffn_gate_inp": "mlp.gate", "ffn_gate_shexp": "mlp.shared_experts.gate_proj",
            "ffn_up_shexp": "mlp.shared_experts.up_proj", "ffn_down_shexp": "mlp.shared_experts.down_proj",
        ])
        glmMixture.layerWhole = deepseek.layerWhole
        schemes["glm4moe"] = glmMixture
        schemes["hunyuan-dense"] = llama.adding(["attn_q_norm": "self_attn.query_layernorm", "attn_k_norm": "self_attn.key_layernorm"])
        schemes["qwen2moe"] = qwenMixture
        schemes["qwen3moe"] = qwenMixture
        // Granite MoE's experts are stacks in both files (its fused gate/up `input_linear` is split in two by the converter).
        // Granite MoE shared (and Granite 4.0's MoE layers): the shared expert's down projection keeps its name; its
        // fused `shared_mlp.input_linear` is split in two like the experts' (`FusedProjection`).
        schemes["granitemoe"] = llama.adding(["ffn_gate_inp": "block_sparse_moe.router.layer", "ffn_down_exps": "block_sparse_moe.output_linear",
                                              "ffn_down_shexp": "shared_mlp.output_linear"])
        schemes["apertus"] = llama.adding(["attn_norm": "attention_layernorm", "ffn_norm": "feedforward_layernorm"])
        schemes["phi3"] = llama.adding(["attn_qkv": "self_attn.qkv_proj", "ffn_up": "mlp.gate_up_proj"])
        schemes["starcoder2"] = llama.adding(["ffn_up": "mlp.c_fc", "ffn_down": "mlp.c_proj"])
        var phi2 = llama.adding(["attn_output": "self_attn.dense", "ffn_up": "mlp.fc1", "ffn_down": "mlp.fc2"])
        phi2.global["output_norm"] = "model.final_layernorm"
        schemes["phi2"] = phi2
        schemes["mamba"] = mamba
        // Mamba-2: a per-head time-step bias (the converter names it `ssm_dt.bias`) and a gated norm; no x or dt projections.
        var mamba2 = mamba.adding(["ssm_norm": "mixer.norm"])
        mamba2.layer["ssm_x"] = nil
        mamba2.layer["ssm_dt"] = nil
        mamba2.layerWhole["ssm_dt.bias"] = "mixer.dt_bias"
        schemes["mamba2"] = mamba2
        // Jamba: Mamba layers (under `mamba.`, with norms of dt, B and C) and attention layers, an MLP under `feed_forward`.
        var jamba = llama.adding([
            "ffn_norm": "pre_ff_layernorm", "ffn_gate": "feed_forward.gate_proj", "ffn_up": "feed_forward.up_proj",
            "ffn_down": "feed_forward.down_proj", "ffn_gate_inp": "feed_forward.router",
            "ssm_in": "mamba.in_proj", "ssm_conv1d": "mamba.conv1d", "ssm_x": "mamba.x_proj", "ssm_dt": "mamba.dt_proj",
            "ssm_out": "mamba.out_proj", "ssm_dt_norm": "mamba.dt_layernorm", "ssm_b_norm": "mamba.b_layernorm",
            "ssm_c_norm": "mamba.c_layernorm",
        ])
        jamba.global["output_norm"] = "model.final_layernorm"
        jamba.layerWhole = ["ssm_a": "mamba.A_log", "ssm_d": "mamba.D"]
        schemes["jamba"] = jamba
        // Granite 4.0-H (and Bamba): Mamba-2 layers under `mamba.`, Granite MoE's router, experts and shared MLP, whose
        // fused `input_linear` the converter splits (`FusedProjection`); its down projection is `ffn_down` without experts.
        var graniteHybrid = llama.adding([
            "ssm_in": "mamba.in_proj", "ssm_conv1d": "mamba.conv1d", "ssm_out": "mamba.out_proj", "ssm_norm": "mamba.norm",
            "ffn_gate_inp": "block_sparse_moe.router.layer", "ffn_down_exps": "block_sparse_moe.output_linear",
            "ffn_down": "shared_mlp.output_linear", "ffn_down_shexp": "shared_mlp.output_linear",
        ])
        graniteHybrid.layerWhole = ["ssm_a": "mamba.A_log", "ssm_d": "mamba.D", "ssm_dt.bias": "mamba.dt_bias"]
        schemes["granitehybrid"] = graniteHybrid
        // Nemotron-H: every layer is one mixer (Mamba-2, attention, a ReLU² MLP, or experts) after one norm, under
        // `backbone.`. transformers 5 configs always state `num_experts_per_tok`, so the converter names even dense
        // models `nemotron_h_moe`. The routed experts are stacks in the GGUF, per-expert tensors in the original: the stacks are
        // named as the original's experts stacked (`mixer.experts.up_proj`), so they are not counted as renamed.
        var nemotronHybrid = Scheme(
            global: ["token_embd": "backbone.embeddings", "output_norm": "backbone.norm_f", "output": "lm_head"],
            layerPrefix: "backbone.layers",
            layer: [
                "attn_norm": "norm", "attn_q": "mixer.q_proj", "attn_k": "mixer.k_proj", "attn_v": "mixer.v_proj",
                "attn_output": "mixer.o_proj", "ffn_up": "mixer.up_proj", "ffn_down": "mixer.down_proj",
                "ssm_in": "mixer.in_proj", "ssm_conv1d": "mixer.conv1d", "ssm_out": "mixer.out_proj", "ssm_norm": "mixer.norm",
                "ffn_gate_inp": "mixer.gate", "ffn_up_shexp": "mixer.shared_experts.up_proj",
                "ffn_down_shexp": "mixer.shared_experts.down_proj",
                "ffn_latent_down": "mixer.fc1_latent_proj", "ffn_latent_up": "mixer.fc2_latent_proj",
                "ffn_up_exps": "mixer.experts.up_proj", "ffn_down_exps": "mixer.experts.down_proj",
            ])
        nemotronHybrid.layerWhole = [
            "ssm_a": "mixer.A_log", "ssm_d": "mixer.D", "ssm_dt.bias": "mixer.dt_bias",
            "exp_probs_b.bias": "mixer.gate.e_score_correction_bias",
        ]
        schemes["nemotron_h"] = nemotronHybrid
        schemes["nemotron_h_moe"] = nemotronHybrid
        // Falcon-H1: attention and a Mamba-2 mixer side by side in every layer, then the MLP under `feed_forward`.
        // The converter writes the MLP's norm without a suffix (`blk.N.ffn_norm`).
        var falconHybrid = llama.adding([
            "ffn_gate": "feed_forward.gate_proj", "ffn_up": "feed_forward.up_proj", "ffn_down": "feed_forward.down_proj",
            "ssm_in": "mamba.in_proj", "ssm_conv1d": "mamba.conv1d", "ssm_out": "mamba.out_proj", "ssm_norm": "mamba.norm",
        ])
        falconHybrid.layer["ffn_norm"] = nil
        falconHybrid.global["output_norm"] = "model.final_layernorm"
        falconHybrid.layerWhole = [
            "ssm_a": "mamba.A_log", "ssm_d": "mamba.D", "ssm_dt.bias": "mamba.dt_bias", "ffn_norm": "pre_ff_layernorm.weight",
        ]
        schemes["falcon-h1"] = falconHybrid
        schemes["bert"] = bert
        schemes["gpt2"] = gpt2
        schemes["gptneox"] = gptNeoX
        schemes["bloom"] = bloom
        schemes["falcon"] = bloom
        schemes["falcon-new-decoder"] = bloom.adding(["attn_norm": "ln_mlp", "attn_norm_2": "ln_attn"])
        return schemes
    }()

    /// Per-expert tensors of Mixtral-style GGUFs (`blk.N.ffn_gate.E` → `…experts.E.w1`).
    static let expertNames: [String: String] = ["ffn_gate": "w1", "ffn_down": "w2", "ffn_up": "w3"]

    /// The Hugging Face name of a llama.cpp tensor name, or `nil` if it has none (or the
    /// architecture is not mapped). `architecture` may name a variant scheme
    /// (`scheme(forArchitecture:tensorNames:)`).
    public static func huggingFaceName(forGGUFName name: String, architecture: String) -> String? {
        guard let scheme = schemes[architecture] else { return nil }
        var parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        // Whole per-layer names without a suffix (Mamba's `blk.N.ssm_a` ← `….mixer.A_log`).
        if parts.count == 3, parts[0] == "blk", let layer = Int(parts[1]), layer >= 0, String(layer) == parts[1],
           let whole = scheme.layerWhole[parts[2]] {
            return "\(scheme.layerPrefix).\(layer).\(whole)"
        }
        guard let suffix = parts.last, suffix == "weight" || suffix == "bias", parts.count >= 2 else { return nil }
        parts.removeLast()
        if parts.count == 1, let base = scheme.global[parts[0]] {
            return "\(base).\(suffix)"
        }
        guard parts.count >= 3, parts[0] == "blk", let layer = Int(parts[1]), layer >= 0, String(layer) == parts[1] else {
            return nil
        }
        let prefix = "\(scheme.layerPrefix).\(layer)"
        if parts.count == 3, let whole = scheme.layerWhole[parts[2] + "." + suffix] {
            return "\(prefix).\(whole)"
        }
        if parts.count == 3, let role = scheme.layer[parts[2]] {
            return "\(prefix).\(role).\(suffix)"
        }
        if scheme.perExpert, parts.count == 4, let expertRole = expertNames[parts[2]],
           let expert = Int(parts[3]), expert >= 0, String(expert) == parts[3] {
            return "\(prefix).block_sparse_moe.experts.\(expert).\(expertRole).\(suffix)"
        }
        return nil
    }

    /// The llama.cpp name of a Hugging Face tensor name (the inverse of
    /// `huggingFaceName(forGGUFName:architecture:)`), e.g. to write a GGUF copy in tests and demos.
    public static func ggufName(forHuggingFaceName name: String, architecture: String) -> String? {
        guard let scheme = schemes[architecture] else { return nil }
        let prefixParts = scheme.layerPrefix.split(separator: ".").map(String.init)
        for (stored, whole) in scheme.layerWhole where name.hasPrefix(scheme.layerPrefix + ".") && name.hasSuffix("." + whole) {
            let layer = name.dropFirst(scheme.layerPrefix.count + 1).dropLast(whole.count + 1)
            if let number = Int(layer), number >= 0, String(number) == layer { return "blk.\(number).\(stored)" }
        }
        for suffix in ["weight", "bias"] where name.hasSuffix("." + suffix) {
            let base = String(name.dropLast(suffix.count + 1))
            if let global = scheme.global.first(where: { $0.value == base }) {
                return "\(global.key).\(suffix)"
            }
            let parts = base.split(separator: ".", maxSplits: prefixParts.count + 1).map(String.init)
            guard parts.count == prefixParts.count + 2, Array(parts[0..<prefixParts.count]) == prefixParts,
                  let layer = Int(parts[prefixParts.count]) else { return nil }
            let rest = parts[prefixParts.count + 1]
            // Sorted: two llama.cpp names may map to one (Granite 4.0-H's `ffn_down` and `ffn_down_shexp`); take the first.
            if let role = scheme.layer.sorted(by: { $0.key < $1.key }).first(where: { $0.value == rest }) {
                let candidate = "blk.\(layer).\(role.key).\(suffix)"
                return huggingFaceName(forGGUFName: candidate, architecture: architecture) == name ? candidate : nil
            }
            let expertParts = rest.split(separator: ".").map(String.init)
            if scheme.perExpert, expertParts.count == 4, expertParts[0] == "block_sparse_moe", expertParts[1] == "experts",
               let expert = Int(expertParts[2]), let role = expertNames.first(where: { $0.value == expertParts[3] }) {
                let candidate = "blk.\(layer).\(role.key).\(expert).\(suffix)"
                return huggingFaceName(forGGUFName: candidate, architecture: architecture) == name ? candidate : nil
            }
        }
        return nil
    }

    /// The shape a reader gives a tensor stored as `shape` (row-major, outermost first): the
    /// Hugging Face shape of a state-space tensor llama.cpp reshaped (`stateSpaceReshapedArchitectures`),
    /// else `shape`. Block-quantized tensors keep their shape (their rows are their blocks' frame).
    static func huggingFaceShape(ofGGUFName name: String, architecture: String, shape: [Int], dtype: DType) -> [Int] {
        guard stateSpaceReshapedArchitectures.contains(architecture), shape.count == 2, !dtype.isBlockQuantized else { return shape }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0] == "blk" else { return shape }
        switch parts.count == 3 ? String(parts[2]) : parts[2...].joined(separator: ".") {
        case "ssm_a", "ssm_d": return shape[1] == 1 ? [shape[0]] : shape
        case "ssm_norm.weight": return [shape[0] * shape[1]]
        default: return shape
        }
    }

    /// How llama.cpp reordered a tensor's rows, if it did.
    enum PermutedRows {
        /// RoPE-permuted query or key rows (`LlamaModel.permute`).
        case ropeQuery, ropeKey
        /// A fused query/key/value tensor regrouped (`groupedQKVArchitectures`).
        case groupedQKV
    }

    static func permutedRows(ofGGUFName name: String, architecture: String) -> PermutedRows? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "blk", parts[3] == "weight" || parts[3] == "bias" else { return nil }
        if ropePermutedArchitectures.contains(architecture) {
            switch parts[2] {
            case "attn_q": return .ropeQuery
            case "attn_k": return .ropeKey
            default: return nil
            }
        }
        if groupedQKVArchitectures.contains(architecture), parts[2] == "attn_qkv" { return .groupedQKV }
        return nil
    }

    /// The permutation to undo for a tensor of `rows` rows stored as `permuted`, from the
    /// file's `ARCH.attention.head_count` and `head_count_kv` (`nil` when absent: defaulted as
    /// llama.cpp does); `nil` when it is the identity (a single group of query/key/value heads).
    /// Throws the rule broken when the counts do not split the rows.
    static func rowPermutation(
        _ permuted: PermutedRows, architecture: String, rows: Int, headCount: Int, headCountKV: Int?
    ) throws(RowLayoutMismatch) -> RowPermutation? {
        let headKey = "\(architecture).attention.head_count"
        switch permuted {
        case .ropeQuery, .ropeKey:
            let useKV = permuted == .ropeKey && headCountKV != nil
            let heads = useKV ? headCountKV! : headCount
            guard heads > 0, rows % heads == 0, (rows / heads) % 2 == 0 else {
                throw RowLayoutMismatch(rule: .headCountMismatch(rows: rows, heads: heads, key: useKV ? headKey + "_kv" : headKey))
            }
            return RowPermutation(kind: .llamaRoPE, headCount: heads, rowsPerHead: rows / heads)
        case .groupedQKV:
            // Falcon groups by key/value head (its converter defaults to one); GPT-NeoX and BLOOM by head.
            let byKeyValueHead = architecture == "falcon"
            let groups = byKeyValueHead ? headCountKV ?? 1 : headCount
            guard headCount > 0, groups > 0, headCount % groups == 0, rows % (headCount + 2 * groups) == 0 else {
                throw RowLayoutMismatch(rule: .qkvGroupMismatch(
                    rows: rows, queryHeads: headCount, groups: groups, keys: byKeyValueHead ? "\(headKey), \(headKey)_kv" : headKey))
            }
            guard groups > 1 else { return nil }
            return RowPermutation(kind: .groupedQKV, headCount: groups, rowsPerHead: rows / (headCount + 2 * groups),
                                  queryHeadsPerGroup: headCount / groups)
        }
    }

    /// Head counts that do not split a permuted tensor's rows: the GGUF rule broken.
    struct RowLayoutMismatch: Error {
        var rule: CheckpointError.GGUFRule
    }
}
