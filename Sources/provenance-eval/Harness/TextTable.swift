/// A table printed as aligned plain text (terminal) or as Markdown (docs/EVALUATION.md).
struct TextTable {
    var headers: [String]
    /// Right-aligned columns (numbers).
    var numeric: Set<Int> = []
    private(set) var rows: [[String]] = []

    init(headers: [String], numeric: Set<Int> = []) {
        self.headers = headers
        self.numeric = numeric
    }

    mutating func append(_ row: [String]) {
        precondition(row.count == headers.count, "row has \(row.count) cells for \(headers.count) columns")
        rows.append(row)
    }

    var plainText: String {
        var widths = headers.map(\.count)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        func line(_ cells: [String]) -> String {
            var out = ""
            for (index, cell) in cells.enumerated() {
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                if index > 0 { out += "  " }
                out += numeric.contains(index) ? pad + cell : cell + pad
            }
            while out.hasSuffix(" ") { out.removeLast() }
            return out
        }
        let rule = String(repeating: "-", count: widths.reduce(0, +) + 2 * max(0, widths.count - 1))
        return ([line(headers), rule] + rows.map(line)).joined(separator: "\n")
    }

    var markdown: String {
        func escape(_ cell: String) -> String { cell.replacingOccurrences(of: "|", with: "\\|") }
        let header = "| " + headers.map(escape).joined(separator: " | ") + " |"
        let rule = "|" + headers.indices.map { numeric.contains($0) ? "---:|" : "---|" }.joined()
        return ([header, rule] + rows.map { "| " + $0.map(escape).joined(separator: " | ") + " |" }).joined(separator: "\n")
    }
}
