import Checkpoints
import Perturbation

/// One attack of a suspect's recipe, as the harness describes it: turned into a `Perturbation`
/// exactly as `provenance perturb` does (same seed derivation), and into the equivalent option.
enum Attack: Sendable {
    case merge(LineageModel, weight: Float)
    case graft(LineageModel, layers: [Int])
    case keepLayers([Int])
    case dropLayers([Int], of: Int)
    case extendVocabulary(Int)
    /// Structured width pruning of the MLP (`--prune-neurons F`).
    case pruneNeurons(Double)
    case permuteNeurons
    case permuteHeads
    case rescale
    case permuteHidden
    case noise(Float)
    case dtype(DTypeConversion.Target)
    case transpose
    case rename(NamingScheme)
    case reshard(Int)
    case clearMetadata
    case gguf(DType)

    /// The `provenance perturb` option(s) that apply this attack (permutations are merged by the caller).
    var option: String {
        switch self {
        case .merge(let other, let weight): "--merge \(other.rawValue):\(Self.number(weight))"
        case .graft(let other, let layers): "--graft \(other.rawValue):\(LayerList.describe(layers))"
        case .keepLayers(let layers): "--keep-layers \(LayerList.describe(layers))"
        case .dropLayers(let layers, _): "--drop-layers \(LayerList.describe(layers))"
        case .extendVocabulary(let rows): "--extend-vocab \(rows)"
        case .pruneNeurons(let fraction): "--prune-neurons \(Self.number(Float(fraction)))"
        case .permuteNeurons: "neurons"
        case .permuteHeads: "heads"
        case .rescale: "--rescale"
        case .permuteHidden: "hidden"
        case .noise(let relative): "--noise \(Self.number(relative))"
        case .dtype(let target): "--dtype \(target.rawValue)"
        case .transpose: "--transpose"
        case .rename(let scheme): "--rename \(scheme.rawValue)"
        case .reshard(let shards): "--reshard \(shards)"
        case .clearMetadata: "--clear-metadata"
        case .gguf(let type): "--gguf \(type.name.lowercased())"
        }
    }

    var isPermutation: Bool {
        switch self {
        case .permuteNeurons, .permuteHeads, .permuteHidden: true
        default: false
        }
    }

    /// The perturbation, with the attack's seed derived from `plan`'s master seed as the CLI does.
    func perturbation(plan: PerturbationPlan, load: (LineageModel) throws -> CheckpointModel) rethrows -> any Perturbation {
        switch self {
        case .merge(let other, let weight): LinearMerge(other: try load(other), weight: weight, otherLabel: other.rawValue)
        case .graft(let other, let layers): LayerGrafting(donor: try load(other), layers: layers, donorLabel: other.rawValue)
        case .keepLayers(let layers): LayerSelection(keeping: layers)
        case .dropLayers(let layers, let count): LayerSelection(dropping: layers, layerCount: count)
        case .extendVocabulary(let rows): VocabularyExtension(rows: rows, seed: plan.seed(for: .extendVocabulary))
        case .pruneNeurons(let fraction): NeuronPruning(fraction: fraction)
        case .permuteNeurons: NeuronPermutation(seed: plan.seed(for: .permuteNeurons))
        case .permuteHeads: HeadPermutation(seed: plan.seed(for: .permuteHeads))
        case .rescale: ReciprocalRescaling(seed: plan.seed(for: .rescale))
        case .permuteHidden: HiddenPermutation(seed: plan.seed(for: .permuteHidden))
        case .noise(let relative): GaussianNoise(relativeStandardDeviation: relative, seed: plan.seed(for: .noise))
        case .dtype(let target): DTypeConversion(target: target)
        case .transpose: TransposedStorage()
        case .rename(let scheme): TensorRenaming(scheme: scheme, seed: plan.seed(for: .rename))
        case .reshard(let shards): Resharding(shards: shards)
        case .clearMetadata: MetadataEdit(clear: true)
        case .gguf(let type): GGUFExport(type: type)
        }
    }

    /// The whole option list for `attacks` (permutations joined into one `--permute`).
    static func options(_ attacks: [Attack]) -> String {
        var parts: [String] = []
        let permutations = attacks.filter(\.isPermutation).map(\.option)
        if !permutations.isEmpty { parts.append("--permute " + permutations.joined(separator: ",")) }
        parts += attacks.filter { !$0.isPermutation }.map(\.option)
        return parts.joined(separator: " ")
    }

    static func number(_ value: Float) -> String {
        var text = String(value)
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }
}
