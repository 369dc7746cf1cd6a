// MARK: - Interspersing

extension Sequence {
    /// The elements with `separator` between each pair.
    func interspersed(with separator: Element) -> [Element] {
        var result: [Element] = []
        for element in self {
            if !result.isEmpty { result.append(separator) }
            result.append(element)
        }
        return result
    }
}
