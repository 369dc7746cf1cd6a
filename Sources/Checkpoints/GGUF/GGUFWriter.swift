/// Writes GGUF files (v2 or v3, little-endian) the way gguf-py's `GGUFWriter` does:
/// header, metadata, tensor descriptions, padding to the alignment, then each tensor's
/// bytes padded to the alignment. Files appear atomically (temporary name, then rename).
///
/// Used to make test fixtures and demo copies; it writes what it is given (names, dtypes,
/// layouts) without mapping or permuting anything.
public enum GGUFWriter {
    /// A tensor to write (its shape row-major, outermost first; written innermost first).
    public typealias Tensor = TensorBytes

    /// Writes `tensors` with `metadata` (written in its order; `general.alignment` is added
    /// when `alignment` is not the default 32).
    public static func write(
        _ tensors: [Tensor], metadata: GGUFMetadata, version: UInt32 = 3, alignment: Int = 32, to path: String
    ) throws {
        precondition(version == 2 || version == 3, "GGUFWriter: version \(version)")
        precondition(alignment > 0 && alignment & (alignment - 1) == 0, "GGUFWriter: alignment \(alignment)")
        var metadata = metadata
        if alignment != 32, metadata["general.alignment"] == nil {
            metadata["general.alignment"] = .uint32(UInt32(alignment))
        }
        var header = Encoder()
        header.bytes += Array("GGUF".utf8)
        header.integer(version)
        header.integer(UInt64(tensors.count))
        header.integer(UInt64(metadata.entries.count))
        for entry in metadata.entries {
            header.string(entry.key)
            header.integer(entry.value.typeCode)
            header.value(entry.value)
        }
        var offset: UInt64 = 0
        for tensor in tensors {
            guard let typeID = tensor.dtype.ggmlTypeID else {
                preconditionFailure("GGUFWriter: \(tensor.dtype.name) has no GGML type")
            }
            precondition(tensor.dtype.byteCount(forElements: tensor.shape.reduce(1, *)) == tensor.bytes.count,
                         "GGUFWriter: \(tensor.name) has \(tensor.bytes.count) bytes for shape \(tensor.shape)")
            precondition(tensor.name.utf8.count < GGUFHeader.maximumNameBytes, "GGUFWriter: ggml limits tensor names to 63 bytes: \(tensor.name)")
            header.string(tensor.name)
            header.integer(UInt32(tensor.shape.count))
            for dimension in tensor.shape.reversed() { header.integer(UInt64(dimension)) }
            header.integer(typeID)
            header.integer(offset)
            offset = GGUFHeader.align(offset + UInt64(tensor.bytes.count), to: alignment)
        }
        if !tensors.isEmpty { header.pad(to: alignment) }

        let writer = try AtomicFileWriter(path: path)
        try writer.write(header.bytes)
        for tensor in tensors {
            try writer.write(tensor.bytes)
            let padding = Int(GGUFHeader.align(UInt64(tensor.bytes.count), to: alignment)) - tensor.bytes.count
            if padding > 0 { try writer.write([UInt8](repeating: 0, count: padding)) }
        }
        try writer.commit()
    }

    /// Little-endian GGUF encoding of header fields and metadata values.
    struct Encoder {
        var bytes: [UInt8] = []

        mutating func integer<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }

        mutating func string(_ text: String) {
            integer(UInt64(text.utf8.count))
            bytes.append(contentsOf: text.utf8)
        }

        mutating func pad(to alignment: Int) {
            let target = Int(GGUFHeader.align(UInt64(bytes.count), to: alignment))
            bytes.append(contentsOf: repeatElement(0, count: target - bytes.count))
        }

        mutating func value(_ value: GGUFValue) {
            switch value {
            case .uint8(let v): integer(v)
            case .int8(let v): integer(v)
            case .uint16(let v): integer(v)
            case .int16(let v): integer(v)
            case .uint32(let v): integer(v)
            case .int32(let v): integer(v)
            case .uint64(let v): integer(v)
            case .int64(let v): integer(v)
            case .float32(let v): integer(v.bitPattern)
            case .float64(let v): integer(v.bitPattern)
            case .bool(let v): integer(UInt8(v ? 1 : 0))
            case .string(let v): string(v)
            case .array(let array): self.array(array)
            }
        }

        mutating func array(_ array: GGUFArray) {
            integer(array.elementTypeCode)
            integer(UInt64(array.count))
            if case .array(let nested) = array {
                for element in nested { self.array(element) }
                return
            }
            for element in array.elements { value(element) }
        }
    }
}
