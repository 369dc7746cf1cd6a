import Foundation

/// What a publisher declares about a release. Stored in the registry and carried, as JSON,
/// in exported fingerprint files.
public struct ReleaseMetadata: Sendable, Hashable, Codable {
    /// The release name, e.g. `all-MiniLM-L6-v2` or `org/model`. Never contains `@`.
    public var name: String
    public var version: String?
    /// The publishing organisation.
    public var org: String?
    /// License identifier, e.g. `apache-2.0`.
    public var license: String?
    /// Release date, `YYYY-MM-DD`.
    public var released: String?
    /// Where the release is published (http or https).
    public var url: String?
    /// Declared base models as `NAME` or `NAME@VERSION`, registered or not.
    public var bases: [String]
    /// Free text.
    public var notes: String?

    public init(name: String, version: String? = nil, org: String? = nil, license: String? = nil, released: String? = nil,
                url: String? = nil, bases: [String] = [], notes: String? = nil) {
        self.name = name
        self.version = version
        self.org = org
        self.license = license
        self.released = released
        self.url = url
        self.bases = bases
        self.notes = notes
    }

    /// `NAME@VERSION`, or `NAME`.
    public var reference: ReleaseReference { ReleaseReference(name: name, version: version) }

    enum CodingKeys: String, CodingKey {
        case name, version, org, license, released, url, bases, notes
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        version = try container.decodeIfPresent(String.self, forKey: .version)
        org = try container.decodeIfPresent(String.self, forKey: .org)
        license = try container.decodeIfPresent(String.self, forKey: .license)
        released = try container.decodeIfPresent(String.self, forKey: .released)
        url = try container.decodeIfPresent(String.self, forKey: .url)
        bases = try container.decodeIfPresent([String].self, forKey: .bases) ?? []
        notes = try container.decodeIfPresent(String.self, forKey: .notes)
    }
}

// MARK: - Validation

extension ReleaseMetadata {
    static let maximumNameLength = 256
    static let maximumFieldLength = 1024
    static let maximumNotesLength = 64 * 1024

    /// The metadata with empty optional fields turned into `nil`, or an error naming the
    /// first field that breaks a rule.
    public func validated() throws(RegistryError) -> ReleaseMetadata {
        var result = self
        func normalized(_ value: String?) -> String? {
            guard let value, !value.isEmpty else { return nil }
            return value
        }
        result.version = normalized(version)
        result.org = normalized(org)
        result.license = normalized(license)
        result.released = normalized(released)
        result.url = normalized(url)
        result.notes = normalized(notes)

        if let problem = Self.nameProblem(result.name) { throw .invalidMetadata(field: "name", value: result.name, rule: problem) }
        if let version = result.version, let problem = Self.versionProblem(version) {
            throw .invalidMetadata(field: "version", value: version, rule: problem)
        }
        for (field, value) in [("org", result.org), ("license", result.license)] {
            if let value, let problem = Self.lineProblem(value, limit: Self.maximumFieldLength) {
                throw .invalidMetadata(field: field, value: value, rule: problem)
            }
        }
        if let released = result.released, !Self.isCalendarDate(released) {
            throw .invalidMetadata(field: "released", value: released, rule: "it must be a calendar date written YYYY-MM-DD")
        }
        if let url = result.url {
            if let problem = Self.lineProblem(url, limit: Self.maximumFieldLength) {
                throw .invalidMetadata(field: "url", value: url, rule: problem)
            }
            let lower = url.lowercased()
            guard lower.hasPrefix("https://") || lower.hasPrefix("http://"), URL(string: url)?.host != nil else {
                throw .invalidMetadata(field: "url", value: url, rule: "it must be an http:// or https:// address with a host")
            }
        }
        if let notes = result.notes {
            guard notes.utf8.count <= Self.maximumNotesLength else {
                throw .invalidMetadata(field: "notes", value: notes, rule: "it is longer than \(Self.maximumNotesLength) bytes")
            }
            guard !notes.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" && $0 != "\t" || $0.value == 0x7F }) else {
                throw .invalidMetadata(field: "notes", value: notes, rule: "it contains control characters other than newline and tab")
            }
        }
        var seen = Set<String>()
        for base in result.bases {
            let reference: ReleaseReference
            do { reference = try ReleaseReference(parsing: base) } catch {
                throw .invalidMetadata(field: "bases", value: base, rule: "a base must be written NAME or NAME@VERSION (\(error.description))")
            }
            guard reference.name != result.name || (reference.version != nil && reference.version != result.version) else {
                throw .invalidMetadata(field: "bases", value: base, rule: "a release cannot be its own base")
            }
            guard seen.insert(base).inserted else {
                throw .invalidMetadata(field: "bases", value: base, rule: "it is listed twice")
            }
        }
        return result
    }

    static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "the name is empty" }
        if name.contains("@") { return "names cannot contain '@' (it separates NAME@VERSION)" }
        if name.first!.isWhitespace || name.last!.isWhitespace { return "the name starts or ends with white space" }
        return lineProblem(name, limit: maximumNameLength)
    }

    static func versionProblem(_ version: String) -> String? {
        if version.first!.isWhitespace || version.last!.isWhitespace { return "the version starts or ends with white space" }
        return lineProblem(version, limit: maximumNameLength)
    }

    static func lineProblem(_ text: String, limit: Int) -> String? {
        if text.utf8.count > limit { return "it is longer than \(limit) bytes" }
        if text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) { return "it contains control characters" }
        return nil
    }

    /// Whether `text` is `YYYY-MM-DD` naming a real day of the proleptic Gregorian calendar.
    static func isCalendarDate(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return false }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              year >= 1, (1...12).contains(month), day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }
}
