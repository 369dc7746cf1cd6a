import Foundation

/// A perceptually uniform, colour-blind-safe sequential scale (viridis, 9 stops) for values in 0…1.
enum ColorScale {
    private static let stops: [(Double, Double, Double)] = [
        (68, 1, 84), (72, 40, 120), (62, 74, 137), (49, 104, 142), (38, 130, 142),
        (31, 158, 137), (53, 183, 121), (109, 205, 89), (253, 231, 37),
    ]

    static func color(_ value: Double) -> String {
        let t = value.isFinite ? min(1, max(0, value)) : 0
        let position = t * Double(stops.count - 1)
        let index = min(stops.count - 2, Int(position))
        let f = position - Double(index)
        let (a, b) = (stops[index], stops[index + 1])
        let r = a.0 + (b.0 - a.0) * f, g = a.1 + (b.1 - a.1) * f, bl = a.2 + (b.2 - a.2) * f
        return "#" + [r, g, bl].map { String(Int($0.rounded()), radix: 16).leftPadded(to: 2) }.joined()
    }
}
