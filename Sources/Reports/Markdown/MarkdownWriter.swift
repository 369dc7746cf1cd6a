/// Renders a `ReportDocument` as GitHub-flavoured Markdown.
struct MarkdownWriter {
    private var output = ""
    /// Whether the output ends with an empty line (tracked: `hasSuffix` on a long string is slow).
    private var endsWithBlankLine = true

    static func render(_ document: ReportDocument) -> String {
        var writer = MarkdownWriter()
        writer.line("# " + inline(document.title, inTable: false))
        writer.blank()
        writer.blocks(document.lead, depth: 1)
        for section in document.sections { writer.section(section, depth: 2) }
        if writer.endsWithBlankLine, writer.output.last == "\n" { writer.output.removeLast() }
        return writer.output
    }

    // MARK: - Blocks

    private mutating func section(_ section: Section, depth: Int) {
        line(String(repeating: "#", count: min(depth, 6)) + " " + Self.inline(section.title, inTable: false))
        blank()
        blocks(section.blocks, depth: depth)
    }

    private mutating func blocks(_ blocks: [Block], depth: Int) {
        for block in blocks {
            switch block {
            case .paragraph(let content):
                line(Self.blockText(content))
                blank()
            case .callout(_, let content):
                line("> " + Self.blockText(content))
                blank()
            case .list(let items):
                for item in items { line("- " + Self.blockText(item)) }
                blank()
            case .table(let table):
                self.table(table)
                blank()
            case .code(let text):
                line(MarkdownEscaping.codeBlock(text))
                blank()
            case .figure(let figure):
                if let summary = figure.summary {
                    line(Self.blockText(summary))
                    blank()
                }
            case .figureRow(let figures):
                for summary in figures.compactMap(\.summary) {
                    line(Self.blockText(summary))
                    blank()
                }
            case .section(let child):
                section(child, depth: depth + 1)
            }
        }
    }

    private mutating func table(_ table: Table) {
        line("| " + table.columns.map { MarkdownEscaping.text($0.title) }.joined(separator: " | ") + " |")
        line("|" + table.columns.map { $0.numeric ? "---:|" : "---|" }.joined())
        for row in table.rows {
            let cells = table.columns.indices.map { index in
                index < row.count ? Self.inline(row[index], inTable: true) : ""
            }
            line("| " + cells.map { $0.isEmpty ? " " : $0 }.joined(separator: " | ") + " |")
        }
    }

    // MARK: - Inline

    /// Inline content at the start of a line: a leading `#`, `-`, `1.` is escaped.
    private static func blockText(_ content: [Inline]) -> String {
        guard case .text(let first)? = content.first else { return inline(content, inTable: false) }
        return MarkdownEscaping.blockStart(MarkdownEscaping.text(first)) + inline(Array(content.dropFirst()), inTable: false)
    }

    static func inline(_ content: [Inline], inTable: Bool) -> String {
        content.map { inline($0, inTable: inTable) }.joined()
    }

    static func inline(_ element: Inline, inTable: Bool) -> String {
        switch element {
        case .text(let value):
            return MarkdownEscaping.text(value)
        case .code(let value), .digest(let value):
            return value.isEmpty ? "*(empty)*" : MarkdownEscaping.codeSpan(value, inTable: inTable)
        case .value(let value):
            return MarkdownEscaping.text(value)
        case .strong(let content):
            return "**" + inline(content, inTable: inTable) + "**"
        case .emphasis(let content):
            return "*" + inline(content, inTable: inTable) + "*"
        case .internalLink(let content, _):
            return inline(content, inTable: inTable)
        case .link(let text, let url):
            // A URL that may not be a link is shown as code: GFM does not autolink inside code spans.
            guard SafeURL.isLinkable(url) else {
                return (text == url ? "" : MarkdownEscaping.text(text) + " ") + MarkdownEscaping.codeSpan(url, inTable: inTable)
            }
            return "[" + MarkdownEscaping.text(text) + "](" + MarkdownEscaping.linkDestination(url) + ")"
        }
    }

    // MARK: - Output

    private mutating func line(_ text: String) {
        output += text
        output += "\n"
        endsWithBlankLine = false
    }

    private mutating func blank() {
        if !endsWithBlankLine { output += "\n" }
        endsWithBlankLine = true
    }
}
