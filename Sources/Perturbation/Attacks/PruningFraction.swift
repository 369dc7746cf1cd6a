/// The one rule the pruning attacks share for how many units a fraction removes.
enum PruningFraction {
    /// round(`fraction` · `count`), which must remove at least one of the `units` and keep at
    /// least one; otherwise an `invalidArgument` error naming the fraction and the units.
    static func removedCount(_ fraction: Double, of count: Int, units: String, attack: String) throws(PerturbationError) -> Int {
        // Checked before converting, so no fraction (NaN, huge) can trap the conversion.
        let removed = fraction > 0 && fraction < 1 ? Int((Double(count) * fraction).rounded()) : 0
        guard removed > 0, removed < count else {
            throw PerturbationError(attack: attack, rule: .invalidArgument(
                "removing a fraction \(fraction) of \(count) \(units) must remove at least one and keep at least one"))
        }
        return removed
    }
}
