/// A plain-text table with right-aligned numeric columns.
struct ResultTable {
    struct Column {
        var title: String
        var numeric: Bool
    }

    var columns: [Column]
    private(set) var rows: [[String]] = []

    init(columns: [Column]) {
        self.columns = columns
    }

    mutating func append(_ row: [String]) {
        precondition(row.count == columns.count, "row has \(row.count) cells for \(columns.count) columns")
        rows.append(row)
    }

    var text: String {
        var widths = columns.map(\.title.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var out = ""
            for (index, cell) in cells.enumerated() {
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                if index > 0 { out += "  " }
                out += columns[index].numeric ? pad + cell : cell + pad
            }
            while out.hasSuffix(" ") { out.removeLast() }
            return out
        }
        let rule = String(repeating: "-", count: widths.reduce(0, +) + 2 * max(0, widths.count - 1))
        return ([line(columns.map(\.title)), rule] + rows.map(line)).joined(separator: "\n")
    }
}
