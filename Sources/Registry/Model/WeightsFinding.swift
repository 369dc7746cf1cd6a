/// Another registered release whose weights are identical to, or share exact tensors with,
/// the fingerprint being registered or imported. Identical weights under another name is
/// itself a finding worth surfacing.
public struct WeightsFinding: Sendable, Hashable, CustomStringConvertible {
    /// The other release.
    public var release: Release
    /// Same canonical root: the same weights, however named, sharded, transposed or losslessly re-typed.
    public var identicalWeights: Bool
    /// Same raw root: the same tensor bytes.
    public var identicalBytes: Bool
    /// Informative tensors (not buffers, not constant) of the new fingerprint whose canonical
    /// digest also occurs in the other release.
    public var sharedTensors: Int
    /// Informative tensors in the new fingerprint.
    public var informativeTensors: Int
    /// Parameters in the shared tensors.
    public var sharedParameters: Int

    public var description: String {
        if identicalWeights {
            let how = identicalBytes ? "byte-identical tensors" : "identical weights, stored differently"
            return "identical weights are already registered as \(release.reference) (\(how); same canonical root \(release.canonicalRoot.hex.prefix(16))…)"
        }
        return "\(release.reference) already holds \(sharedTensors) of these \(informativeTensors) tensors exactly (\(sharedParameters) parameters)"
    }
}
