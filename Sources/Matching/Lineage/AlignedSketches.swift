import Fingerprinting

/// The sketches of a reference's matrices brought into the suspect's orientation, keyed by
/// the suspect tensor each one matched significantly: the common ground of every delta and
/// merge computation between a suspect and several references.
struct AlignedSketches {
    /// Suspect tensor name → (suspect sketch, layer).
    let suspect: [String: (sketch: [Float], layer: Int?)]
    /// One dictionary per reference: suspect tensor name → that reference's aligned sketch.
    let references: [[String: [Float]]]

    init(suspect: Fingerprint, references: [(Fingerprint, Comparison)]) {
        let signs = SignTable(seed: PublicSeed(suspect.header.seed),
                              count: EvidenceTensor.maximumDimension([suspect] + references.map(\.0)))
        self.suspect = Dictionary(EvidenceTensor.collect(suspect, signs: signs).map { ($0.name, ($0.sketch, $0.layer)) },
                                  uniquingKeysWith: { first, _ in first })
        let suspectShapes = Dictionary(EvidenceTensor.collect(suspect, signs: signs).map { ($0.name, ($0.rows, $0.cols)) },
                                       uniquingKeysWith: { first, _ in first })
        self.references = references.map { reference, comparison in
            let evidence = Dictionary(EvidenceTensor.collect(reference, signs: signs).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            var aligned: [String: [Float]] = [:]
            for match in comparison.tensors where match.significant {
                guard let name = match.referenceTensor, let tensor = evidence[name], let shape = suspectShapes[match.suspectTensor] else { continue }
                // Bring the reference into the suspect's orientation.
                let view = match.transposed ? (tensor.cols, tensor.rows) : (tensor.rows, tensor.cols)
                guard view == shape else { continue }
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
