/// The public ±1 sign sequence `s(i)` for indices `0..<count` (stream label `sign`).
public struct SignTable: Sendable {
    public let values: [Float]

    public init(seed: PublicSeed, count: Int) {
        values = seed.signs(label: SketchGeometry.signLabel, count: max(count, 1))
    }

    public var count: Int { values.count }

    public subscript(index: Int) -> Float { values[index] }

    /// `Σ_{i < length, i ≡ a (mod 64)} s(i)` for a = 0..<64: the sketch of an all-ones axis.
    public func bucketSums(length: Int) -> [Double] {
        precondition(length <= values.count)
        var sums = [Double](repeating: 0, count: SketchGeometry.side)
        for index in 0..<length { sums[index & 63] += Double(values[index]) }
        return sums
    }
}
