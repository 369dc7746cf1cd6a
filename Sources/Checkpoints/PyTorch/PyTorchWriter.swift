/// Writes PyTorch checkpoints the way `torch.save(state_dict, path)` lays them out: a zip of
/// stored records `<archive>/data.pkl` (protocol 2 pickle of an `OrderedDict` of
/// `torch._utils._rebuild_tensor_v2` calls on persistent storages), `byteorder`,
/// `data/<key>` (one storage per tensor, 64-byte aligned) and `version`.
///
/// Used to make test fixtures and demo copies; files appear atomically.
public enum PyTorchWriter {
    /// A tensor to write, on its own storage.
    public typealias Tensor = TensorBytes

    /// torch's storage class for each dtype it can save in a typed storage.
    static let storageTypeNames: [DType: String] = Dictionary(
        uniqueKeysWithValues: PickleGlobal.storageTypes.filter { $0.value != .c64 }.map { ($0.value, $0.key) })

    /// Writes `tensors` as a state dict. `archiveName` defaults to the file name without its extension, as torch does.
    public static func write(_ tensors: [Tensor], to path: String, archiveName: String? = nil) throws {
        let fileName = path.split(separator: "/").last.map(String.init) ?? path
        let archive = archiveName ?? String(fileName.split(separator: ".", omittingEmptySubsequences: false).first ?? "archive")
        var pickle = PickleEncoder()
        pickle.opcode(0x80, [2])  // PROTO 2
        pickle.global("collections", "OrderedDict")
        pickle.opcode(0x29)  // EMPTY_TUPLE
        pickle.opcode(0x52)  // REDUCE
        pickle.opcode(0x28)  // MARK
        for (key, tensor) in tensors.enumerated() {
            guard let storageType = storageTypeNames[tensor.dtype] else {
                preconditionFailure("PyTorchWriter: torch has no typed storage for \(tensor.dtype.name)")
            }
            let count = tensor.shape.reduce(1, *)
            precondition(tensor.bytes.count == count * tensor.dtype.block.bytes, "PyTorchWriter: \(tensor.name) has \(tensor.bytes.count) bytes for shape \(tensor.shape)")
            pickle.string(tensor.name)
            pickle.global("torch._utils", "_rebuild_tensor_v2")
            pickle.opcode(0x28)  // MARK: arguments
            pickle.opcode(0x28)  // MARK: persistent id
            pickle.string("storage")
            pickle.global("torch", storageType)
            pickle.string(String(key))
            pickle.string("cpu")
            pickle.integer(count)
            pickle.opcode(0x74)  // TUPLE
            pickle.opcode(0x51)  // BINPERSID
            pickle.integer(0)
            pickle.tuple(tensor.shape)
            var strides: [Int] = []
            var step = 1
            for dimension in tensor.shape.reversed() {
                strides.insert(step, at: 0)
                step *= dimension
            }
            pickle.tuple(strides)
            pickle.opcode(0x89)  // NEWFALSE: requires_grad
            pickle.global("collections", "OrderedDict")
            pickle.opcode(0x29)
            pickle.opcode(0x52)  // backward hooks: OrderedDict()
            pickle.opcode(0x74)  // TUPLE
            pickle.opcode(0x52)  // REDUCE
        }
        pickle.opcode(0x75)  // SETITEMS
        pickle.opcode(0x2E)  // STOP

        var records: [(name: String, bytes: [UInt8])] = [("\(archive)/data.pkl", pickle.bytes), ("\(archive)/byteorder", Array("little".utf8))]
        for (key, tensor) in tensors.enumerated() { records.append(("\(archive)/data/\(key)", tensor.bytes)) }
        records.append(("\(archive)/version", Array("3\n".utf8)))
        try writeZip(records, to: path)
    }

    /// Writes a zip archive of stored (uncompressed) records in order, each record's data
    /// aligned to 64 bytes with an extra-field pad as torch does. Records must be under 4 GiB.
    public static func writeZip(_ records: [(name: String, bytes: [UInt8])], to path: String) throws {
        var output: [UInt8] = []
        var central: [UInt8] = []
        for record in records {
            precondition(record.bytes.count < 0xFFFF_FFFF && output.count < 0xFFFF_FFFF, "PyTorchWriter: zip64 is not written")
            let name = Array(record.name.utf8)
            let crc = CRC32.checksum(record.bytes)
            let headerEnd = output.count + 30 + name.count
            let pad = (64 - (headerEnd + 4) % 64) % 64
            let extra: [UInt8] = headerEnd % 64 == 0 ? [] : le(UInt16(0x4246)) + le(UInt16(pad)) + [UInt8](repeating: 0x5A, count: pad)
            let localOffset = UInt32(output.count)
            output += le(UInt32(0x0403_4B50)) + le(UInt16(20)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(0x21))
            output += le(crc) + le(UInt32(record.bytes.count)) + le(UInt32(record.bytes.count))
            output += le(UInt16(name.count)) + le(UInt16(extra.count)) + name + extra
            output += record.bytes
            central += le(UInt32(0x0201_4B50)) + le(UInt16(20)) + le(UInt16(20)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(0x21))
            central += le(crc) + le(UInt32(record.bytes.count)) + le(UInt32(record.bytes.count))
            central += le(UInt16(name.count)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt32(0))
            central += le(localOffset) + name
        }
        let directoryOffset = UInt32(output.count)
        output += central
        output += le(UInt32(0x0605_4B50)) + le(UInt16(0)) + le(UInt16(0)) + le(UInt16(records.count)) + le(UInt16(records.count))
        output += le(UInt32(central.count)) + le(directoryOffset) + le(UInt16(0))
        let writer = try AtomicFileWriter(path: path)
        try writer.write(output)
        try writer.commit()
    }

    private static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
}

/// Emits the protocol 2 opcodes `PyTorchWriter` needs.
struct PickleEncoder {
    var bytes: [UInt8] = []

    mutating func opcode(_ code: UInt8, _ arguments: [UInt8] = []) {
        bytes.append(code)
        bytes += arguments
    }

    mutating func global(_ module: String, _ name: String) {
        opcode(0x63, Array("\(module)\n\(name)\n".utf8))
    }

    mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        opcode(0x58, withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { Array($0) } + utf8)  // BINUNICODE
    }

    mutating func integer(_ value: Int) {
        switch value {
        case 0..<256: opcode(0x4B, [UInt8(value)])  // BININT1
        case 256..<65536: opcode(0x4D, [UInt8(value & 0xFF), UInt8(value >> 8)])  // BININT2
        case Int(Int32.min)...Int(Int32.max): opcode(0x4A, withUnsafeBytes(of: Int32(value).littleEndian) { Array($0) })  // BININT
        default: opcode(0x8A, [8] + withUnsafeBytes(of: Int64(value).littleEndian) { Array($0) })  // LONG1
        }
    }

    mutating func tuple(_ values: [Int]) {
        opcode(0x28)
        for value in values { integer(value) }
        opcode(0x74)
    }
}
