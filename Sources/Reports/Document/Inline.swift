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
