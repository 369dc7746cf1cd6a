/// A GGUF metadata value.
public enum GGUFValue: Sendable, Hashable {
    case uint8(UInt8), int8(Int8)
    case uint16(UInt16), int16(Int16)
    case uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64)
    case float32(Float), float64(Double)
    case bool(Bool)
    case string(String)
    case array(GGUFArray)

    /// The GGUF value type code (0–12).
    public var typeCode: UInt32 {
        switch self {
        case .uint8: 0
        case .int8: 1
        case .uint16: 2
        case .int16: 3
        case .uint32: 4
        case .int32: 5
        case .float32: 6
        case .bool: 7
        case .string: 8
        case .array: 9
        case .uint64: 10
        case .int64: 11
        case .float64: 12
        }
    }

    /// The value as an integer, for any integer type whose value fits in `Int`.
    public var integer: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        case .int64(let v): Int(v)
        default: nil
        }
    }

    /// The value as a string, when it is one.
    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// A one-line rendering: numbers and booleans as literals, strings as they are, and arrays
    /// of up to `arrayLimit` elements in brackets (longer arrays summarized by type and count).
    public func rendered(arrayLimit: Int = 16) -> String {
        switch self {
        case .uint8(let v): String(v)
        case .int8(let v): String(v)
        case .uint16(let v): String(v)
        case .int16(let v): String(v)
        case .uint32(let v): String(v)
        case .int32(let v): String(v)
        case .uint64(let v): String(v)
        case .int64(let v): String(v)
        case .float32(let v): String(v)
        case .float64(let v): String(v)
        case .bool(let v): String(v)
        case .string(let v): v
        case .array(let array): array.rendered(limit: arrayLimit)
        }
    }
}

/// A GGUF metadata array: elements of one value type, stored compactly per type.
public enum GGUFArray: Sendable, Hashable {
    case uint8([UInt8]), int8([Int8])
    case uint16([UInt16]), int16([Int16])
    case uint32([UInt32]), int32([Int32])
    case uint64([UInt64]), int64([Int64])
    case float32([Float]), float64([Double])
    case bool([Bool])
    case string([String])
    /// An array of arrays (the GGUF specification allows nesting).
    case array([GGUFArray])

    /// The integer at `index` of an integer array, or `nil` (another element type, out of range,
    /// or a value `Int` cannot hold).
    public func integer(at index: Int) -> Int? {
        guard index >= 0, index < count else { return nil }
        switch self {
        case .uint8(let a): return Int(a[index])
        case .int8(let a): return Int(a[index])
        case .uint16(let a): return Int(a[index])
        case .int16(let a): return Int(a[index])
        case .uint32(let a): return Int(a[index])
        case .int32(let a): return Int(a[index])
        case .uint64(let a): return Int(exactly: a[index])
        case .int64(let a): return Int(a[index])
        case .float32, .float64, .bool, .string, .array: return nil
        }
    }

    /// Number of elements.
    public var count: Int {
        switch self {
        case .uint8(let a): a.count
        case .int8(let a): a.count
        case .uint16(let a): a.count
        case .int16(let a): a.count
        case .uint32(let a): a.count
        case .int32(let a): a.count
        case .uint64(let a): a.count
        case .int64(let a): a.count
        case .float32(let a): a.count
        case .float64(let a): a.count
        case .bool(let a): a.count
        case .string(let a): a.count
        case .array(let a): a.count
        }
    }

    /// The GGUF value type code of the elements.
    public var elementTypeCode: UInt32 {
        switch self {
        case .uint8: 0
        case .int8: 1
        case .uint16: 2
        case .int16: 3
        case .uint32: 4
        case .int32: 5
        case .float32: 6
        case .bool: 7
        case .string: 8
        case .array: 9
        case .uint64: 10
        case .int64: 11
        case .float64: 12
        }
    }

    /// The elements as values.
    public var elements: [GGUFValue] {
        switch self {
        case .uint8(let a): a.map(GGUFValue.uint8)
        case .int8(let a): a.map(GGUFValue.int8)
        case .uint16(let a): a.map(GGUFValue.uint16)
        case .int16(let a): a.map(GGUFValue.int16)
        case .uint32(let a): a.map(GGUFValue.uint32)
        case .int32(let a): a.map(GGUFValue.int32)
        case .uint64(let a): a.map(GGUFValue.uint64)
        case .int64(let a): a.map(GGUFValue.int64)
        case .float32(let a): a.map(GGUFValue.float32)
        case .float64(let a): a.map(GGUFValue.float64)
        case .bool(let a): a.map(GGUFValue.bool)
        case .string(let a): a.map(GGUFValue.string)
        case .array(let a): a.map(GGUFValue.array)
        }
    }

    static let typeNames = ["uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool",
                            "string", "array", "uint64", "int64", "float64"]

    func rendered(limit: Int) -> String {
        guard count <= limit else {
            return "[\(count) × \(Self.typeNames[Int(elementTypeCode)])]"
        }
        let items = elements.map { element -> String in
            if case .string(let text) = element { return "\"\(text)\"" }
            return element.rendered(arrayLimit: limit)
        }
        return "[" + items.joined(separator: ", ") + "]"
    }
}
