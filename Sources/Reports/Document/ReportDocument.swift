/// A report as format-neutral blocks: the Markdown and HTML writers render the same
/// document, so both formats always carry the same content.
///
/// Every string in it is plain text (user-supplied or not); writers escape on output.
struct ReportDocument {
    /// The page title (plain text) and heading.
    var title: [Inline]
    /// Blocks before the first section: the verdict and its key numbers.
    var lead: [Block]
    var sections: [Section]
}

/// A titled part of a report; nested sections render one heading level deeper.
struct Section {
    /// A fixed, generated identifier (never user text), unique within the document.
    var id: String
    var title: [Inline]
    var blocks: [Block]
}

/// Inline content. Writers escape `text` and `code`; `link` becomes a link only for http(s) URLs.
enum Inline: Hashable, Sendable, ExpressibleByStringInterpolation {
    case text(String)
    /// Monospaced, e.g. a tensor name; HTML may break it after `.`, `/`, `_`, `-`.
    case code(String)
    /// A hex digest: monospaced, breakable anywhere on narrow screens.
    case digest(String)
    /// A number or short value that must not be split across lines ("1e-6").
    case value(String)
    case strong([Inline])
    case emphasis([Inline])
    case link(text: String, url: String)
    /// A link to a section of the same report (HTML only; Markdown shows the content).
    case internalLink([Inline], sectionID: String)

    init(stringLiteral value: String) {
        self = .text(value)
    }
}

/// Block content of a section.
enum Block {
    case paragraph([Inline])
    /// A highlighted box: the verdict, or a caveat.
    case callout(Callout, [Inline])
    case list([[Inline]])
    case table(Table)
    /// Preformatted text (the command to reproduce).
    case code(String)
    /// A plot: HTML shows the SVG; Markdown shows `summary` (when any).
    case figure(Figure)
    /// Small plots side by side (HTML); Markdown shows their summaries.
    case figureRow([Figure])
    case section(Section)

    enum Callout {
        case flagged
        case clear
        case caveat
    }
}

struct Table {
    struct Column {
        var title: String
        var numeric = false
    }

    var columns: [Column]
    var rows: [[[Inline]]]
}

struct Figure {
    /// Builds the complete `<svg>` markup with `SVGBuilder` (which escapes everything it is
    /// given); called only by the HTML writer, so Markdown never pays for the plots.
    var svg: () -> String
    var caption: [Inline]
    /// What Markdown shows instead of the plot.
    var summary: [Inline]?
}
