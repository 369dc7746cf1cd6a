import Fingerprinting
import Foundation

/// Layer numbers for a suspect whose tensor names carry none (opaque, shuffled names): each
/// weight matrix is placed in the reference layer its strongest match sits in — its sketch
/// match, the neuron-profile set it was matched through (input or paired side), or, with
/// `compare --deep`, the reference matrix it lined up with element by element.
///
/// Without placement every such matrix falls into one `other` group, matched or not as a
/// whole: a copy that grafted foreign layers under opaque names read as wholly matched, and
/// one whose neurons were permuted had no permuted layer to name and every reference layer
/// "without a counterpart". Placed, the layer view says the same as for a copy that kept its
/// names: which reference layers are held, which are missing, which are permuted.
enum LayerPlacement {
    /// Whether the suspect's weight matrices carry no layer numbers while the reference's do.
    static func applies(suspect: Fingerprint, reference: Fingerprint) -> Bool {
        let suspectMatrices = suspect.tensors.filter { $0.role.isWeightMatrix }
        return !suspectMatrices.isEmpty && suspectMatrices.allSatisfy { $0.layer == nil }
            && reference.tensors.contains { $0.role.isWeightMatrix && $0.layer != nil }
    }

    /// Places the suspect's matrices (`tensors`) and its strong standalone profile matches
    /// (`profiles`) in reference layers; returns how many matrices were placed. A matrix both
    /// sketch and profiles place goes where the stronger evidence (smaller p) puts it; the deep
    /// comparison only places matrices nothing else placed.
    static func place(tensors: inout [TensorMatch], profiles: inout [ProfileMatch], reference: Fingerprint,
                      fullWeights: FullWeightEvidence?, logThreshold: Double) -> Int {
        func isStrong(_ profile: ProfileMatch) -> Bool { profile.log10P * log(10.0) < logThreshold }
        var placement: [String: (layer: Int, log10P: Double)] = [:]
        func propose(_ tensor: String, _ layer: Int, _ log10P: Double) {
            if placement[tensor].map({ log10P < $0.log10P }) ?? true { placement[tensor] = (layer, log10P) }
        }
        for match in tensors where match.significant && match.suspectLayer == nil {
            if let layer = match.referenceLayer { propose(match.suspectTensor, layer, match.log10P) }
        }
        for profile in profiles where profile.suspectLayer < 0 && isStrong(profile) {
            propose(profile.suspectTensor, profile.referenceLayer, profile.log10P)
            if let paired = profile.suspectPairedTensor { propose(paired, profile.referenceLayer, profile.log10P) }
        }
        if let fullWeights {
            let referenceLayers = Dictionary(reference.tensors.map { ($0.name, $0.layer) }, uniquingKeysWith: { first, _ in first })
            for pair in fullWeights.linedUpPairs where placement[pair.suspectTensor] == nil {
                if let layer = referenceLayers[pair.referenceTensor] ?? nil { propose(pair.suspectTensor, layer, 0) }
            }
        }
        var placed = 0
        for index in tensors.indices where tensors[index].suspectLayer == nil {
            guard let layer = placement[tensors[index].suspectTensor]?.layer else { continue }
            tensors[index].suspectLayer = layer
            tensors[index].layerPlaced = true
            placed += 1
        }
        for index in profiles.indices where profiles[index].suspectLayer < 0 && isStrong(profiles[index]) {
            profiles[index].suspectLayer = placement[profiles[index].suspectTensor]?.layer ?? profiles[index].referenceLayer
        }
        return placed
    }
}
