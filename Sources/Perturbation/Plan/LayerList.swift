import Foundation

/// Layer lists written as `2,4` or `0-3` or `0-5,3-7` (ranges inclusive, order kept,
/// repeats allowed where the attack allows them).
public enum LayerList {
    /// Parses `text`; `nil` when it is malformed.
    public static func parse(_ text: String) -> [Int]? {
        var layers: [Int] = []
        for piece in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = String(piece).trimmingCharacters(in: .whitespaces).split(separator: "-", omittingEmptySubsequences: false)
            switch bounds.count {
            case 1:
                guard let layer = Int(bounds[0]), layer >= 0 else { return nil }
                layers.append(layer)
            case 2:
                guard let low = Int(bounds[0]), let high = Int(bounds[1]), low >= 0, low <= high, high - low < 1 << 20 else { return nil }
                layers += Array(low...high)
            default:
                return nil
            }
        }
        return layers.isEmpty ? nil : layers
    }

    /// `[0, 1, 2, 3, 5]` → `0-3,5`.
    public static func describe(_ layers: [Int]) -> String {
        var parts: [String] = []
        var index = 0
        while index < layers.count {
            var end = index
            while end + 1 < layers.count, layers[end + 1] == layers[end] + 1 { end += 1 }
            parts.append(end > index ? "\(layers[index])-\(layers[end])" : "\(layers[index])")
            index = end + 1
        }
        return parts.joined(separator: ",")
    }
}
