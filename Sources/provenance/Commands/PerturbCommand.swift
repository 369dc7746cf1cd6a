import ArgumentParser
import Checkpoints
import Foundation
import Perturbation

/// `provenance perturb IN OUT [attacks…]`: applies the copier's attacks to a checkpoint.
struct PerturbCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perturb",
        abstract: "Apply a copier's attacks to a checkpoint (to test a detector or build evaluation suspects).",
        discussion: """
            Attacks run in a fixed order whatever the order of the options: merge, graft, \
            keep/drop layers, extend vocabulary, prune neurons, permute neurons, permute heads, \
            rescale, rotate, permute hidden, prune heads, prune hidden, noise, dtype, transpose, rename, reshard, metadata. Every random choice \
            derives from --seed, so the same command gives the same bytes. OUT is a directory: \
            safetensors file(s), config.json and tokenizer files, and perturbation.json (the ground \
            truth: what was applied, with each attack's seed). See docs/PERTURBATION.md.
            """)

    @Argument(help: "The checkpoint to perturb (file, directory, shard index or Hugging Face cache entry).")
    var input: String

    @Argument(help: "The output directory (must not exist unless --force).")
    var output: String

    @Option(help: "Rename tensors to another scheme and shuffle their order: gpt or opaque.")
    var rename: String?

    @Option(help: "Convert floating-point tensors: f32, f16, bf16, fp8 (an F8_E4M3 round trip stored as BF16) fp8-block (weight matrices as F8_E4M3 with a scale factor per 128×128 block, DeepSeek-V3's layout), nvfp4 (weight matrices as NVFP4, ModelOpt's layout) int4 (weight matrices as packed INT4 per group of 128, compressed-tensors' W4A16), int4-asym (the same with a zero point per group, llm-compressor's W4A16_ASYM), int4-actorder (W4A16 with groups in activation order and weight_g_idx, as llm-compressor's GPTQ with actorder: group), int3, int2 (the same format at 3 and 2 bits, AutoRound's W3A16/W2A16), gptq (weight matrices as AutoGPTQ's 4-bit qweight/qzeros/scales/g_idx, groups of 128 in activation order), gptq-2bit, gptq-3bit, gptq-8bit (the same at those widths), awq (AutoAWQ's 4-bit GEMM layout), nf4 (bitsandbytes 4-bit NF4 as transformers saves a load_in_4bit model), llm-int8 (bitsandbytes 8-bit as transformers saves a load_in_8bit model) or mlx (MLX 4-bit affine, groups of 64, as mlx_lm convert -q saves it).")
    var dtype: String?

    @Option(help: "Add Gaussian noise with σ = R × each tensor's standard deviation.")
    var noise: Float?

    @Option(help: "Function-preserving permutations, comma-separated: neurons, heads, hidden, experts (mixture-of-experts layers, with their routers).")
    var permute: String?

    @Flag(help: "Reciprocal rescaling (Q×c, K×1/c; V×e, O×1/e; Llama MLP up×s, down×1/s). Function-preserving.")
    var rescale = false

    @Flag(help: "Fold RMSNorm weights and rotate the residual stream by a random orthogonal matrix (Llama). Function-preserving.")
    var rotate = false

    @Option(name: .customLong("drop-layers"), help: "Remove these layers, e.g. 2,4 or 1-3.")
    var dropLayers: String?

    @Option(name: .customLong("keep-layers"), help: "Keep only these layers, in this order, e.g. 0-3 (repeats allowed: 0-5,3-7).")
    var keepLayers: String?

    @Option(name: .customLong("prune-neurons"), help: ArgumentHelp(
        "Remove this fraction of every layer's MLP neurons (structured width pruning), e.g. 0.25.",
        discussion: "The least important by ‖input rows‖ · ‖output column‖ go; the rest keep their weights and order. Not function-preserving.",
        valueName: "FRACTION"))
    var pruneNeurons: Double?

    @Option(name: .customLong("prune-heads"), help: ArgumentHelp(
        "Remove this fraction of every layer's key/value heads, with their query heads (Llama), e.g. 0.25.",
        discussion: "The heads with the least weight energy go; the rest keep their order; config.json gets the new head counts and head_dim. Not function-preserving.",
        valueName: "FRACTION"))
    var pruneHeads: Double?

    @Option(name: .customLong("prune-hidden"), help: ArgumentHelp(
        "Remove this fraction of the hidden (residual) dimensions from every tensor (Llama), e.g. 0.25.",
        discussion: "The dimensions with the least weight energy go; the rest keep their order; config.json gets hidden_size and head_dim. Not function-preserving.",
        valueName: "FRACTION"))
    var pruneHidden: Double?

    @Option(help: "Replace layers by another checkpoint's layers with the same indices: OTHER:3-5.")
    var graft: String?

    @Option(name: .customLong("extend-vocab"), help: "Append N rows to the embedding (and untied LM head).")
    var extendVocab: Int?

    @Option(help: "Linear merge a·IN + (1−a)·OTHER: OTHER:a.")
    var merge: String?

    @Flag(help: "Store weight matrices transposed ((in, out) layout).")
    var transpose = false

    @Option(help: "Write N safetensors shards with a model.safetensors.index.json.")
    var reshard: Int?

    @Option(help: ArgumentHelp("Write one llama.cpp-style GGUF file (model.gguf) instead of safetensors, matrices quantized to TYPE.",
                               discussion: "TYPE: " + GGUFExport.types.map { $0.name.lowercased() }.joined(separator: ", ") + ". A matrix whose rows do not fill whole TYPE blocks takes llama.cpp's fallback type (Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0, Q2_K/Q3_K/IQ* → IQ4_NL, else F16); other tensors are F32.",
                               valueName: "TYPE"))
    var gguf: String?

    @Option(name: .customLong("set-metadata"), help: "Set a safetensors __metadata__ entry: KEY=VALUE (repeatable).")
    var setMetadata: [String] = []

    @Flag(name: .customLong("clear-metadata"), help: "Remove every safetensors __metadata__ entry first.")
    var clearMetadata = false

    @Option(help: "Master seed of every random choice.")
    var seed: UInt64 = 0

    @Option(help: "Also write the manifest here (it is always written as OUT/perturbation.json).")
    var manifest: String?

    @Flag(help: "Replace OUT (and --manifest) if it exists.")
    var force = false

    @Flag(name: [.short, .long], help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        if let rename, NamingScheme(rawValue: rename) == nil {
            throw ValidationError("--rename must be one of: \(NamingScheme.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        if let dtype, DTypeConversion.Target(rawValue: dtype) == nil {
            throw ValidationError("--dtype must be one of: \(DTypeConversion.Target.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        if let noise, !(noise.isFinite && noise >= 0) { throw ValidationError("--noise must be a number ≥ 0.") }
        if dropLayers != nil && keepLayers != nil {
            throw ValidationError("--drop-layers and --keep-layers both choose layers; give one of them.")
        }
        if let dropLayers, LayerList.parse(dropLayers) == nil { throw ValidationError("--drop-layers: expected a list like 2,4 or 1-3.") }
        if let keepLayers, LayerList.parse(keepLayers) == nil { throw ValidationError("--keep-layers: expected a list like 0-3 or 0,2,5.") }
        for (option, value) in [("--prune-neurons", pruneNeurons), ("--prune-heads", pruneHeads), ("--prune-hidden", pruneHidden)] {
            if let value, !(value > 0 && value < 1) { throw ValidationError("\(option) must be a fraction between 0 and 1 (exclusive), got \(value).") }
        }
        if let extendVocab, extendVocab < 1 { throw ValidationError("--extend-vocab must be at least 1.") }
        if let reshard, reshard < 1 { throw ValidationError("--reshard must be at least 1.") }
        if gguf != nil {
            _ = try ggufType()
            if reshard.map({ $0 > 1 }) == true { throw ValidationError("--gguf writes one file; it cannot be combined with --reshard.") }
            if transpose { throw ValidationError("--gguf keeps llama.cpp's matrix layout; it cannot be combined with --transpose.") }
            if clearMetadata || !setMetadata.isEmpty { throw ValidationError("--set-metadata and --clear-metadata edit safetensors metadata; a --gguf output has none.") }
        }
        _ = try permutations()
        _ = try metadataPairs()
        if let graft { _ = try Self.split(graft, option: "--graft") }
        if let merge { _ = try Self.mergeArgument(merge) }
    }

    func run() throws {
        let start = Date()
        for path in [output] + (manifest.map { [$0] } ?? []) where !force && FileManager.default.fileExists(atPath: path) {
            throw UsageError("\(path) already exists; pass --force to replace it.")
        }
        var model = try CheckpointModel.read(from: input)
        let source = model.manifestSource(path: input)
        let plan = try makePlan(for: model)
        let records = try plan.apply(to: &model)
        let files = model.outputFileNames
        let manifestValue = PerturbationManifest(
            tool: "provenance \(ToolInfo.version)", seed: seed, input: source, attacks: records,
            output: .init(files: files, tensors: model.entries.count, parameters: model.parameterCount, dtypes: model.storedDTypeCounts))
        let manifestBytes = try manifestValue.jsonBytes()
        try model.write(to: output, overwrite: force,
                        extraFiles: [.init(name: PerturbationManifest.fileName, bytes: manifestBytes)])
        if let manifest {
            let writer = try AtomicFileWriter(path: manifest)
            try writer.write(manifestBytes)
            try writer.commit()
        }
        guard !quiet else { return }
        print("perturbed \(input) → \(output)  (\(source.architecture), \(CommandOutput.grouped(source.parameters)) parameters, seed \(seed))")
        if records.isEmpty { print("  no attack: re-encoded copy") }
        let width = records.map(\.attack.count).max() ?? 0
        for (index, record) in records.enumerated() {
            let name = record.attack.padding(toLength: width, withPad: " ", startingAt: 0)
            print("  \(index + 1). \(name)  \(record.summary)")
        }
        print("function-preserving: \(manifestValue.functionPreserving ? "yes" : "no")")
        var dtypes = model.storedDTypeCounts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        let repacked = model.repackedValueCounts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
        if !repacked.isEmpty { dtypes += " (stored \(repacked.joined(separator: ", ")))" }
        let companions = model.companionCounts.map { "\($0.count) \($0.kind)" }
        if let last = companions.last {
            dtypes += ", with " + (companions.count == 1 ? last : companions.dropLast().joined(separator: ", ") + " and " + last) + " companions"
        }
        print(String(format: "wrote %@ (%@; %d tensors: %@) and %@ in %.1f s", output, files.joined(separator: ", "),
                     model.entries.map(\.writtenNames.count).reduce(0, +), dtypes, PerturbationManifest.fileName, Date().timeIntervalSince(start)))
    }

    // MARK: - Plan

    private func makePlan(for model: CheckpointModel) throws -> PerturbationPlan {
        var plan = PerturbationPlan(seed: seed)
        if let merge {
            let (path, weight) = try Self.mergeArgument(merge)
            plan.add(LinearMerge(other: try CheckpointModel.read(from: path), weight: weight, otherLabel: path))
        }
        if let graft {
            let (path, list) = try Self.split(graft, option: "--graft")
            guard let layers = LayerList.parse(list) else { throw ValidationError("--graft: expected OTHER:3-5.") }
            plan.add(LayerGrafting(donor: try CheckpointModel.read(from: path), layers: layers, donorLabel: path))
        }
        if let keepLayers, let layers = LayerList.parse(keepLayers) {
            plan.add(LayerSelection(keeping: layers))
        }
        if let dropLayers, let layers = LayerList.parse(dropLayers) {
            plan.add(LayerSelection(dropping: layers, layerCount: model.spec?.layerCount ?? 0))
        }
        if let extendVocab {
            plan.add(VocabularyExtension(rows: extendVocab, seed: plan.seed(for: .extendVocabulary)))
        }
        if let pruneNeurons { plan.add(NeuronPruning(fraction: pruneNeurons)) }
        if let pruneHeads { plan.add(HeadPruning(fraction: pruneHeads)) }
        if let pruneHidden { plan.add(HiddenPruning(fraction: pruneHidden)) }
        let permutations = try permutations()
        if permutations.contains("neurons") { plan.add(NeuronPermutation(seed: plan.seed(for: .permuteNeurons))) }
        if permutations.contains("heads") { plan.add(HeadPermutation(seed: plan.seed(for: .permuteHeads))) }
        if permutations.contains("experts") { plan.add(ExpertPermutation(seed: plan.seed(for: .permuteExperts))) }
        if rescale { plan.add(ReciprocalRescaling(seed: plan.seed(for: .rescale))) }
        if rotate { plan.add(ResidualRotation(seed: plan.seed(for: .rotate))) }
        if permutations.contains("hidden") { plan.add(HiddenPermutation(seed: plan.seed(for: .permuteHidden))) }
        if let noise { plan.add(GaussianNoise(relativeStandardDeviation: noise, seed: plan.seed(for: .noise))) }
        if let dtype, let target = DTypeConversion.Target(rawValue: dtype) { plan.add(DTypeConversion(target: target)) }
        if transpose { plan.add(TransposedStorage()) }
        if let rename, let scheme = NamingScheme(rawValue: rename) { plan.add(TensorRenaming(scheme: scheme, seed: plan.seed(for: .rename))) }
        if let reshard { plan.add(Resharding(shards: reshard)) }
        let pairs = try metadataPairs()
        if clearMetadata || !pairs.isEmpty { plan.add(MetadataEdit(set: pairs, clear: clearMetadata)) }
        if let type = try ggufType() { plan.add(GGUFExport(type: type)) }
        return plan
    }

    private func ggufType() throws -> DType? {
        guard let gguf else { return nil }
        guard let type = GGUFExport.types.first(where: { $0.name.lowercased() == gguf.lowercased() }) else {
            throw ValidationError("--gguf must be one of: \(GGUFExport.types.map { $0.name.lowercased() }.joined(separator: ", ")).")
        }
        return type
    }

    private func permutations() throws -> Set<String> {
        guard let permute else { return [] }
        let kinds = permute.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let known: Set<String> = ["neurons", "heads", "hidden", "experts"]
        if kinds.isEmpty { throw ValidationError("--permute: expected neurons, heads, hidden and/or experts.") }
        if let bad = kinds.first(where: { !known.contains($0) }) {
            throw ValidationError("--permute: '\(bad)' is not one of neurons, heads, hidden, experts.")
        }
        return Set(kinds)
    }

    private func metadataPairs() throws -> [String: String] {
        var pairs: [String: String] = [:]
        for item in setMetadata {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw ValidationError("--set-metadata: expected KEY=VALUE, got '\(item)'.")
            }
            pairs[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        return pairs
    }

    /// Splits `PATH:VALUE` at the last colon (paths may contain colons).
    static func split(_ argument: String, option: String) throws -> (String, String) {
        guard let colon = argument.lastIndex(of: ":"), colon != argument.startIndex, argument.index(after: colon) != argument.endIndex else {
            throw ValidationError("\(option): expected OTHER:VALUE, got '\(argument)'.")
        }
        return (String(argument[..<colon]), String(argument[argument.index(after: colon)...]))
    }

    static func mergeArgument(_ argument: String) throws -> (String, Float) {
        let (path, text) = try split(argument, option: "--merge")
        guard let weight = Float(text), weight >= 0, weight <= 1 else {
            throw ValidationError("--merge: the weight a in OTHER:a must be between 0 and 1, got '\(text)'.")
        }
        return (path, weight)
    }
}

extension PerturbationError: UserFacingError {
    var userMessage: String { description }
}
