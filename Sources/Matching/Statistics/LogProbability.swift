import Fingerprinting
import Foundation

/// P-values handled as natural logarithms, so that 10⁻³⁰⁰⁰ is representable.
public enum LogProbability {
    /// Fisher's method: combined ln p of independent ln p-values (χ² with 2k degrees of freedom,
    /// survival computed exactly for even degrees of freedom, in log space).
    public static func fisher(_ logPValues: [Double]) -> Double {
        let k = logPValues.count
        guard k > 0 else { return 0 }
        let statistic = -2 * logPValues.reduce(0) { $0 + min(0, $1) }
        let half = statistic / 2
        guard half > 0 else { return 0 }
        // P(χ²_{2k} ≥ X) = e^{−X/2} Σ_{j<k} (X/2)^j / j!
        var terms: [Double] = []
        terms.reserveCapacity(k)
        var logTerm = 0.0
        for j in 0..<k {
            if j > 0 { logTerm += log(half) - log(Double(j)) }
            terms.append(logTerm)
        }
        let largest = terms.max() ?? 0
        let sum = terms.reduce(0) { $0 + exp($1 - largest) }
        return min(0, -half + largest + log(sum))
    }

    /// ln of a Bonferroni-corrected p-value: ln(min(1, m·p)).
    public static func bonferroni(_ logP: Double, comparisons: Int) -> Double {
        min(0, logP + log(Double(max(1, comparisons))))
    }

    /// Two-sided Gaussian tail ln P(|Z| ≥ |z|).
    public static func twoSided(_ z: Double) -> Double {
        GaussianTail.logTwoSided(z)
    }

    /// log₁₀ from ln.
    public static func log10(_ logP: Double) -> Double {
        logP / Foundation.log(10)
    }

    /// A p-value for people: "0.03", "2.1e-12", "1e-2174" (below Double's range).
    public static func format(_ logP: Double) -> String {
        let decimal = log10(logP)
        if decimal > -4 { return String(format: "%.3g", exp(logP)) }
        // Mantissa and exponent from the logarithm, so values below Double's range keep both.
        var exponent = floor(decimal)
        var mantissa = pow(10, decimal - exponent)
        if mantissa >= 9.95 {
            mantissa = 1
            exponent += 1
        }
        return String(format: "%.1fe%.0f", mantissa, exponent)
    }
}
