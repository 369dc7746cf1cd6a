/// A safetensors file held in memory (small files such as fingerprints), validated with
/// the same rules as files on disk.
public struct SafetensorsBuffer: Sendable {
    /// The file's bytes.
    public let bytes: [UInt8]
    /// `__metadata__`.
    public let metadata: [String: String]
    /// Tensors in offset order; offsets are absolute positions in `bytes`.
    public let tensors: [TensorInfo]

    /// Parses and validates `bytes`; `name` is used in error messages.
    public init(bytes: [UInt8], name: String) throws(CheckpointError) {
        let size = UInt64(bytes.count)
        guard size >= 8 else { throw CheckpointError(file: name, rule: .fileShorterThanHeaderLength(fileSize: size)) }
        let headerLength = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= SafetensorsHeader.maximumHeaderLength else {
            throw CheckpointError(file: name, rule: .headerTooLarge(headerLength: headerLength, limit: SafetensorsHeader.maximumHeaderLength))
        }
        guard headerLength <= size - 8 else {
            throw CheckpointError(file: name, rule: .headerLengthBeyondFile(headerLength: headerLength, fileSize: size))
        }
        let parsed = try bytes.withUnsafeBufferPointer { buffer throws(CheckpointError) in
            try SafetensorsHeader.parse(
                UnsafeBufferPointer(rebasing: buffer[8..<(8 + Int(headerLength))]), fileName: name, fileIndex: 0,
                dataStart: 8 + headerLength, dataSize: size - 8 - headerLength)
        }
        self.bytes = bytes
        metadata = parsed.metadata
        tensors = parsed.tensors
    }

    /// The tensor with this name.
    public func tensor(named name: String) -> TensorInfo? {
        tensors.first { $0.name == name }
    }

    /// A tensor's stored bytes.
    public func data(of tensor: TensorInfo) -> ArraySlice<UInt8> {
        bytes[Int(tensor.offset)..<Int(tensor.offset + tensor.byteCount)]
    }

    /// A tensor's values decoded to `Float`.
    public func floats(of tensor: TensorInfo) throws(CheckpointError) -> [Float] {
        try tensor.requireDecodable(file: "fingerprint")
        var values = [Float](repeating: 0, count: tensor.elementCount)
        data(of: tensor).withUnsafeBytes { raw in
            values.withUnsafeMutableBufferPointer { tensor.dtype.decode(raw, into: $0) }
        }
        return values
    }

    /// Serialises tensors to safetensors bytes in memory (the format `SafetensorsWriter` writes).
    public static func encode(_ tensors: [SafetensorsWriter.Tensor], metadata: [String: String]?) -> [UInt8] {
        let declarations = tensors.map { SafetensorsWriter.Declaration(name: $0.name, dtype: $0.dtype, shape: $0.shape) }
        let header = SafetensorsWriter.headerBytes(declarations, metadata: metadata)
        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + tensors.reduce(0) { $0 + $1.bytes.count })
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for tensor in tensors { out.append(contentsOf: tensor.bytes) }
        return out
    }
}
