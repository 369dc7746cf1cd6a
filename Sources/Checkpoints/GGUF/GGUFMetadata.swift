/// The metadata of a GGUF file: key/value pairs in file order.
public struct GGUFMetadata: Sendable, Hashable {
    /// One key/value pair.
    public struct Entry: Sendable, Hashable {
        public var key: String
        public var value: GGUFValue

        public init(key: String, value: GGUFValue) {
            self.key = key
            self.value = value
        }
    }

    /// The pairs in file order.
    public private(set) var entries: [Entry]
    private var positions: [String: Int]

    public init(_ entries: [Entry] = []) {
        self.entries = []
        positions = [:]
        for entry in entries { self[entry.key] = entry.value }
    }

    /// The value of `key`, if present. Setting replaces a value in place or appends a new key.
    public subscript(key: String) -> GGUFValue? {
        get { positions[key].map { entries[$0].value } }
        set {
            if let position = positions[key] {
                if let newValue {
                    entries[position].value = newValue
                } else {
                    entries.remove(at: position)
                    positions = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.key, $0) })
                }
            } else if let newValue {
                positions[key] = entries.count
                entries.append(Entry(key: key, value: newValue))
            }
        }
    }

    /// Whether `key` is present.
    public func contains(_ key: String) -> Bool { positions[key] != nil }

    /// Every pair rendered as text (arrays longer than `arrayLimit` summarized as `[N × type]`).
    public func rendered(arrayLimit: Int = 16) -> [String: String] {
        Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.value.rendered(arrayLimit: arrayLimit)) })
    }
}
