import Checkpoints

/// Builds the raw bytes of safetensors files, valid or deliberately broken.
///
/// Layout: an 8-byte little-endian header length, the header, then the data section.
/// Headers are given as text or bytes so that any malformation can be expressed.
public enum SafetensorsBytes {
    /// `[length][header][data]`; `declaredHeaderLength` replaces the true length in the
    /// length field (to claim more or fewer header bytes than there are).
    public static func file(header: [UInt8], data: [UInt8] = [], declaredHeaderLength: UInt64? = nil) -> [UInt8] {
        littleEndian(declaredHeaderLength ?? UInt64(header.count)) + header + data
    }

    /// `[length][UTF-8 of headerJSON][data]`.
    public static func file(headerJSON: String, data: [UInt8] = [], declaredHeaderLength: UInt64? = nil) -> [UInt8] {
        file(header: Array(headerJSON.utf8), data: data, declaredHeaderLength: declaredHeaderLength)
    }

    /// A valid file holding `tensors` in the given order, laid out as `SafetensorsWriter` writes it.
    public static func file(_ tensors: [SafetensorsWriter.Tensor], metadata: [String: String]? = nil) -> [UInt8] {
        let declarations = tensors.map { SafetensorsWriter.Declaration(name: $0.name, dtype: $0.dtype, shape: $0.shape) }
        return file(header: SafetensorsWriter.headerBytes(declarations, metadata: metadata), data: tensors.flatMap(\.bytes))
    }

    /// A header object from entry texts: `{e1,e2,…}`.
    public static func header(_ entries: [String]) -> String {
        "{" + entries.joined(separator: ",") + "}"
    }

    /// One header entry, each field given as raw JSON text so it can be wrong, or `nil` to omit it.
    public static func entry(
        _ name: String, dtype: String? = "\"F32\"", shape: String? = "[1]", offsets: String? = "[0,4]"
    ) -> String {
        var fields: [String] = []
        if let dtype { fields.append("\"dtype\":" + dtype) }
        if let shape { fields.append("\"shape\":" + shape) }
        if let offsets { fields.append("\"data_offsets\":" + offsets) }
        return JSONText.quote(name) + ":{" + fields.joined(separator: ",") + "}"
    }

    /// One well-formed header entry.
    public static func entry(_ name: String, dtype: DType, shape: [Int], offsets: (UInt64, UInt64)) -> String {
        entry(name, dtype: "\"\(dtype.name)\"", shape: "[" + shape.map(String.init).joined(separator: ",") + "]",
              offsets: "[\(offsets.0),\(offsets.1)]")
    }

    /// The 8 little-endian bytes of `value`.
    public static func littleEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
}
