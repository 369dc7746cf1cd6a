import Fingerprinting
import Foundation

/// A multimodal release's language model alone, for a suspect that holds only that.
///
/// llama.cpp's converter writes a vision-language (or audio) release's language model to the
/// model GGUF and its encoder and projector to a separate `mmproj` file, and its names drop the
/// wrapper the release puts around the language model (`language_model.model.layers.N…`,
/// `model.language_model.layers.N…`). Compared with the whole release, such a copy lacked a
/// quarter or more of the parameters and every name differed, so a lossless text-only GGUF was
/// "derived" with no change named. The comparison is made with the reference's language model:
/// its encoder tensors left out, its names without the wrapper.
struct LanguageModelPart: Sendable {
    /// The reference without its encoder tensors, names unwrapped, roots recomputed.
    var reference: Fingerprint
    /// The encoder and projector tensors left out (the reference's names).
    var leftOut: [String]
    /// Their share of the reference's parameters.
    var share: Double
    /// The wrapper taken off the language model's names (`language_model.`, `model.language_model.`), if any.
    var wrapper: String?

    /// The evidence line saying what the comparison left out.
    var evidence: String {
        let prefixes = Set(leftOut.map(Self.encoderPrefix)).sorted().map { $0 + ".*" }
        return String(format: "The reference is multimodal and the suspect holds none of its encoder or projector tensors (%d tensors under %@, %.1f%% of its parameters): a text-only copy, as llama.cpp writes the language model to the model file and the encoder to a separate mmproj file. The comparison is with the language model%@.",
                      leftOut.count, VerdictRules.listing(prefixes, limit: 4), share * 100,
                      wrapper.map { ", its names without the wrapper the release puts around it (\($0))" } ?? "")
    }

    /// An encoder tensor's name up to its encoder component (`visual`, `model.vision_tower`).
    static func encoderPrefix(_ name: String) -> String {
        let components = name.split(separator: ".", omittingEmptySubsequences: false)
        guard let end = components.firstIndex(where: { encoderComponents.contains($0.lowercased()) }) else { return name }
        return components[...end].joined(separator: ".")
    }

    /// Components that mark a tensor of a vision or audio encoder, or of the projector into the
    /// language model, in the releases' own names.
    static let encoderComponents: Set<String> = [
        "vision_tower", "vision_model", "visual", "vision_encoder", "vision", "vision_embed_tokens", "image_newline",
        "multi_modal_projector", "mm_projector", "vision_language_adapter", "patch_merger", "embed_vision",
        "audio_tower", "audio_model", "audio_encoder", "audio", "embed_audio", "multimodal_projector",
    ]

    /// Whether a tensor name is an encoder's or projector's (`encoderComponents`, before any layer index).
    static func isEncoderTensor(_ name: String) -> Bool {
        for component in name.lowercased().split(separator: ".") {
            if Int(component) != nil { return false }
            if encoderComponents.contains(String(component)) { return true }
        }
        return false
    }

    /// `name` without the wrapper a multimodal release puts around its language model.
    static func languageModelName(_ name: String) -> String {
        guard let wrapper = wrapper(of: name) else { return name }
        return (wrapper == "model.language_model." ? "model." : "") + name.dropFirst(wrapper.count)
    }

    /// The wrapper around a language-model tensor's name: `model.language_model.` (Qwen3-VL,
    /// transformers 5) or `language_model.` (Gemma 3, LLaVA); `nil` for other names.
    static func wrapper(of name: String) -> String? {
        ["model.language_model.", "language_model."].first { name.hasPrefix($0) }
    }

    /// The reference's language model when `reference` has encoder tensors, the suspect has none
    /// and holds none of their values, and the suspect is no larger than the language model (a
    /// copy whose encoder was renamed beyond recognition is compared whole); `nil` otherwise.
    static func find(suspect: Fingerprint, reference: Fingerprint) -> LanguageModelPart? {
        let encoder = reference.tensors.indices.filter { isEncoderTensor(reference.tensors[$0].name) }
        guard !encoder.isEmpty, !suspect.tensors.contains(where: { isEncoderTensor($0.name) }) else { return nil }
        let encoderNames = Set(encoder.map { reference.tensors[$0].name })
        let notHeld = PairComparison.tensorsNotHeld(in: reference, by: suspect) { encoderNames.contains($0.name) }
        guard notHeld.count == encoder.count else { return nil }
        func parameters(_ tensors: [TensorFingerprint]) -> Int {
            tensors.filter { $0.role != .quantizationScale }.reduce(0) { $0 + $1.shape.reduce(1, *) }
        }
        let total = parameters(reference.tensors)
        let leftOutParameters = parameters(encoder.map { reference.tensors[$0] })
        guard total > leftOutParameters, Double(parameters(suspect.tensors)) <= 1.05 * Double(total - leftOutParameters) else { return nil }
        return LanguageModelPart(
            reference: languageModel(of: reference, leaving: Set(encoder)), leftOut: encoder.map { reference.tensors[$0].name },
            share: Double(leftOutParameters) / Double(total),
            wrapper: reference.tensors.lazy.compactMap { wrapper(of: $0.name) }.first)
    }

    /// `fingerprint` without the tensors at `leftOut` (expert groups and fused parts renumbered,
    /// those of left-out tensors dropped), names unwrapped, roots recomputed.
    static func languageModel(of fingerprint: Fingerprint, leaving leftOut: Set<Int>) -> Fingerprint {
        var kept = fingerprint
        var newIndex: [Int: Int] = [:]
        kept.tensors = []
        for (index, tensor) in fingerprint.tensors.enumerated() where !leftOut.contains(index) {
            newIndex[index] = kept.tensors.count
            var renamed = tensor
            renamed.name = languageModelName(tensor.name)
            kept.tensors.append(renamed)
        }
        kept.expertGroups = fingerprint.expertGroups.compactMap { group in
            let members = group.members.compactMap { newIndex[$0] }
            guard members.count == group.members.count else { return nil }
            var renumbered = group
            renumbered.members = members
            renumbered.name = languageModelName(group.name)
            return renumbered
        }
        kept.fusedParts = fingerprint.fusedParts.compactMap { part in
            guard let tensor = newIndex[part.tensor] else { return nil }
            var renumbered = part
            renumbered.tensor = tensor
            return renumbered
        }
        kept.profiles = fingerprint.profiles.filter { !isEncoderTensor($0.inputTensor) && !isEncoderTensor($0.pairedTensor) }.map { profile in
            var renamed = profile
            renamed.inputTensor = languageModelName(profile.inputTensor)
            renamed.pairedTensor = languageModelName(profile.pairedTensor)
            return renamed
        }
        kept.roots = RootDigest.roots(of: kept.tensors)
        return kept
    }
}
