/// Writes safetensors files: header with 8-byte alignment padding, then tensor data
/// in the order given. Files appear atomically (temporary name, then rename).
public enum SafetensorsWriter {
    /// A tensor to write whose bytes are in memory.
    public typealias Tensor = TensorBytes

    /// The description of a tensor whose bytes are produced while writing.
    public struct Declaration: Sendable {
        public var name: String
        public var dtype: DType
        public var shape: [Int]

        public init(name: String, dtype: DType, shape: [Int]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
        }

        var byteCount: Int { dtype.byteCount(forElements: shape.reduce(1, *)) ?? 0 }
    }

    /// Writes in-memory tensors.
    public static func write(_ tensors: [Tensor], metadata: [String: String]? = nil, to path: String) throws {
        let declarations = tensors.map { Declaration(name: $0.name, dtype: $0.dtype, shape: $0.shape) }
        try write(declarations, metadata: metadata, to: path) { index, sink in
            try tensors[index].bytes.withUnsafeBytes { try sink($0) }
        }
    }

    /// Writes tensors whose bytes `produce` streams into `sink` (any number of calls per tensor,
    /// totalling exactly the tensor's byte size).
    public static func write(
        _ declarations: [Declaration], metadata: [String: String]? = nil, to path: String,
        produce: (_ index: Int, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        let header = headerBytes(declarations, metadata: metadata)
        let writer = try AtomicFileWriter(path: path)
        var length = UInt64(header.count).littleEndian
        try withUnsafeBytes(of: &length) { try writer.write($0) }
        try writer.write(header)
        for (index, declaration) in declarations.enumerated() {
            var written = 0
            try produce(index) { bytes in
                try writer.write(bytes)
                written += bytes.count
            }
            guard written == declaration.byteCount else {
                throw SafetensorsWriterError.wrongByteCount(tensor: declaration.name, expected: declaration.byteCount, written: written)
            }
        }
        try writer.commit()
    }

    /// The JSON header (padded with spaces to a multiple of 8 bytes).
    public static func headerBytes(_ declarations: [Declaration], metadata: [String: String]?) -> [UInt8] {
        var json = "{"
        var first = true
        if let metadata {
            json += JSONText.quote("__metadata__") + ":{"
            json += metadata.keys.sorted().map { JSONText.quote($0) + ":" + JSONText.quote(metadata[$0]!) }.joined(separator: ",")
            json += "}"
            first = false
        }
        var offset = 0
        for declaration in declarations {
            if !first { json += "," }
            first = false
            let end = offset + declaration.byteCount
            json += JSONText.quote(declaration.name)
            json += ":{\"dtype\":\"\(declaration.dtype.name)\",\"shape\":[\(declaration.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        json += "}"
        var bytes = Array(json.utf8)
        while bytes.count % 8 != 0 { bytes.append(UInt8(ascii: " ")) }
        return bytes
    }
}

/// A write was asked to store a number of bytes that does not match the declared shape.
public enum SafetensorsWriterError: Error, CustomStringConvertible {
    case wrongByteCount(tensor: String, expected: Int, written: Int)

    public var description: String {
        switch self {
        case .wrongByteCount(let tensor, let expected, let written):
            "tensor '\(tensor)' was given \(written) bytes but its shape and dtype need \(expected)"
        }
    }
}

/// Minimal JSON text helpers for writers.
public enum JSONText {
    /// A JSON string literal for `text`, with the required escapes.
    public static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(c.value, radix: 16).count) + String(c.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
