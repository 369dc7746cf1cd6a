// MARK: - Activation-ordered column groups (compressed-tensors' weight_g_idx)

extension ScalePairing {
    /// GPTQ run by llm-compressor with `actorder: group` saves `B.weight_g_idx` (I32 or I64
    /// `[C]`) beside the weight: each column's group, the factor column of a per-row or `[R, G]`
    /// group scale (value = (code − zero) × scale[row, g_idx[column]]). Checks its shape and the
    /// scale's granularity here; the groups are checked to lie in `0 ..< G` when the weight is read.
    static func columnGroupIndex(
        _ groupIndex: TensorInfo, of weight: String, shape: [Int], scaling: TensorScale, file: String
    ) throws(CheckpointError) -> TensorLocation {
        func error(_ reason: String) -> CheckpointError {
            CheckpointError(file: file, tensor: weight, rule: .columnGroups(companion: groupIndex.name, reason: reason))
        }
        guard shape.count == 2 else { throw error("groups the columns of a weight of shape \(shape), not a matrix") }
        guard groupIndex.dtype == .i32 || groupIndex.dtype == .i64, groupIndex.shape == [shape[1]] else {
            throw error("is \(groupIndex.dtype.name) \(groupIndex.shape), not I32 or I64 [\(shape[1])] (one group per column)")
        }
        guard scaling.granularity == .row || (scaling.granularity == .block && scaling.blockRows == 1) else {
            throw error("groups the columns of a weight whose scale is \(scaling.description), not one factor per row and group")
        }
        return TensorLocation(groupIndex)
    }
}
