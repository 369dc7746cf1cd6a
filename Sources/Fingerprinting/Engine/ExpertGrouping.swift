import Checkpoints

/// Folds the sketches of per-expert tensors into one sketch per mixture-of-experts layer and
/// role (docs/FINGERPRINT_FORMAT.md §4b).
///
/// A layer's experts are evidence together: their summed sketch is what a stack of the same
/// experts holds, whatever their order. Keeping one sketch per group instead of per expert
/// also keeps fingerprints of models with hundreds of experts per layer small (16 KiB per
/// group, not per expert) and their alignment cheap.
enum ExpertGrouping {
    /// The groups of `tensors` (two or more per-expert weight matrices of one shape under one
    /// group name); their members' sketches and LSH keys are moved into them.
    static func fold(_ tensors: inout [TensorFingerprint], signs: SignTable, seed: PublicSeed) -> [ExpertGroupFingerprint] {
        let side = SketchGeometry.side
        var byKey: [String: [Int]] = [:]
        var order: [String] = []
        for (index, tensor) in tensors.enumerated()
        where tensor.shape.count == 2 && tensor.role.isWeightMatrix && tensor.sketch.count == side * side && tensor.statistics != nil {
            guard let group = ExpertLayout.groupName(name: tensor.name) else { continue }
            let key = "\(group) \(tensor.shape)"
            if byKey[key] == nil { order.append(key) }
            byKey[key, default: []].append(index)
        }
        var groups: [ExpertGroupFingerprint] = []
        for key in order {
            let members = byKey[key]!.sorted {
                ExpertLayout.expertIndex(name: tensors[$0].name)! < ExpertLayout.expertIndex(name: tensors[$1].name)!
            }
            guard members.count >= 2 else { continue }
            var sum = [Double](repeating: 0, count: side * side)
            var meanSum = 0.0
            for member in members {
                for cell in sum.indices { sum[cell] += Double(tensors[member].sketch[cell]) }
                meanSum += tensors[member].statistics!.mean
            }
            let sketch = sum.map { Float($0) }
            let shape = tensors[members[0]].shape
            // The sum's constant offset is the sum of the members' means.
            let keys = LocalitySensitiveKeys.sketchKeys(sketch: sketch, rows: shape[0], cols: shape[1], mean: meanSum, signs: signs, seed: seed)
            for member in members {
                tensors[member].sketch = []
                tensors[member].lshKeys = []
            }
            groups.append(ExpertGroupFingerprint(name: ExpertLayout.groupName(name: tensors[members[0]].name)!, members: members,
                                                 sketch: sketch, lshKeys: keys))
        }
        return groups
    }
}
