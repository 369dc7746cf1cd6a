/// Escaping for GitHub-flavoured Markdown (CommonMark + tables).
///
/// User text is made inert: no emphasis, links, raw HTML, entities, math or table breaks,
/// and no line breaks (a newline inside a table row would end the table).
enum MarkdownEscaping {
    /// ASCII punctuation that starts an inline construct somewhere in GFM.
    private static let inlineSpecials: Set<Character> = ["\\", "`", "*", "_", "[", "]", "<", ">", "|", "~", "&", "$", "!"]

    /// Plain text: every inline special backslash-escaped, line breaks and controls flattened.
    static func text(_ value: String) -> String {
        var result = ""
        result.reserveCapacity(value.count)
        for character in flatten(value) {
            if inlineSpecials.contains(character) { result.append("\\") }
            result.append(character)
        }
        return result
    }

    /// Escapes a block construct that `value` would start when it begins a line
    /// (heading `#`, list `-`/`+`/`1.`, quote `>` is already escaped, setext `=`).
    static func blockStart(_ value: String) -> String {
        guard let first = value.first else { return value }
        if "#-+=".contains(first) { return "\\" + value }
        let digits = value.prefix { $0.isASCII && $0.isNumber }
        if !digits.isEmpty, let after = value.dropFirst(digits.count).first, after == "." || after == ")" {
            return digits + "\\" + value.dropFirst(digits.count)
        }
        return value
    }

    /// A code span that shows `value` literally, whatever backticks it contains.
    /// Inside a table, pipes are escaped too (GFM splits cells before parsing code spans).
    static func codeSpan(_ value: String, inTable: Bool) -> String {
        var content = flatten(value)
        if inTable { content = content.replacingOccurrences(of: "|", with: "\\|") }
        let fence = String(repeating: "`", count: longestRun(of: "`", in: content) + 1)
        let allSpaces = content.allSatisfy { $0 == " " }
        let pad = content.hasPrefix("`") || content.hasSuffix("`")
            || (!allSpaces && content.hasPrefix(" ") && content.hasSuffix(" "))
        return pad ? "\(fence) \(content) \(fence)" : fence + content + fence
    }

    /// A fenced code block that keeps `value` verbatim (newlines included).
    static func codeBlock(_ value: String) -> String {
        let cleaned = String(String.UnicodeScalarView(value.unicodeScalars.map { scalar in
            (scalar.value < 0x20 && scalar != "\n" && scalar != "\t") || scalar.value == 0x7F ? "\u{FFFD}" : scalar
        }))
        let fence = String(repeating: "`", count: max(3, longestRun(of: "`", in: cleaned) + 1))
        return "\(fence)sh\n\(cleaned)\n\(fence)"
    }

    /// A link destination: characters that could end or break it are percent-encoded.
    static func linkDestination(_ url: String) -> String {
        var result = ""
        for byte in url.utf8 {
            let scalar = Unicode.Scalar(byte)
            if byte < 0x80, byte > 0x20, !"()<>[]\\|\"`'{}^ ".unicodeScalars.contains(scalar) {
                result.unicodeScalars.append(scalar)
            } else {
                result += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return result
    }

    /// Newlines, tabs and other control characters become single spaces (or U+FFFD for controls).
    static func flatten(_ value: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            switch scalar.value {
            case 0x0A, 0x0D, 0x09, 0x0B, 0x0C, 0x85, 0x2028, 0x2029: scalars.append(" ")
            case 0..<0x20, 0x7F: scalars.append("\u{FFFD}")
            default: scalars.append(scalar)
            }
        }
        return String(scalars)
    }

    static func longestRun(of character: Character, in value: String) -> Int {
        var longest = 0, current = 0
        for c in value {
            if c == character { current += 1; longest = max(longest, current) } else { current = 0 }
        }
        return longest
    }
}
