/// Renders a `ReportDocument` as one self-contained HTML page: inline CSS and SVG, no
/// scripts, no external resources. The markup is also well-formed XML (void elements are
/// self-closed, only XML's predefined entities are used), so XML tools can check it.
struct HTMLWriter {
    private var output = ""

    static func render(_ document: ReportDocument) -> String {
        var writer = HTMLWriter()
        writer.output += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        writer.output += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
        writer.output += "<title>" + HTMLEscaping.escape(plainText(document.title)) + "</title>\n"
        writer.output += "<style>\n" + HTMLStylesheet.css + "</style>\n</head>\n<body>\n<main>\n<header>\n"
        writer.output += "<h1>" + inline(document.title) + "</h1>\n"
        writer.blocks(document.lead, depth: 1)
        writer.output += "</header>\n"
        if document.sections.count > 1 {
            writer.output += "<nav class=\"toc\" aria-label=\"Contents\"><ul>\n"
            for section in document.sections {
                writer.output += "<li><a href=\"#\(HTMLEscaping.escape(section.id))\">" + inline(section.title) + "</a></li>\n"
            }
            writer.output += "</ul></nav>\n"
        }
        for section in document.sections { writer.section(section, depth: 2) }
        writer.output += "<footer>Self-contained report: inline styles and SVG only, no scripts, no network resources.</footer>\n"
        writer.output += "</main>\n</body>\n</html>\n"
        return writer.output
    }

    // MARK: - Blocks

    private mutating func section(_ section: Section, depth: Int) {
        let level = min(depth, 6)
        output += "<section id=\"\(HTMLEscaping.escape(section.id))\">\n"
        output += "<h\(level)>" + Self.inline(section.title) + "</h\(level)>\n"
        blocks(section.blocks, depth: depth)
        output += "</section>\n"
    }

    private mutating func blocks(_ blocks: [Block], depth: Int) {
        for block in blocks {
            switch block {
            case .paragraph(let content):
                output += "<p>" + Self.inline(content) + "</p>\n"
            case .callout(let kind, let content):
                let name = switch kind {
                case .flagged: "flagged"
                case .clear: "clear"
                case .caveat: "caveat"
                }
                output += "<div class=\"callout \(name)\"><p>" + Self.inline(content) + "</p></div>\n"
            case .list(let items):
                output += "<ul>\n" + items.map { "<li>" + Self.inline($0) + "</li>\n" }.joined() + "</ul>\n"
            case .table(let table):
                self.table(table)
            case .code(let text):
                output += "<pre class=\"command\"><code>" + HTMLEscaping.escape(text) + "</code></pre>\n"
            case .figure(let figure):
                output += "<figure>\n" + figure.svg() + "\n<figcaption>" + Self.inline(figure.caption) + "</figcaption>\n</figure>\n"
            case .figureRow(let figures):
                output += "<div class=\"figures\">\n"
                for figure in figures {
                    output += "<figure>\n" + figure.svg() + "\n<figcaption>" + Self.inline(figure.caption) + "</figcaption>\n</figure>\n"
                }
                output += "</div>\n"
            case .section(let child):
                section(child, depth: depth + 1)
            }
        }
    }

    private mutating func table(_ table: Table) {
        output += "<div class=\"table-wrap\"><table>\n<thead><tr>"
        for column in table.columns {
            output += (column.numeric ? "<th class=\"num\">" : "<th>") + HTMLEscaping.escape(column.title) + "</th>"
        }
        output += "</tr></thead>\n<tbody>\n"
        for row in table.rows {
            output += "<tr>"
            for (index, column) in table.columns.enumerated() {
                let cell = index < row.count ? Self.inline(row[index]) : ""
                output += (column.numeric ? "<td class=\"num\">" : "<td>") + cell + "</td>"
            }
            output += "</tr>\n"
        }
        output += "</tbody>\n</table></div>\n"
    }

    // MARK: - Inline

    static func inline(_ content: [Inline]) -> String {
        content.map(inline).joined()
    }

    static func inline(_ element: Inline) -> String {
        switch element {
        case .text(let value):
            return HTMLEscaping.escape(value)
        case .code(let value):
            return value.isEmpty ? "<em>(empty)</em>" : "<code>" + breakable(value) + "</code>"
        case .digest(let value):
            return "<code class=\"digest\">" + HTMLEscaping.escape(value) + "</code>"
        case .value(let value):
            return "<span class=\"value\">" + HTMLEscaping.escape(value) + "</span>"
        case .strong(let content):
            return "<strong>" + inline(content) + "</strong>"
        case .emphasis(let content):
            return "<em>" + inline(content) + "</em>"
        case .internalLink(let content, let sectionID):
            return "<a href=\"#\(HTMLEscaping.escape(sectionID))\">" + inline(content) + "</a>"
        case .link(let text, let url):
            guard SafeURL.isLinkable(url) else {
                return (text == url ? "" : HTMLEscaping.escape(text) + " ") + "<code>" + HTMLEscaping.escape(url) + "</code>"
            }
            return "<a href=\"\(HTMLEscaping.escape(url))\" rel=\"nofollow noopener noreferrer\">" + HTMLEscaping.escape(text) + "</a>"
        }
    }

    /// Escaped text with line-break opportunities (`<wbr/>`) after separators of long names,
    /// so tables can wrap `model.layers.0.mlp.up_proj.weight` at dots rather than mid-word.
    static func breakable(_ value: String) -> String {
        guard value.count > 16 else { return HTMLEscaping.escape(value) }
        var result = ""
        var pending = ""
        for character in value {
            pending.append(character)
            if "./_-@:".contains(character) {
                result += HTMLEscaping.escape(pending) + "<wbr/>"
                pending = ""
            }
        }
        return result + HTMLEscaping.escape(pending)
    }

    static func plainText(_ content: [Inline]) -> String {
        content.map { element in
            switch element {
            case .text(let value), .code(let value), .digest(let value), .value(let value): value
            case .strong(let inner), .emphasis(let inner): plainText(inner)
            case .link(let text, _): text
            case .internalLink(let inner, _): plainText(inner)
            }
        }.joined()
    }
}
