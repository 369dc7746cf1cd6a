/// Reads and validates a safetensors header with the reference implementation's rules.
///
/// Layout: an 8-byte little-endian header length `n`, `n` bytes of UTF-8 JSON, then the
/// data section. Every tensor's `data_offsets` are relative to the data section; sorted by
/// offset, the tensors must be contiguous, non-overlapping, sized exactly by shape × dtype,
/// and cover the data section to the end of the file.
enum SafetensorsHeader {
    /// The reference implementation's limit on `n`.
    static let maximumHeaderLength: UInt64 = 100_000_000

    struct Parsed {
        var headerSize: UInt64
        var metadata: [String: String]
        var tensors: [TensorInfo]
    }

    static func read(_ file: ReadOnlyFile, fileIndex: Int) throws(CheckpointError) -> Parsed {
        let name = file.displayName
        guard file.size >= 8 else {
            throw CheckpointError(file: name, rule: .fileShorterThanHeaderLength(fileSize: file.size))
        }
        let lengthBytes = try file.readBytes(count: 8, at: 0)
        let headerLength = lengthBytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= maximumHeaderLength else {
            throw CheckpointError(file: name, rule: .headerTooLarge(headerLength: headerLength, limit: maximumHeaderLength))
        }
        guard headerLength <= file.size - 8 else {
            throw CheckpointError(file: name, rule: .headerLengthBeyondFile(headerLength: headerLength, fileSize: file.size))
        }
        let headerBytes = try file.readBytes(count: Int(headerLength), at: 8)
        let dataSize = file.size - 8 - headerLength
        let parsed = try headerBytes.withUnsafeBufferPointer { bytes throws(CheckpointError) in
            try parse(bytes, fileName: name, fileIndex: fileIndex, dataStart: 8 + headerLength, dataSize: dataSize)
        }
        return Parsed(headerSize: 8 + headerLength, metadata: parsed.metadata, tensors: parsed.tensors)
    }

    /// Parses and validates header JSON. Offsets in the result are absolute (`dataStart` added).
    static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, fileName name: String, fileIndex: Int,
        dataStart: UInt64, dataSize: UInt64
    ) throws(CheckpointError) -> (metadata: [String: String], tensors: [TensorInfo]) {
        if let bad = firstInvalidUTF8Offset(bytes) {
            throw CheckpointError(file: name, rule: .headerNotUTF8(byteOffset: bad))
        }
        let json: JSONValue
        do {
            json = try StrictJSONParser.parse(bytes)
        } catch {
            throw CheckpointError(file: name, rule: .headerNotJSON(error.description))
        }
        guard case .object(let entries) = json else {
            throw CheckpointError(file: name, rule: .headerNotObject)
        }

        var metadata: [String: String] = [:]
        var sawMetadata = false
        var seen = Set<String>()
        var raw: [(name: String, dtype: DType, shape: [Int], start: UInt64, end: UInt64)] = []
        raw.reserveCapacity(entries.count)

        for (key, value) in entries {
            guard seen.insert(key).inserted else {
                throw CheckpointError(file: name, tensor: key, rule: .duplicateTensorName)
            }
            if key == "__metadata__" {
                sawMetadata = true
                if case .null = value { continue }  // the reference implementation reads null as "no metadata"
                guard case .object(let pairs) = value else {
                    throw CheckpointError(file: name, rule: .metadataNotStringMap(key: "__metadata__"))
                }
                for (metaKey, metaValue) in pairs {
                    guard case .string(let text) = metaValue else {
                        throw CheckpointError(file: name, rule: .metadataNotStringMap(key: metaKey))
                    }
                    metadata[metaKey] = text
                }
                continue
            }
            raw.append(try tensorEntry(key, value, fileName: name))
        }
        _ = sawMetadata

        // Validate offsets in offset order, as the reference implementation does.
        raw.sort { ($0.start, $0.end) < ($1.start, $1.end) }
        var previousEnd: UInt64 = 0
        var tensors: [TensorInfo] = []
        tensors.reserveCapacity(raw.count)
        for entry in raw {
            guard entry.end >= entry.start else {
                throw CheckpointError(file: name, tensor: entry.name, rule: .offsetsReversed(start: entry.start, end: entry.end))
            }
            if entry.start < previousEnd {
                throw CheckpointError(file: name, tensor: entry.name, rule: .offsetsOverlap(start: entry.start, previousEnd: previousEnd))
            }
            if entry.start > previousEnd {
                throw CheckpointError(file: name, tensor: entry.name, rule: .offsetsGap(start: entry.start, previousEnd: previousEnd))
            }
            let elements = entry.shape.reduce(1, *)  // checked for overflow in tensorEntry
            guard let expected = entry.dtype.byteCount(forElements: elements) else {
                throw CheckpointError(file: name, tensor: entry.name, rule: .shapeOverflow)
            }
            let declared = entry.end - entry.start
            guard UInt64(expected) == declared else {
                throw CheckpointError(file: name, tensor: entry.name,
                                      rule: .byteLengthMismatch(expected: UInt64(expected), declared: declared))
            }
            guard entry.end <= dataSize else {
                throw CheckpointError(file: name, tensor: entry.name, rule: .offsetsOutOfRange(end: entry.end, dataSize: dataSize))
            }
            previousEnd = entry.end
            tensors.append(TensorInfo(name: entry.name, dtype: entry.dtype, shape: entry.shape, fileIndex: fileIndex,
                                      offset: dataStart + entry.start, byteCount: declared))
        }
        guard previousEnd == dataSize else {
            throw CheckpointError(file: name, rule: .trailingBytes(covered: previousEnd, dataSize: dataSize))
        }
        return (metadata, tensors)
    }

    private static func tensorEntry(
        _ tensorName: String, _ value: JSONValue, fileName name: String
    ) throws(CheckpointError) -> (name: String, dtype: DType, shape: [Int], start: UInt64, end: UInt64) {
        func fail(_ rule: CheckpointError.Rule) -> CheckpointError {
            CheckpointError(file: name, tensor: tensorName, rule: rule)
        }
        guard case .object = value else {
            throw fail(.invalidField(field: "entry", reason: "expected an object with dtype, shape and data_offsets, found \(value.kindName)"))
        }
        guard let dtypeValue = value["dtype"] else { throw fail(.missingField("dtype")) }
        guard let shapeValue = value["shape"] else { throw fail(.missingField("shape")) }
        guard let offsetsValue = value["data_offsets"] else { throw fail(.missingField("data_offsets")) }

        guard case .string(let dtypeName) = dtypeValue else {
            throw fail(.invalidField(field: "dtype", reason: "expected a string, found \(dtypeValue.kindName)"))
        }
        guard let dtype = DType(safetensorsName: dtypeName) else { throw fail(.unknownDType(dtypeName)) }

        guard case .array(let dimensions) = shapeValue else {
            throw fail(.invalidField(field: "shape", reason: "expected an array of non-negative integers, found \(shapeValue.kindName)"))
        }
        var shape: [Int] = []
        var elements = 1
        for dimension in dimensions {
            if case .number(let text) = dimension, text.hasPrefix("-") {
                throw fail(.invalidField(field: "shape", reason: "dimension \(text) is negative"))
            }
            guard let size = dimension.exactUInt64 else {
                if case .number(let text) = dimension, Double(text) != nil, !text.contains("."), !text.contains("e"), !text.contains("E") {
                    throw fail(.shapeOverflow)
                }
                throw fail(.invalidField(field: "shape", reason: "dimension \(describe(dimension)) is not a non-negative integer"))
            }
            guard size <= UInt64(Int.max) else { throw fail(.shapeOverflow) }
            let (product, overflow) = elements.multipliedReportingOverflow(by: Int(size))
            guard !overflow else { throw fail(.shapeOverflow) }
            elements = product
            shape.append(Int(size))
        }
        guard dtype.byteCount(forElements: elements) != nil else {
            if elements % dtype.block.elements != 0 {
                throw fail(.invalidField(field: "shape", reason: "\(elements) elements do not fill whole bytes of packed \(dtype.name)"))
            }
            throw fail(.shapeOverflow)
        }

        guard case .array(let offsets) = offsetsValue, offsets.count == 2 else {
            throw fail(.invalidField(field: "data_offsets", reason: "expected an array of two non-negative integers"))
        }
        guard let start = offsets[0].exactUInt64, let end = offsets[1].exactUInt64 else {
            throw fail(.invalidField(field: "data_offsets", reason: "offsets \(describe(offsets[0])), \(describe(offsets[1])) are not non-negative 64-bit integers"))
        }
        return (tensorName, dtype, shape, start, end)
    }

    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .number(let text): text
        case .string(let text): "\"\(text)\""
        default: value.kindName
        }
    }
}
