import Checkpoints
import Testing

@Suite("Strict JSON parsing of untrusted headers")
struct StrictJSONParserTests {
    func parse(_ text: String) throws(StrictJSONParser.Failure) -> JSONValue {
        try StrictJSONParser.parse(Array(text.utf8))
    }

    @Test("objects keep key order and duplicate keys; numbers keep their literal text")
    func structure() throws {
        let value = try parse(" {\"b\": [1, -0, 2.5e-3, true, false, null], \"a\": {}, \"b\": \"x\"} ")
        guard case .object(let entries) = value else {
            Issue.record("not an object")
            return
        }
        #expect(entries.map(\.key) == ["b", "a", "b"])
        #expect(entries[0].value == .array([.number("1"), .number("-0"), .number("2.5e-3"), .bool(true), .bool(false), .null]))
        #expect(value["b"] == entries[0].value)  // the first of duplicates
    }

    @Test("string escapes, including surrogate pairs, decode to the right text")
    func escapes() throws {
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{C}\n\r\t"))
        #expect(try parse(#""\u00e9\u20AC\ud83d\ude00""#) == .string("é€😀"))
        #expect(try parse("\"é€😀\"") == .string("é€😀"))
    }

    @Test("exact 64-bit integers from literal text")
    func integers() throws {
        #expect(JSONValue.number("18446744073709551615").exactUInt64 == .max)
        #expect(JSONValue.number("18446744073709551616").exactUInt64 == nil)
        #expect(JSONValue.number("-1").exactUInt64 == nil)
        #expect(JSONValue.number("1e3").exactUInt64 == nil)
        #expect(JSONValue.number("1.0").exactUInt64 == nil)
        #expect(JSONValue.number("0").exactUInt64 == 0)
        #expect(JSONValue.string("5").exactUInt64 == nil)
    }

    @Test("invalid documents are refused with the offset of the problem",
          arguments: [
            ("", 0), ("{", 1), ("{\"a\" 1}", 5), ("{\"a\":1,}", 7), ("[1,]", 3), ("01", 1), ("1.", 2), ("-", 1), ("1e", 2),
            ("\"abc", 4), ("\"a\u{1}\"", 2), (#""\x""#, 3), (#""\ud800""#, 7), (#""\udc00""#, 7), (#""\u12G4""#, 5),
            ("tru", 0), ("nul", 0), ("{} {}", 3), ("'a'", 0), ("{a:1}", 1),
          ] as [(String, Int)])
    func invalid(_ text: String, offset: Int) {
        #expect(throws: StrictJSONParser.Failure.self, "\(text)") { try parse(text) }
        do {
            _ = try parse(text)
        } catch {
            #expect(error.offset == offset, "\(text): \(error)")
        }
    }

    @Test("nesting is limited, so hostile input cannot exhaust the stack")
    func depth() throws {
        let limit = StrictJSONParser.maximumDepth
        _ = try parse(String(repeating: "[", count: limit) + String(repeating: "]", count: limit))
        #expect(throws: StrictJSONParser.Failure.self) {
            try parse(String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1))
        }
        #expect(throws: StrictJSONParser.Failure.self) { try parse(String(repeating: "{\"a\":", count: 100_000)) }
    }

    @Test("UTF-8 validation finds the first bad byte")
    func utf8() {
        func check(_ bytes: [UInt8]) -> Int? { bytes.withUnsafeBufferPointer { firstInvalidUTF8Offset($0) } }
        #expect(check(Array("plain é € 😀".utf8)) == nil)
        #expect(check([0x61, 0x80]) == 1)  // lone continuation byte
        #expect(check([0x61, 0xC3]) == 1)  // truncated sequence
        #expect(check([0xE2, 0x82, 0x41]) == 2)  // bad continuation
        #expect(check([0xC1, 0xBF]) == 0)  // overlong
        #expect(check([0xE0, 0x80, 0x80]) == 0)  // overlong
        #expect(check([0xED, 0xB0, 0x80]) == 0)  // surrogate
        #expect(check([0xF4, 0x90, 0x80, 0x80]) == 0)  // above U+10FFFF
        #expect(check([0xF5, 0x80, 0x80, 0x80]) == 0)
    }
}
