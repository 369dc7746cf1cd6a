/// A plot with its caption.
struct Figure {
    /// Builds the complete `<svg>` markup with `SVGBuilder` (which escapes everything it is
    /// given); called only by the HTML writer, so Markdown never pays for the plots.
    var svg: () -> String
    var caption: [Inline]
    /// What Markdown shows instead of the plot.
    var summary: [Inline]?
}
