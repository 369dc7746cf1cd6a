import Foundation

// MARK: - State-space layers, as convert_hf_to_gguf.py stores them

extension CheckpointConversion {
    /// A state-space tensor as llama.cpp's converter writes it (`MambaModel`, `Mamba2Model` and
    /// the classes built on them): `A_log` as `−exp(A_log)` (computed in F32, as the converter
    /// widens BF16 first), a convolution's `[d, 1, k]` kernel squeezed to `[d, k]`, and for
    /// `GGUFNameMapping.stateSpaceReshapedArchitectures` the decays and skips as `[heads, 1]`
    /// and the gated norm as `[groups, d_inner / groups]` (`groups` from `ARCH.ssm.group_count`).
    /// `nil` for any other tensor.
    static func stateSpaceStored(
        huggingFaceName name: String, ggufName: String, shape: [Int], values: [Float], architecture: String, groups: Int
    ) -> (shape: [Int], values: [Float])? {
        let reshaped = GGUFNameMapping.stateSpaceReshapedArchitectures.contains(architecture)
        if name.hasSuffix(".A_log") {
            let decays = values.map { -exp($0) }
            return (reshaped && shape.count == 1 ? shape + [1] : shape, decays)
        }
        if reshaped, name.hasSuffix(".D"), shape.count == 1 { return (shape + [1], values) }
        if name.hasSuffix(".conv1d.weight"), shape.count == 3, shape[1] == 1 { return ([shape[0], shape[2]], values) }
        if reshaped, ggufName.hasSuffix(".ssm_norm.weight"), shape.count == 1, groups > 0, shape[0] % groups == 0 {
            return ([groups, shape[0] / groups], values)
        }
        return nil
    }
}
