/// Decides which user-supplied URLs may become links: only absolute http(s) URLs with a host
/// and no whitespace or control characters. Everything else (`javascript:`, `data:`, relative
/// paths) is shown as text.
enum SafeURL {
    static func isLinkable(_ candidate: String) -> Bool {
        let lowered = candidate.lowercased()
        let rest: Substring
        if lowered.hasPrefix("https://") {
            rest = lowered.dropFirst(8)
        } else if lowered.hasPrefix("http://") {
            rest = lowered.dropFirst(7)
        } else {
            return false
        }
        guard let first = rest.first, first != "/", first != "?", first != "#", first != "@" else { return false }
        return !candidate.unicodeScalars.contains { scalar in
            scalar.properties.isWhitespace || scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
                || scalar == "\\" || scalar == "<" || scalar == ">" || scalar == "\"" || scalar == "`"
        }
    }
}
