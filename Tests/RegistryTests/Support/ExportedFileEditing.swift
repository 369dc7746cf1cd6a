import Checkpoints
import Foundation
import Testing

/// Edits exported fingerprint files the way a tamperer would: one value in `__metadata__`
/// (same length, so nothing else moves) or one byte anywhere.
enum ExportedFileEditing {
    static func headerLength(_ bytes: [UInt8]) -> Int {
        Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
    }

    /// The `__metadata__` of a file.
    static func metadata(_ bytes: [UInt8]) throws -> [String: String] {
        let header = Data(bytes[8..<(8 + headerLength(bytes))])
        let object = try #require(try JSONSerialization.jsonObject(with: header) as? [String: Any])
        return try #require(object["__metadata__"] as? [String: String])
    }

    /// Byte range of the JSON-quoted value of metadata `key` in the file.
    static func valueRange(_ bytes: [UInt8], key: String) throws -> Range<Int> {
        let value = try #require(try metadata(bytes)[key], "no metadata \(key)")
        let needle = Array((JSONText.quote(key) + ":" + JSONText.quote(value)).utf8)
        let header = Array(bytes[8..<(8 + headerLength(bytes))])
        let start = try #require(firstIndex(of: needle, in: header), "metadata \(key) not found verbatim")
        let valueStart = 8 + start + JSONText.quote(key).utf8.count + 1 + 1
        return valueStart..<(valueStart + JSONText.quote(value).utf8.count - 2)
    }

    /// Replaces metadata `key`'s value by `transform(value)`, which must keep its quoted length.
    static func editMetadata(_ bytes: [UInt8], key: String, _ transform: (String) -> String) throws -> [UInt8] {
        let value = try #require(try metadata(bytes)[key])
        let range = try valueRange(bytes, key: key)
        let old = JSONText.quote(value), new = JSONText.quote(transform(value))
        try #require(new.utf8.count == old.utf8.count, "the edit must keep the length")
        var edited = bytes
        edited.replaceSubrange(range, with: Array(new.utf8).dropFirst().dropLast())
        return edited
    }

    /// Changes one hexadecimal digit (at `index` of the decoded hex string) of metadata `key`.
    static func flipHexDigit(_ bytes: [UInt8], key: String, at index: Int) throws -> [UInt8] {
        try editMetadata(bytes, key: key) { value in
            var characters = Array(value)
            characters[index] = characters[index] == "0" ? "1" : "0"
            return String(characters)
        }
    }

    /// Removes metadata `key` by renaming it to an unknown key of the same length.
    static func renameMetadata(_ bytes: [UInt8], key: String, to newKey: String) throws -> [UInt8] {
        try #require(newKey.utf8.count == key.utf8.count)
        let header = Array(bytes[8..<(8 + headerLength(bytes))])
        let needle = Array((JSONText.quote(key) + ":").utf8)
        let start = try #require(firstIndex(of: needle, in: header))
        var edited = bytes
        edited.replaceSubrange((8 + start)..<(8 + start + needle.count), with: Array((JSONText.quote(newKey) + ":").utf8))
        return edited
    }

    static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<(start + needle.count)]) == needle { return start }
        }
        return nil
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func read(_ path: String) throws -> [UInt8] {
        [UInt8](try #require(FileManager.default.contents(atPath: path)))
    }
}
