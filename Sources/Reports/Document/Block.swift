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
