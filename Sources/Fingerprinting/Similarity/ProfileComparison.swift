/// Tests whether two profile sets come from the same neurons up to a permutation.
///
/// 1. Align neurons by their input profiles: maximum-weight matching (Hungarian) on |cosine|.
/// 2. Cross-check: under that same alignment, do the *paired* profiles agree? For each matched
///    pair, `s = sign(cos_in) · cos_paired` (a neuron negated on both sides, which is
///    function-preserving for gated MLPs and Q/K, keeps s > 0). The statistic is `T = mean(s)`.
/// 3. Null: if the models are unrelated, the suspect's neuron labels are exchangeable, so `T`
///    is distributed like `T` under random re-pairings of the matched suspect neurons.
///    `permutationPValue` is the Monte Carlo p-value (B = 999 re-pairings, exact for B + 1
///    exchangeable draws: never below 1/1000); `z` standardises `T` by the re-pairing mean and
///    standard deviation, and `pValue` is its Gaussian upper tail (for strong evidence
///    beyond 1/1000).
public struct ProfileComparison: Sendable, Hashable {
    /// Matched neurons (min of the two set sizes).
    public var matched: Int
    /// Mean |cosine| of matched input profiles (alignment quality).
    public var inputAgreement: Double
    /// The cross-check statistic T (≈ 1 for a permuted copy, ≈ 0 for unrelated models).
    public var crossCheck: Double
    /// Mean and standard deviation of T under random re-pairings.
    public var nullMean: Double
    public var nullStd: Double
    public var z: Double
    /// Gaussian upper-tail p-value of z (natural log, to keep tiny values).
    public var logPValue: Double
    /// Monte Carlo permutation p-value (≥ 1/(B+1)).
    public var permutationPValue: Double
    /// For each reference neuron (position in the reference set), the matched suspect position.
    public var alignment: [Int]

    public static let resamples = 999

    /// Compares reference profiles with suspect profiles (both `count × t`, unit-norm rows).
    public static func compare(
        referenceInput: [Float], referencePaired: [Float], suspectInput: [Float], suspectPaired: [Float], t: Int
    ) -> ProfileComparison {
        let referenceCount = referenceInput.count / t, suspectCount = suspectInput.count / t
        guard referenceCount > 1, suspectCount > 1 else {
            return ProfileComparison(matched: 0, inputAgreement: 0, crossCheck: 0, nullMean: 0, nullStd: 0, z: 0,
                                     logPValue: 0, permutationPValue: 1, alignment: [])
        }
        let flip = referenceCount > suspectCount
        let rows = flip ? suspectCount : referenceCount, cols = flip ? referenceCount : suspectCount
        let rowInput = flip ? suspectInput : referenceInput, colInput = flip ? referenceInput : suspectInput
        let rowPaired = flip ? suspectPaired : referencePaired, colPaired = flip ? referencePaired : suspectPaired

        let inputCosines = cosines(rowInput, rows, colInput, cols, t)
        let assignment = LinearAssignment.maximize(weights: inputCosines.map { abs($0) }, rows: rows, cols: cols)
        let pairedCosines = cosines(rowPaired, rows, colPaired, cols, t)

        var signs = [Double](repeating: 1, count: rows)
        var agreement = 0.0, statistic = 0.0
        for row in 0..<rows {
            let input = inputCosines[row * cols + assignment[row]]
            signs[row] = input < 0 ? -1 : 1
            agreement += abs(input)
            statistic += signs[row] * pairedCosines[row * cols + assignment[row]]
        }
        agreement /= Double(rows)
        statistic /= Double(rows)

        // Null: re-pair rows with a random permutation of their matched columns.
        var generator = SeedStreamGenerator(seed: .standard, label: "profile-null")
        var permuted = assignment
        var sum = 0.0, sumSquares = 0.0, atLeast = 0
        for _ in 0..<resamples {
            permuted.shuffle(using: &generator)
            var value = 0.0
            for row in 0..<rows { value += signs[row] * pairedCosines[row * cols + permuted[row]] }
            value /= Double(rows)
            sum += value
            sumSquares += value * value
            if value >= statistic { atLeast += 1 }
        }
        let mean = sum / Double(resamples)
        let std = max((sumSquares / Double(resamples) - mean * mean), 0).squareRoot()
        let z = std > 0 ? (statistic - mean) / std : 0
        var alignment = [Int](repeating: -1, count: referenceCount)
        if flip {
            for row in 0..<rows { alignment[assignment[row]] = row }
        } else {
            alignment = assignment
        }
        return ProfileComparison(
            matched: rows, inputAgreement: agreement, crossCheck: statistic, nullMean: mean, nullStd: std, z: z,
            logPValue: GaussianTail.logUpperTail(z),
            permutationPValue: Double(atLeast + 1) / Double(resamples + 1), alignment: alignment)
    }

    /// Row-major `rows × cols` cosines between unit-norm profile rows.
    static func cosines(_ a: [Float], _ rows: Int, _ b: [Float], _ cols: Int, _ t: Int) -> [Double] {
        var result = [Double](repeating: 0, count: rows * cols)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                for i in 0..<rows {
                    for j in 0..<cols {
                        var sum: Float = 0
                        for k in 0..<t { sum += a[i * t + k] * b[j * t + k] }
                        result[i * cols + j] = Double(sum)
                    }
                }
            }
        }
        return result
    }
}
