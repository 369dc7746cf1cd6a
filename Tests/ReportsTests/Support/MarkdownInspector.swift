/// Checks Markdown output the way GFM reads it: tables keep their column count, no raw
/// HTML outside code, link destinations, fenced blocks.
enum MarkdownInspector {
    /// Positions of `|` not escaped by a backslash.
    static func unescapedPipeCount(_ line: String) -> Int {
        var count = 0, backslashes = 0
        for character in line {
            if character == "\\" { backslashes += 1; continue }
            if character == "|", backslashes % 2 == 0 { count += 1 }
            backslashes = 0
        }
        return count
    }

    /// Lines outside fenced code blocks.
    static func proseLines(_ markdown: String) -> [String] {
        var result: [String] = []
        var fence: String?
        for line in markdown.components(separatedBy: "\n") {
            let run = String(line.prefix { $0 == "`" })
            if let open = fence {
                if run.count >= open.count, line.allSatisfy({ $0 == "`" }) { fence = nil }
                continue
            }
            if run.count >= 3 { fence = run; continue }
            result.append(line)
        }
        return result
    }

    /// Every table (consecutive `|` lines): problems with its shape.
    static func tableProblems(_ markdown: String) -> [String] {
        var problems: [String] = []
        var table: [String] = []
        func finish() {
            defer { table = [] }
            guard !table.isEmpty else { return }
            let columns = unescapedPipeCount(table[0])
            if table.count < 2 || !table[1].allSatisfy({ "|-: ".contains($0) }) {
                problems.append("table without delimiter row: \(table[0])")
            }
            for row in table where unescapedPipeCount(row) != columns {
                problems.append("row has \(unescapedPipeCount(row) - 1) cells, header \(columns - 1): \(row)")
            }
        }
        for line in proseLines(markdown) {
            if line.hasPrefix("|") { table.append(line) } else { finish() }
        }
        finish()
        return problems
    }

    /// The prose with code spans removed (their content is literal).
    static func withoutCodeSpans(_ line: String) -> String {
        var result = ""
        let characters = Array(line)
        var index = 0
        while index < characters.count {
            if characters[index] == "`", index == 0 || characters[index - 1] != "\\" {
                var run = 0
                while index + run < characters.count, characters[index + run] == "`" { run += 1 }
                // Find the closing run of the same length.
                var search = index + run
                var closing: Int?
                while search < characters.count {
                    if characters[search] == "`" {
                        var other = 0
                        while search + other < characters.count, characters[search + other] == "`" { other += 1 }
                        if other == run { closing = search; break }
                        search += other
                    } else {
                        search += 1
                    }
                }
                if let closing {
                    result += "CODE"
                    index = closing + run
                    continue
                }
                result += String(repeating: "`", count: run)
                index += run
                continue
            }
            result.append(characters[index])
            index += 1
        }
        return result
    }

    /// Raw HTML tags that GFM would pass through (outside code).
    static func rawHTML(_ markdown: String) -> [String] {
        proseLines(markdown).map(withoutCodeSpans).filter { line in
            let characters = Array(line)
            return characters.indices.contains { index in
                characters[index] == "<" && (index == 0 || characters[index - 1] != "\\")
                    && index + 1 < characters.count && (characters[index + 1].isLetter || "/!?".contains(characters[index + 1]))
            }
        }
    }

    /// Destinations of inline links `[text](destination)` outside code.
    static func linkDestinations(_ markdown: String) -> [String] {
        var result: [String] = []
        for line in proseLines(markdown).map(withoutCodeSpans) {
            var rest = Substring(line)
            while let range = rest.range(of: "](") {
                let before = rest[..<range.lowerBound]
                let escaped = before.reversed().prefix { $0 == "\\" }.count % 2 == 1
                let after = rest[range.upperBound...]
                if !escaped, let close = after.firstIndex(of: ")") { result.append(String(after[..<close])) }
                rest = after
            }
        }
        return result
    }
}
