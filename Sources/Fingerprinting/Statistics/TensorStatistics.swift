/// Summary statistics of one tensor's values, human-readable and good for plots.
///
/// Never sufficient evidence of copying on its own: independently initialised models
/// share them closely (see the null tests).
public struct TensorStatistics: Sendable, Hashable, Codable {
    public var count: Int
    /// Finite values only (NaN and ±∞ are counted, not included in moments).
    public var mean: Double
    public var std: Double
    public var minimum: Double
    public var maximum: Double
    public var absMean: Double
    /// Excess kurtosis (0 for a Gaussian); `nil` for constant tensors.
    public var kurtosis: Double?
    /// Σx² over finite values (exact sketch normalisation uses it).
    public var sumSquares: Double
    public var zeros: Int
    public var nans: Int
    public var infinities: Int
    /// Approximate quantiles at `TensorStatistics.quantileLevels`, from a systematic sample of
    /// at most `TensorStatistics.sampleSize` elements at indices ⌊k·n/m⌋.
    public var quantiles: [Double]

    public static let quantileLevels: [Double] = [0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999]
    public static let sampleSize = 4096

    /// Number of finite values.
    public var finiteCount: Int { count - nans - infinities }

    /// √(Σx²): the Frobenius norm over finite values.
    public var norm: Double { sumSquares.squareRoot() }
}
