import Foundation
import Testing
@testable import Matching
@testable import Reports

/// User-supplied strings (labels, metadata, tensor and file names, URLs, the command) cannot
/// inject markup, links, table cells or line breaks into Markdown or HTML, and are still shown.
@Suite("Escaping")
struct EscapingTests {
    static let hostileComparison = ResultFixtures.comparison(.hostile)
    static let hostileScan = ResultFixtures.scan(.hostile)

    // MARK: - Markdown units

    @Test("Markdown text escapes every inline special and flattens line breaks")
    func markdownText() {
        #expect(MarkdownEscaping.text("a|b") == "a\\|b")
        #expect(MarkdownEscaping.text("<script>") == "\\<script\\>")
        #expect(MarkdownEscaping.text("**x** _y_ `z` [l](u) ~s~ &amp; $m$ ![i]") ==
                "\\*\\*x\\*\\* \\_y\\_ \\`z\\` \\[l\\](u) \\~s\\~ \\&amp; \\$m\\$ \\!\\[i\\]")
        #expect(MarkdownEscaping.text("a\\b") == "a\\\\b")
        #expect(MarkdownEscaping.text("one\ntwo\r\nthree\u{2028}four") == "one two  three four")
        #expect(MarkdownEscaping.text("bell\u{7}") == "bell\u{FFFD}")
    }

    @Test("Markdown escapes block constructs at the start of a line")
    func markdownBlockStart() {
        #expect(MarkdownEscaping.blockStart("# heading") == "\\# heading")
        #expect(MarkdownEscaping.blockStart("- item") == "\\- item")
        #expect(MarkdownEscaping.blockStart("12. item") == "12\\. item")
        #expect(MarkdownEscaping.blockStart("3) item") == "3\\) item")
        #expect(MarkdownEscaping.blockStart("2024 release") == "2024 release")
    }

    @Test("Markdown code spans survive backticks, pipes and padding")
    func markdownCodeSpans() {
        #expect(MarkdownEscaping.codeSpan("model.layers.0", inTable: false) == "`model.layers.0`")
        #expect(MarkdownEscaping.codeSpan("a``b", inTable: false) == "```a``b```")
        #expect(MarkdownEscaping.codeSpan("`x`", inTable: false) == "`` `x` ``")
        #expect(MarkdownEscaping.codeSpan(" x ", inTable: false) == "`  x  `")
        #expect(MarkdownEscaping.codeSpan("a|b", inTable: true) == "`a\\|b`")
        #expect(MarkdownEscaping.codeSpan("a|b", inTable: false) == "`a|b`")
        #expect(MarkdownEscaping.codeSpan("a\nb", inTable: true) == "`a b`")
    }

    @Test("Markdown code blocks use a fence longer than any backtick run inside")
    func markdownCodeBlock() {
        let block = MarkdownEscaping.codeBlock("echo ```\nls")
        #expect(block == "````sh\necho ```\nls\n````")
    }

    @Test("only absolute http(s) URLs with a host become links")
    func safeURLs() {
        for url in ["https://huggingface.co/acme/chat", "http://example.org", "HTTPS://EXAMPLE.ORG/x?y=1#z"] {
            #expect(SafeURL.isLinkable(url), "\(url)")
        }
        for url in ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<b>", "vbscript:x", "file:///etc/passwd",
                    "//evil.example", "/relative", "https://", "https:///path", "https://a b", "https://x\n.org",
                    "https://x.org/\"onmouseover=\"", "https://x.org/<script>", " https://x.org", "ftp://x.org"] {
            #expect(!SafeURL.isLinkable(url), "\(url)")
        }
        #expect(MarkdownEscaping.linkDestination("https://x.org/a_(b)|c d") == "https://x.org/a_%28b%29%7Cc%20d")
    }

    // MARK: - HTML units

    @Test("HTML escaping covers markup, quotes and characters XML forbids")
    func htmlEscape() {
        #expect(HTMLEscaping.escape("<a href=\"x\">'&'</a>") == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
        #expect(HTMLEscaping.escape("]]>") == "]]&gt;")
        #expect(HTMLEscaping.escape("nul\u{0}esc\u{1B}tab\tnl\n") == "nul\u{FFFD}esc\u{FFFD}tab\tnl\n")
        #expect(HTMLWriter.breakable("model.layers.0.<b>") == "model.<wbr/>layers.<wbr/>0.<wbr/>&lt;b&gt;")
    }

    // MARK: - Whole reports

    @Test("hostile Markdown: no raw HTML, no foreign links, tables keep their shape")
    func hostileMarkdown() {
        for markdown in [ReportRenderer.markdown(Self.hostileComparison), ReportRenderer.markdown(Self.hostileScan)] {
            #expect(MarkdownInspector.rawHTML(markdown) == [])
            #expect(MarkdownInspector.tableProblems(markdown) == [])
            for destination in MarkdownInspector.linkDestinations(markdown) {
                #expect(SafeURL.isLinkable(destination), "link to \(destination)")
            }
            // The "\n# heading" inside a tensor name never starts a line (no injected heading).
            #expect(!MarkdownInspector.proseLines(markdown).contains { $0.hasPrefix("# heading") })
            #expect(!markdown.contains("\u{0}") && !markdown.contains("\u{1B}"))
        }
    }

    @Test("every Markdown report: tables keep their shape, no raw HTML, one trailing newline")
    func markdownShape() throws {
        let reports: [(String, String)] = [
            ("comparison", ReportRenderer.markdown(ResultFixtures.comparison())),
            ("hostile-comparison", ReportRenderer.markdown(Self.hostileComparison)),
            ("sparse-comparison", ReportRenderer.markdown(ResultFixtures.sparseComparison())),
            ("scan", ReportRenderer.markdown(ResultFixtures.scan())),
            ("hostile-scan", ReportRenderer.markdown(Self.hostileScan)),
            ("merge-scan", ReportRenderer.markdown(ResultFixtures.mergeScan())),
            ("independent-scan", ReportRenderer.markdown(ResultFixtures.independentScan())),
        ]
        for (name, markdown) in reports {
            #expect(MarkdownInspector.tableProblems(markdown) == [], "\(name)")
            #expect(MarkdownInspector.rawHTML(markdown) == [], "\(name)")
            #expect(markdown.hasSuffix("\n") && !markdown.hasSuffix("\n\n"), "\(name)")
            #expect(markdown.hasPrefix("# Provenance "), "\(name)")
            if let directory = ProcessInfo.processInfo.environment["PROVENANCE_REPORT_SAMPLES"] {
                try Data(markdown.utf8).write(to: URL(fileURLWithPath: directory).appendingPathComponent("\(name).md"))
            }
        }
    }

    @Test("hostile Markdown keeps the exact command in a fenced block")
    func hostileCommand() {
        let markdown = ReportRenderer.markdown(Self.hostileComparison)
        let command = ResultFixtures.Names.hostile.command
        // The command contains a ``` line, so the fence must be longer.
        #expect(markdown.contains("````sh\n" + command + "\n````"))
    }

    @Test("hostile HTML: user text shown verbatim, never as markup")
    func hostileHTML() {
        for html in [ReportRenderer.html(Self.hostileComparison), ReportRenderer.html(Self.hostileScan)] {
            let inspector = XHTMLInspector.inspect(html)
            #expect(inspector.parseError == nil)
            #expect(inspector.externalResourceProblems() == [])
            // Markup in labels is text: no <script>, <img>, <b> or <i> elements appear.
            let names = Set(inspector.elements.map(\.name))
            #expect(names.isDisjoint(with: ["script", "img", "b", "i"]))
            let text = inspector.allText
            #expect(text.contains(ResultFixtures.script))
            #expect(text.contains("| pipes | and `backticks` & **stars** [x](javascript:alert(1))"))
            #expect(text.contains("<img src=x onerror=alert(1)>"))
            #expect(text.contains("javascript:alert(1)"))
            // Link targets are only the safe URL kinds.
            for link in inspector.elements(named: "a").compactMap({ $0.attributes["href"] }) {
                #expect(link.hasPrefix("#") || SafeURL.isLinkable(link), "href \(link)")
            }
            // The command is shown exactly (controls aside), inside <pre>.
            #expect(text.contains(ResultFixtures.Names.hostile.command))
        }
    }

    @Test("the hostile page title is escaped text")
    func hostileTitle() {
        let html = ReportRenderer.html(Self.hostileComparison)
        #expect(html.contains("<title>Provenance report: evil/&lt;script&gt;alert(1)&lt;/script&gt; vs "))
    }

    @Test("http(s) metadata values become links; others stay text, in both formats")
    func metadataLinks() {
        let markdown = ReportRenderer.markdown(ResultFixtures.comparison())
        #expect(markdown.contains("[https://huggingface.co/acme/chat](https://huggingface.co/acme/chat)"))
        let hostile = ReportRenderer.markdown(Self.hostileComparison)
        #expect(hostile.contains("| url | — | `javascript:alert(1)` |"))
        // A rejected http URL is code, so GFM does not autolink it either.
        #expect(hostile.contains("| homepage | — | `https://example.org/a_(b)\\|c?q=\"x\"&y=<z>` |"))
        #expect(hostile.contains("\\[x\\](javascript:alert(1))"))
        #expect(!MarkdownInspector.linkDestinations(hostile).contains { $0.lowercased().contains("javascript") })
    }
}
