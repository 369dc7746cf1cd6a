/// Escaping for HTML that is also well-formed XML (XHTML-compatible markup).
enum HTMLEscaping {
    /// Text or attribute value: `& < > " '` become references; characters XML 1.0 forbids
    /// (C0 controls other than tab/newline/return, U+FFFE, U+FFFF) become U+FFFD.
    static func escape(_ value: String) -> String {
        var result = ""
        result.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default:
                let v = scalar.value
                if (v < 0x20 && v != 0x09 && v != 0x0A && v != 0x0D) || v == 0xFFFE || v == 0xFFFF || v == 0x7F {
                    result += "\u{FFFD}"
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }
}
