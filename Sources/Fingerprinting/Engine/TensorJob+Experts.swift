import Checkpoints
import ProvenanceCrypto

// MARK: - Stacks of experts

extension TensorJob {
    /// Group digests over the experts of a stack (`ExpertLayout`), each expert fingerprinted as
    /// the 2-D tensor it would be if stored alone (docs/FINGERPRINT_FORMAT.md §4b). Only for
    /// stacks whose experts are whole byte ranges of plain values (no blocks, no scales): a
    /// quantized stack never holds an original's exact values, so its digests could not match.
    ///
    /// Costs a second pass over the stack, paid only by lossless stacks (F32/F16/BF16 GGUF).
    func expertDigests(experts: Int) throws -> TensorFingerprint.ExpertDigests? {
        guard tensor.shape.count == 3, tensor.shape[0] == experts, tensor.scale == nil, tensor.rowPermutation == nil,
              tensor.dtype.block.elements == 1, tensor.dtype.unsupportedReason == nil,
              let bytes = tensor.dtype.byteCount(forElements: tensor.shape[1] * tensor.shape[2]) else { return nil }
        let rows = tensor.shape[1], cols = tensor.shape[2]
        let expertBytes = UInt64(bytes)
        var raw: [SHA256Digest] = [], canonical: [SHA256Digest] = []
        for expert in 0..<experts {
            let slice = TensorInfo(
                name: "\(tensor.name)[\(expert)]", dtype: tensor.dtype, shape: [rows, cols], fileIndex: tensor.fileIndex,
                offset: tensor.offset + UInt64(expert) * expertBytes, byteCount: expertBytes)
            let result = try TensorJob(reader: reader, tensor: slice, role: role, signs: signs, seed: seed, chunkBytes: chunkBytes,
                                       profiles: [], reportBytes: { _ in }).run()
            raw.append(result.sha256)
            canonical.append(result.canonical.sha256)
        }
        return .init(raw: ExpertLayout.groupDigest(raw), canonical: ExpertLayout.groupDigest(canonical))
    }
}
