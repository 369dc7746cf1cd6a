import Fingerprinting

/// The sketches of a reference's matrices brought into the suspect's orientation, keyed by
/// the suspect tensor each one matched significantly: the common ground of every delta and
/// merge computation between a suspect and several references.
struct AlignedSketches {
    /// Suspect tensor name → its centred sketch, layer and matrix view (stored orientation).
    let suspect: [String: (sketch: [Float], layer: Int?, rows: Int, cols: Int)]
    /// One dictionary per reference: suspect tensor name → that reference's aligned sketch.
    let references: [[String: [Float]]]

    init(suspect: Fingerprint, references: [(Fingerprint, Comparison)]) {
        let signs = SignTable(seed: PublicSeed(suspect.header.seed),
                              count: EvidenceTensor.maximumDimension([suspect] + references.map(\.0)))
        // Wholes and fused parts: each comparison used one or the other.
        let suspectTensors = EvidenceTensor.collectAll(suspect, signs: signs).mapValues { (sketch: $0.sketch, layer: $0.layer, rows: $0.rows, cols: $0.cols) }
        self.suspect = suspectTensors
        self.references = references.map { reference, comparison in
            let evidence = EvidenceTensor.collectAll(reference, signs: signs)
            var aligned: [String: [Float]] = [:]
            for match in comparison.tensors where match.significant {
                guard let name = match.referenceTensor, let tensor = evidence[name], let own = suspectTensors[match.suspectTensor] else { continue }
                // Bring the reference into the suspect's orientation.
                let view = match.transposed ? (tensor.cols, tensor.rows) : (tensor.rows, tensor.cols)
                guard view == (own.rows, own.cols) else { continue }
                aligned[match.suspectTensor] = match.transposed ? SketchMath.transposed(tensor.sketch) : tensor.sketch
            }
            return aligned
        }
    }

    /// Suspect tensors that every reference in `indices` matched, in a fixed order.
    func common(_ indices: [Int]) -> [String] {
        suspect.keys.filter { name in indices.allSatisfy { references[$0][name] != nil } }.sorted()
    }
}
