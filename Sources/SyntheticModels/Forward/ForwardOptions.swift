/// Numerical constants of the reference forward pass that `TransformerSpec` does not carry.
public struct ForwardOptions: Sendable, Hashable {
    /// RoPE base frequency (Llama `rope_theta`).
    public var ropeBase: Double = 10_000
    /// RMSNorm epsilon (Llama `rms_norm_eps`).
    public var rmsNormEpsilon: Double = 1e-6
    /// LayerNorm epsilon (BERT `layer_norm_eps`).
    public var layerNormEpsilon: Double = 1e-12

    public init(ropeBase: Double = 10_000, rmsNormEpsilon: Double = 1e-6, layerNormEpsilon: Double = 1e-12) {
        self.ropeBase = ropeBase
        self.rmsNormEpsilon = rmsNormEpsilon
        self.layerNormEpsilon = layerNormEpsilon
    }
}
