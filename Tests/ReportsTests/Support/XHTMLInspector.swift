import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Parses a report's HTML as XML (the renderer emits XHTML-compatible markup), records
/// parse errors, every element with its attributes, the text content and a structural outline.
final class XHTMLInspector: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
        var ancestors: [String]
    }

    private(set) var elements: [Element] = []
    private(set) var parseError: String?
    /// Character data of the document (outside `<style>`), one string per text node.
    private(set) var texts: [String] = []
    private(set) var styleText = ""
    private(set) var outline: [String] = []

    private var stack: [String] = []
    private var svgCounts: [String: Int] = [:]
    private var rowCells: [String: Int] = [:]
    private var headingText: String?

    /// Inline elements left out of the outline (they carry text, not structure).
    private static let inline: Set<String> = ["code", "strong", "em", "a", "br", "span", "wbr"]

    static func inspect(_ html: String) -> XHTMLInspector {
        let inspector = XHTMLInspector()
        let parser = XMLParser(data: Data(html.utf8))
        parser.shouldResolveExternalEntities = false
        parser.delegate = inspector
        if !parser.parse(), inspector.parseError == nil {
            inspector.parseError = parser.parserError.map { "\($0) at line \(parser.lineNumber), column \(parser.columnNumber)" } ?? "unknown parse error"
        }
        return inspector
    }

    var allText: String { texts.joined() }

    func elements(named name: String) -> [Element] {
        elements.filter { $0.name == name }
    }

    // MARK: - XMLParserDelegate

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append(Element(name: elementName, attributes: attributes, ancestors: stack))
        let depth = stack.count
        if stack.contains("svg") {
            svgCounts[elementName, default: 0] += 1
        } else if stack.last == "tr" {
            rowCells[elementName, default: 0] += 1
        } else if elementName == "svg" || elementName == "tr" {
            svgCounts = [:]
            rowCells = [:]
        } else if !Self.inline.contains(elementName) || attributes["id"] != nil {
            var line = String(repeating: "  ", count: depth) + elementName
            if let id = attributes["id"] { line += "#" + id }
            if let classes = attributes["class"] { line += "." + classes.replacingOccurrences(of: " ", with: ".") }
            outline.append(line)
        }
        if ["h1", "h2", "h3", "h4", "h5", "h6", "th", "title"].contains(elementName) { headingText = "" }
        stack.append(elementName)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        stack.removeLast()
        let indent = String(repeating: "  ", count: stack.count)
        if elementName == "svg", !stack.contains("svg") {
            outline.append(indent + "svg[" + svgCounts.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ") + "]")
        } else if elementName == "tr" {
            outline.append(indent + "tr(" + rowCells.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ") + ")")
        } else if let text = headingText, ["h1", "h2", "h3", "h4", "h5", "h6", "title"].contains(elementName), !stack.contains("svg") {
            outline.append(indent + "  \"" + text + "\"")
            headingText = nil
        } else if elementName == "th" {
            headingText = nil
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if stack.last == "style" { styleText += string; return }
        texts.append(string)
        if headingText != nil { headingText! += string }
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
        if self.parseError == nil {
            self.parseError = "\(parseError) at line \(parser.lineNumber), column \(parser.columnNumber)"
        }
    }

    // MARK: - Self-containment

    private static let forbiddenElements: Set<String> = [
        "script", "iframe", "frame", "frameset", "object", "embed", "link", "img", "image", "video", "audio", "source",
        "track", "base", "form", "input", "picture", "use", "foreignObject", "applet", "portal",
    ]
    private static let forbiddenAttributes: Set<String> = [
        "src", "srcset", "data", "poster", "action", "formaction", "background", "xlink:href", "ping", "manifest", "codebase",
    ]

    /// Everything that would make the page load something or run code; empty when self-contained.
    func externalResourceProblems() -> [String] {
        var problems: [String] = []
        let ids = Set(elements.compactMap { $0.attributes["id"] })
        for element in elements {
            if Self.forbiddenElements.contains(element.name) { problems.append("<\(element.name)> element") }
            if element.name == "meta", element.attributes["http-equiv"] != nil { problems.append("<meta http-equiv>") }
            for (name, value) in element.attributes {
                let lowered = name.lowercased()
                if Self.forbiddenAttributes.contains(lowered) { problems.append("\(name)= on <\(element.name)>") }
                if lowered.hasPrefix("on") { problems.append("event handler \(name)= on <\(element.name)>") }
                if lowered == "style", Self.cssLoads(value) { problems.append("style attribute loading a resource on <\(element.name)>") }
                if lowered == "href" {
                    if element.name != "a" {
                        problems.append("href= on <\(element.name)>")
                    } else if value.hasPrefix("#") {
                        if !ids.contains(String(value.dropFirst())) { problems.append("link to missing section \(value)") }
                    } else if !(value.lowercased().hasPrefix("https://") || value.lowercased().hasPrefix("http://")) {
                        problems.append("non-http(s) link \(value)")
                    }
                }
            }
        }
        if Self.cssLoads(styleText) { problems.append("<style> loads a resource (@import, url(), @font-face)") }
        return problems
    }

    static func cssLoads(_ css: String) -> Bool {
        let lowered = css.lowercased()
        return lowered.contains("@import") || lowered.contains("url(") || lowered.contains("@font-face") || lowered.contains("expression(")
    }
}
