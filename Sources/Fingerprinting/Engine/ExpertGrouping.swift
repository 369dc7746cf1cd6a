import Checkpoints

/// Groups per-expert tensors by mixture-of-experts layer and role, and folds their sketches
/// into one sketch per group (docs/FINGERPRINT_FORMAT.md §4b).
///
/// A layer's experts are evidence together: their summed sketch is what a stack of the same
/// experts holds, whatever their order. Keeping one sketch per group instead of per expert
/// also keeps fingerprints of models with hundreds of experts per layer small (16 KiB per
/// group, not per expert) and their alignment cheap.
public enum ExpertGrouping {
    /// The per-expert tensors among `tensors` that `include` admits, grouped by group name
    /// (`ExpertLayout.groupName`) and shape: groups of two or more 2-D tensors, members in
    /// expert order, groups in the order of their first tensor.
    public static func groups(
        _ tensors: [TensorFingerprint], including include: (TensorFingerprint) -> Bool
    ) -> [(name: String, members: [Int])] {
        var byKey: [String: [Int]] = [:]
        var order: [String] = []
        for (index, tensor) in tensors.enumerated() where tensor.shape.count == 2 && include(tensor) {
            guard let group = ExpertLayout.groupName(name: tensor.name) else { continue }
            let key = "\(group) \(tensor.shape)"
            if byKey[key] == nil { order.append(key) }
            byKey[key, default: []].append(index)
        }
        return order.compactMap { key in
            let members = byKey[key]!.sorted {
                ExpertLayout.expertIndex(name: tensors[$0].name)! < ExpertLayout.expertIndex(name: tensors[$1].name)!
            }
            return members.count >= 2 ? (ExpertLayout.groupName(name: tensors[members[0]].name)!, members) : nil
        }
    }

    /// Whether a tensor's sketch can be folded into its group: a weight matrix with statistics
    /// and its own 64 × 64 sketch.
    public static func isFoldable(_ tensor: TensorFingerprint) -> Bool {
        tensor.role.isWeightMatrix && tensor.statistics != nil && tensor.sketch.count == SketchGeometry.side * SketchGeometry.side
    }

    /// Σ of the members' sketches, added in `Double` in member order, rounded to F32.
    public static func summedSketch(of members: [Int], in tensors: [TensorFingerprint]) -> [Float] {
        var sum = [Double](repeating: 0, count: SketchGeometry.side * SketchGeometry.side)
        for member in members {
            for cell in sum.indices { sum[cell] += Double(tensors[member].sketch[cell]) }
        }
        return sum.map { Float($0) }
    }

    /// The groups of `tensors`' foldable per-expert tensors; their members' sketches and LSH
    /// keys are moved into them.
    static func fold(_ tensors: inout [TensorFingerprint], signs: SignTable, seed: PublicSeed) -> [ExpertGroupFingerprint] {
        groups(tensors, including: isFoldable).map { name, members in
            let sketch = summedSketch(of: members, in: tensors)
            let shape = tensors[members[0]].shape
            // The sum's constant offset is the sum of the members' means.
            let meanSum = members.reduce(0.0) { $0 + tensors[$1].statistics!.mean }
            let keys = LocalitySensitiveKeys.sketchKeys(sketch: sketch, rows: shape[0], cols: shape[1], mean: meanSum, signs: signs, seed: seed)
            for member in members {
                tensors[member].sketch = []
                tensors[member].lshKeys = []
            }
            return ExpertGroupFingerprint(name: name, members: members, sketch: sketch, lshKeys: keys)
        }
    }
}
