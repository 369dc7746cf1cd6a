import Foundation

/// Builds inline SVG markup. Every text and attribute value passes through `HTMLEscaping`,
/// coordinates are printed with one decimal, so the output is deterministic and XML-safe.
/// Fills are plain colours: no gradients or patterns (they would need `url(#…)` references).
struct SVGBuilder {
    enum Anchor: String {
        case start, middle, end
    }

    let width: Double
    let height: Double
    private let label: String
    private var body = ""

    /// `label` is the accessible name (the SVG's `<title>`).
    init(width: Double, height: Double, label: String) {
        self.width = width.rounded(.up)
        self.height = height.rounded(.up)
        self.label = label
    }

    var markup: String {
        let w = Self.number(width), h = Self.number(height)
        return "<svg viewBox=\"0 0 \(w) \(h)\" width=\"\(w)\" height=\"\(h)\" role=\"img\">"
            + "<title>" + HTMLEscaping.escape(label) + "</title>\n" + body + "</svg>"
    }

    mutating func rect(x: Double, y: Double, width: Double, height: Double, fill: String,
                       stroke: String? = nil, opacity: Double? = nil, tooltip: String? = nil) {
        var attributes = "x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" width=\"\(Self.number(max(0, width)))\" height=\"\(Self.number(max(0, height)))\" fill=\"\(fill)\""
        if let stroke { attributes += " stroke=\"\(stroke)\" stroke-width=\"1\"" }
        if let opacity { attributes += " fill-opacity=\"\(Self.number(opacity, digits: 2))\"" }
        element("rect", attributes, tooltip: tooltip)
    }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1, dash: String? = nil) {
        var attributes = "x1=\"\(Self.number(x1))\" y1=\"\(Self.number(y1))\" x2=\"\(Self.number(x2))\" y2=\"\(Self.number(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(Self.number(width))\""
        if let dash { attributes += " stroke-dasharray=\"\(dash)\"" }
        element("line", attributes)
    }

    mutating func polyline(_ points: [(x: Double, y: Double)], stroke: String, width: Double = 2, dash: String? = nil) {
        guard points.count > 1 else { return }
        let list = points.map { "\(Self.number($0.x)),\(Self.number($0.y))" }.joined(separator: " ")
        var attributes = "points=\"\(list)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(Self.number(width))\" stroke-linejoin=\"round\""
        if let dash { attributes += " stroke-dasharray=\"\(dash)\"" }
        element("polyline", attributes)
    }

    mutating func circle(x: Double, y: Double, radius: Double, fill: String, stroke: String? = nil, tooltip: String? = nil) {
        var attributes = "cx=\"\(Self.number(x))\" cy=\"\(Self.number(y))\" r=\"\(Self.number(radius))\" fill=\"\(fill)\""
        if let stroke { attributes += " stroke=\"\(stroke)\" stroke-width=\"1.5\"" }
        element("circle", attributes, tooltip: tooltip)
    }

    mutating func text(_ value: String, x: Double, y: Double, size: Double = 11, anchor: Anchor = .start,
                       fill: String = "#1b1f24", bold: Bool = false, italic: Bool = false, rotate: Double? = nil) {
        var attributes = "x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" font-size=\"\(Self.number(size))\" fill=\"\(fill)\""
        if anchor != .start { attributes += " text-anchor=\"\(anchor.rawValue)\"" }
        if bold { attributes += " font-weight=\"600\"" }
        if italic { attributes += " font-style=\"italic\"" }
        if let rotate { attributes += " transform=\"rotate(\(Self.number(rotate)) \(Self.number(x)) \(Self.number(y)))\"" }
        body += "<text \(attributes)>" + HTMLEscaping.escape(value) + "</text>\n"
    }

    private mutating func element(_ name: String, _ attributes: String, tooltip: String? = nil) {
        if let tooltip {
            body += "<\(name) \(attributes)><title>" + HTMLEscaping.escape(tooltip) + "</title></\(name)>\n"
        } else {
            body += "<\(name) \(attributes)/>\n"
        }
    }

    /// `value` with at most `digits` decimals, trailing zeros dropped ("12.5", "3", "-0.25").
    /// Integer arithmetic: plots call this tens of thousands of times.
    static func number(_ value: Double, digits: Int = 1) -> String {
        guard value.isFinite, abs(value) < 1e12 else { return "0" }
        var scale = 1
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((abs(value) * Double(scale)).rounded())
        if scaled == 0 { return "0" }
        var text = String(scaled / scale)
        var fraction = scaled % scale
        if fraction != 0 {
            var width = digits
            while fraction % 10 == 0 { fraction /= 10; width -= 1 }
            text += "." + String(fraction).leftPadded(to: width)
        }
        return value < 0 ? "-" + text : text
    }
}
