/// Reads and validates one GGUF file's header with the rules of ggml's `gguf.cpp` reader.
///
/// Layout (little-endian): magic `GGUF`, version (u32), tensor count (u64), metadata count
/// (u64), metadata key/values, tensor descriptions (name, dimension count, dimensions
/// innermost first, GGML type, data offset), padding to `general.alignment`, then the data
/// section. Tensors lie in declaration order, each at the aligned end of the previous one.
enum GGUFHeader {
    /// Largest header (metadata and tensor descriptions) accepted; real ones are tens of MB at most.
    static let maximumHeaderBytes: UInt64 = 128 << 20
    /// ggml's `GGML_MAX_NAME`: names are shorter than this many bytes.
    static let maximumNameBytes = 64
    /// ggml's `GGML_MAX_DIMS`.
    static let maximumDimensions = 4
    static let maximumArrayNesting = 8
    static let defaultAlignment = 32

    /// A tensor as stored, before name mapping.
    struct StoredTensor {
        var name: String
        var dtype: DType
        /// Dimensions as GGUF lists them: innermost (contiguous) first.
        var dimensions: [Int]
        /// Absolute offset in the file.
        var offset: UInt64
        var byteCount: UInt64
    }

    struct Parsed {
        var version: UInt32
        var alignment: Int
        var metadata: GGUFMetadata
        var dataStart: UInt64
        var tensors: [StoredTensor]
    }

    static func read(_ file: ReadOnlyFile, headerLimit: UInt64 = maximumHeaderBytes) throws(CheckpointError) -> Parsed {
        let name = file.displayName
        func fail(_ rule: CheckpointError.GGUFRule, tensor: String? = nil) -> CheckpointError {
            CheckpointError(file: name, tensor: tensor, rule: .gguf(rule))
        }
        let cursor = GGUFHeaderCursor(file: file, headerLimit: headerLimit)
        guard file.size >= 4 else {
            throw CheckpointError(file: name, rule: .truncated(expected: 4, got: file.size))
        }
        let magic = try cursor.readBytes(4)
        guard magic == Array("GGUF".utf8) else {
            throw fail(.badMagic(found: magic.map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ")))
        }
        let version = try cursor.read(UInt32.self)
        guard version == 2 || version == 3 else { throw fail(.unsupportedVersion(version)) }

        let tensorCount = try cursor.read(UInt64.self)
        let keyValueCount = try cursor.read(UInt64.self)
        // Each metadata pair takes at least 13 bytes (key length, type, one-byte value); each
        // tensor description at least 24 (name length, dimension count, type, offset).
        guard keyValueCount <= cursor.remaining / 13 else {
            throw fail(.countBeyondFile(what: "metadata key/value pairs", count: keyValueCount, remainingBytes: cursor.remaining))
        }

        var metadata = GGUFMetadata()
        for index in 0..<Int(keyValueCount) {
            let key = try readString(cursor, what: "metadata key", strict: true, file: name)
            guard !key.isEmpty else { throw fail(.emptyKey(index: index)) }
            guard !metadata.contains(key) else { throw fail(.duplicateKey(key)) }
            let type = try cursor.read(UInt32.self)
            metadata[key] = try readValue(cursor, type: type, key: key, depth: 0, file: name)
        }

        var alignment = defaultAlignment
        if let value = metadata["general.alignment"] {
            guard case .uint32(let declared) = value else {
                throw fail(.invalidAlignment(reason: "it must be a uint32, found type \(value.typeCode)"))
            }
            guard declared != 0, declared & (declared - 1) == 0 else {
                throw fail(.invalidAlignment(reason: "\(declared) is not a power of two"))
            }
            alignment = Int(declared)
        }

        guard tensorCount <= cursor.remaining / 24 else {
            throw fail(.countBeyondFile(what: "tensors", count: tensorCount, remainingBytes: cursor.remaining))
        }
        var described: [(name: String, dtype: DType, dimensions: [Int], byteCount: UInt64, offset: UInt64)] = []
        described.reserveCapacity(Int(tensorCount))
        var seen = Set<String>()
        for _ in 0..<Int(tensorCount) {
            let tensorName = try readString(cursor, what: "tensor name", strict: true, file: name)
            guard tensorName.utf8.count < maximumNameBytes else {
                throw fail(.nameTooLong(length: tensorName.utf8.count, limit: maximumNameBytes), tensor: tensorName)
            }
            guard seen.insert(tensorName).inserted else {
                throw CheckpointError(file: name, tensor: tensorName, rule: .duplicateTensorName)
            }
            let dimensionCount = try cursor.read(UInt32.self)
            guard dimensionCount <= UInt32(maximumDimensions) else {
                throw fail(.tooManyDimensions(Int(dimensionCount), limit: maximumDimensions), tensor: tensorName)
            }
            var dimensions: [Int] = []
            var elements = 1
            var overflow = false
            for index in 0..<Int(dimensionCount) {
                let raw = Int64(bitPattern: try cursor.read(UInt64.self))
                guard raw >= 0 else { throw fail(.negativeDimension(index: index, value: raw), tensor: tensorName) }
                let product = elements.multipliedReportingOverflow(by: Int(raw))
                overflow = overflow || product.overflow
                elements = product.partialValue
                dimensions.append(Int(raw))
            }
            if overflow, !dimensions.contains(0) {
                throw CheckpointError(file: name, tensor: tensorName, rule: .shapeOverflow)
            }
            if overflow { elements = 0 }
            let typeID = try cursor.read(UInt32.self)
            guard let dtype = DType(ggmlTypeID: typeID) else {
                throw fail(.unsupportedType(id: typeID, name: DType.ggmlTypeName(forID: typeID)), tensor: tensorName)
            }
            let rowLength = dimensions.first ?? 1
            guard rowLength % dtype.block.elements == 0 else {
                throw fail(.rowNotBlockAligned(rowLength: rowLength, type: dtype), tensor: tensorName)
            }
            guard let byteCount = dtype.byteCount(forElements: elements) else {
                throw CheckpointError(file: name, tensor: tensorName, rule: .shapeOverflow)
            }
            let offset = try cursor.read(UInt64.self)
            described.append((tensorName, dtype, dimensions, UInt64(byteCount), offset))
        }

        // The data section starts at the aligned end of the header.
        let headerEnd = cursor.position
        let dataStart = tensorCount > 0 ? align(headerEnd, to: alignment) : headerEnd
        var tensors: [StoredTensor] = []
        tensors.reserveCapacity(described.count)
        var expected: UInt64 = 0
        for entry in described {
            guard entry.offset == expected else {
                throw fail(.misplacedData(offset: entry.offset, expected: expected), tensor: entry.name)
            }
            let (start, startOverflow) = dataStart.addingReportingOverflow(entry.offset)
            let (end, endOverflow) = start.addingReportingOverflow(entry.byteCount)
            guard !startOverflow, !endOverflow, end <= file.size else {
                throw fail(.dataBeyondFile(end: endOverflow || startOverflow ? .max : end, fileSize: file.size), tensor: entry.name)
            }
            expected = align(entry.offset + entry.byteCount, to: alignment)
            tensors.append(StoredTensor(name: entry.name, dtype: entry.dtype, dimensions: entry.dimensions,
                                        offset: start, byteCount: entry.byteCount))
        }
        let paddedEnd = tensors.isEmpty ? align(headerEnd, to: alignment) : dataStart + expected
        guard file.size <= paddedEnd else {
            throw fail(.trailingBytes(end: paddedEnd, fileSize: file.size))
        }
        return Parsed(version: version, alignment: alignment, metadata: metadata, dataStart: dataStart, tensors: tensors)
    }

    static func align(_ offset: UInt64, to alignment: Int) -> UInt64 {
        let a = UInt64(alignment)
        let (sum, overflow) = offset.addingReportingOverflow(a - 1)
        return overflow ? .max : sum / a * a
    }

    // MARK: - Values

    private static func readString(_ cursor: GGUFHeaderCursor, what: String, strict: Bool, file: String) throws(CheckpointError) -> String {
        let length = try cursor.read(UInt64.self)
        guard length <= cursor.remaining else {
            throw CheckpointError(file: file, rule: .gguf(.lengthBeyondFile(what: what, length: length, remainingBytes: cursor.remaining)))
        }
        let bytes = try cursor.readBytes(Int(length))
        if strict {
            let text = String(decoding: bytes, as: UTF8.self)
            guard text.utf8.elementsEqual(bytes) else {
                throw CheckpointError(file: file, rule: .gguf(.invalidUTF8(what: what)))
            }
            return text
        }
        // Values are decoded leniently: a stray byte in a tokenizer entry must not make the
        // whole checkpoint unreadable (it becomes U+FFFD).
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func readValue(_ cursor: GGUFHeaderCursor, type: UInt32, key: String, depth: Int, file: String) throws(CheckpointError) -> GGUFValue {
        switch type {
        case 0: return .uint8(try cursor.read(UInt8.self))
        case 1: return .int8(try cursor.read(Int8.self))
        case 2: return .uint16(try cursor.read(UInt16.self))
        case 3: return .int16(try cursor.read(Int16.self))
        case 4: return .uint32(try cursor.read(UInt32.self))
        case 5: return .int32(try cursor.read(Int32.self))
        case 6: return .float32(try cursor.readFloat())
        case 7: return .bool(try readBool(cursor, key: key, file: file))
        case 8: return .string(try readString(cursor, what: "string value of '\(key)'", strict: false, file: file))
        case 9:
            let elementType = try cursor.read(UInt32.self)
            return .array(try readArray(cursor, elementType: elementType, key: key, depth: depth + 1, file: file))
        case 10: return .uint64(try cursor.read(UInt64.self))
        case 11: return .int64(try cursor.read(Int64.self))
        case 12: return .float64(try cursor.readDouble())
        default:
            throw CheckpointError(file: file, rule: .gguf(.invalidValueType(key: key, type: type)))
        }
    }

    private static func readBool(_ cursor: GGUFHeaderCursor, key: String, file: String) throws(CheckpointError) -> Bool {
        let byte = try cursor.read(UInt8.self)
        guard byte <= 1 else { throw CheckpointError(file: file, rule: .gguf(.invalidBool(key: key, value: byte))) }
        return byte == 1
    }

    /// Smallest encoded size of one element of each value type (strings: the length field;
    /// arrays: type and count fields).
    private static let minimumElementBytes: [UInt32: UInt64] = [
        0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 8: 8, 9: 12, 10: 8, 11: 8, 12: 8,
    ]

    private static func readArray(_ cursor: GGUFHeaderCursor, elementType: UInt32, key: String, depth: Int, file: String) throws(CheckpointError) -> GGUFArray {
        guard depth <= maximumArrayNesting else {
            throw CheckpointError(file: file, rule: .gguf(.nestingTooDeep(key: key, limit: maximumArrayNesting)))
        }
        guard let elementBytes = minimumElementBytes[elementType] else {
            throw CheckpointError(file: file, rule: .gguf(.invalidValueType(key: key, type: elementType)))
        }
        let count64 = try cursor.read(UInt64.self)
        guard count64 <= cursor.remaining / elementBytes else {
            throw CheckpointError(file: file, rule: .gguf(.lengthBeyondFile(what: "array in '\(key)'", length: count64, remainingBytes: cursor.remaining)))
        }
        let count = Int(count64)
        func collect<T>(_ read: () throws(CheckpointError) -> T) throws(CheckpointError) -> [T] {
            var values: [T] = []
            values.reserveCapacity(min(count, 1 << 16))  // grow with the data actually read
            for _ in 0..<count { values.append(try read()) }
            return values
        }
        switch elementType {
        case 0: return .uint8(try cursor.readBytes(count))
        case 1: return .int8(try cursor.readBytes(count).map { Int8(bitPattern: $0) })
        case 2: return .uint16(try collect { () throws(CheckpointError) in try cursor.read(UInt16.self) })
        case 3: return .int16(try collect { () throws(CheckpointError) in try cursor.read(Int16.self) })
        case 4: return .uint32(try collect { () throws(CheckpointError) in try cursor.read(UInt32.self) })
        case 5: return .int32(try collect { () throws(CheckpointError) in try cursor.read(Int32.self) })
        case 6: return .float32(try collect { () throws(CheckpointError) in try cursor.readFloat() })
        case 7: return .bool(try collect { () throws(CheckpointError) in try readBool(cursor, key: key, file: file) })
        case 8: return .string(try collect { () throws(CheckpointError) in
            try readString(cursor, what: "string in array '\(key)'", strict: false, file: file)
        })
        case 9: return .array(try collect { () throws(CheckpointError) in
            let nestedType = try cursor.read(UInt32.self)
            return try readArray(cursor, elementType: nestedType, key: key, depth: depth + 1, file: file)
        })
        case 10: return .uint64(try collect { () throws(CheckpointError) in try cursor.read(UInt64.self) })
        case 11: return .int64(try collect { () throws(CheckpointError) in try cursor.read(Int64.self) })
        default: return .float64(try collect { () throws(CheckpointError) in try cursor.readDouble() })
        }
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
