import Foundation

/// One `torch.save` zip archive: its records, the tensors its pickle describes, and where
/// each tensor's bytes lie in the file (inside the stored `data/<key>` records).
struct PyTorchArchive {
    /// Largest `data.pkl` accepted; a checkpoint's is kilobytes to a few megabytes.
    static let maximumPickleBytes: UInt64 = 64 << 20
    /// Deepest nesting of containers walked to find tensors.
    static let maximumNesting = RestrictedUnpickler.maximumNesting
    /// Values walked while looking for tensors; a state dict has a few per tensor.
    static let maximumVisits = 1 << 22

    var tensors: [TensorInfo]
    /// `archive`, `byteorder`, `version` records.
    var metadata: [String: String]
    /// Offset of the first tensor byte (or of the pickle when there is no tensor).
    var firstDataOffset: UInt64

    init(file: ReadOnlyFile, fileIndex: Int) throws(CheckpointError) {
        let name = file.displayName
        func fail(_ rule: CheckpointError.PyTorchRule, tensor: String? = nil) -> CheckpointError {
            CheckpointError(file: name, tensor: tensor, rule: .pytorch(rule))
        }
        // Pre-1.6 checkpoints are a bare pickle (protocol 2 opcode first), or a tar archive.
        if file.size >= 2 {
            let head = try file.readBytes(count: 2, at: 0)
            let tarMagic = file.size > 262 ? try file.readBytes(count: 5, at: 257) : []
            if head[0] == 0x80 || tarMagic == Array("ustar".utf8) {
                throw fail(.legacyFormat)
            }
        }
        let zip = try ZipArchive(file: file)

        // The archive's single root folder holds data.pkl (torch names it after the file).
        let roots = zip.entries.map(\.name).filter { $0.hasSuffix("/data.pkl") && $0.split(separator: "/").count == 2 }
        guard let pickleName = roots.first else { throw fail(.missingRecord("<archive>/data.pkl")) }
        guard roots.count == 1 else { throw fail(.ambiguousArchive(roots.sorted())) }
        let root = String(pickleName.dropLast("data.pkl".count))

        var metadata = ["archive": String(root.dropLast())]
        if let byteOrder = zip.entry(named: root + "byteorder") {
            let text = String(decoding: try ZipArchive.readVerified(byteOrder, from: file).prefix(16), as: UTF8.self)
            guard text == "little" else { throw fail(.bigEndian) }
            metadata["byteorder"] = text
        }
        if let version = zip.entry(named: root + "version"), version.size <= 64 {
            metadata["version"] = String(decoding: try ZipArchive.readVerified(version, from: file), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }

        let pickleEntry = zip.entry(named: pickleName)!
        guard pickleEntry.size <= Self.maximumPickleBytes else {
            throw fail(.pickleTooLarge(size: pickleEntry.size, limit: Self.maximumPickleBytes))
        }
        let pickle = try ZipArchive.readVerified(pickleEntry, from: file)
        let loaded: RestrictedUnpickler.Loaded
        do {
            loaded = try RestrictedUnpickler.load(pickle)
        } catch {
            throw Self.checkpointError(error, file: name)
        }
        defer { loaded.containers.breakCycles() }

        var found: [(name: String, tensor: PickleTensor)] = []
        var visits = 0
        try Self.collect(loaded.object, prefix: "", depth: 0, into: &found, visits: &visits, file: name)
        var tensors: [TensorInfo] = []
        var seen = Set<String>()
        for (tensorName, tensor) in found {
            guard seen.insert(tensorName).inserted else {
                throw CheckpointError(file: name, tensor: tensorName, rule: .duplicateTensorName)
            }
            tensors.append(try Self.locate(tensor, named: tensorName, root: root, zip: zip, file: file, fileIndex: fileIndex))
        }
        self.tensors = tensors
        self.metadata = metadata
        firstDataOffset = tensors.map(\.offset).min() ?? pickleEntry.dataOffset
    }

    // MARK: - Finding tensors in the unpickled object

    /// Walks dicts (keys joined with "."), lists and tuples (indices) down to tensors;
    /// other leaves (ints, strings, None: epochs, config) are skipped.
    private static func collect(
        _ value: PickleValue, prefix: String, depth: Int, into found: inout [(name: String, tensor: PickleTensor)],
        visits: inout Int, file: String
    ) throws(CheckpointError) {
        guard depth <= maximumNesting else {
            throw CheckpointError(file: file, rule: .pytorch(.pickleMalformed("containers nest deeper than \(maximumNesting) levels around '\(prefix)'")))
        }
        // Shared references (the memo) can make a small pickle an exponentially large tree.
        visits += 1
        guard visits <= maximumVisits else {
            throw CheckpointError(file: file, rule: .pytorch(.pickleMalformed("the object has more than \(maximumVisits) values to walk (containers are shared over and over)")))
        }
        func child(_ key: String) -> String { prefix.isEmpty ? key : prefix + "." + key }
        switch value {
        case .tensor(let tensor):
            found.append((prefix, tensor))
        case .dict(let dict):
            for (key, item) in dict.pairs {
                switch key {
                case .string(let text): try collect(item, prefix: child(text), depth: depth + 1, into: &found, visits: &visits, file: file)
                case .int(let number): try collect(item, prefix: child(String(number)), depth: depth + 1, into: &found, visits: &visits, file: file)
                default: continue
                }
            }
        case .list(let list):
            for (index, item) in list.items.enumerated() {
                try collect(item, prefix: child(String(index)), depth: depth + 1, into: &found, visits: &visits, file: file)
            }
        case .tuple(let items):
            for (index, item) in items.enumerated() {
                try collect(item, prefix: child(String(index)), depth: depth + 1, into: &found, visits: &visits, file: file)
            }
        default:
            return
        }
    }

    // MARK: - Locating tensor bytes

    private static func locate(
        _ tensor: PickleTensor, named tensorName: String, root: String, zip: ZipArchive, file: ReadOnlyFile, fileIndex: Int
    ) throws(CheckpointError) -> TensorInfo {
        let name = file.displayName
        func fail(_ rule: CheckpointError.PyTorchRule) -> CheckpointError {
            CheckpointError(file: name, tensor: tensorName, rule: .pytorch(rule))
        }
        let storage = tensor.storage
        let elementBytes = tensor.dtype.block.bytes
        guard tensor.dtype.block.elements == 1 else { throw fail(.unsupportedStorage(tensor.dtype.name)) }
        let storageBytes = storage.dtype == nil ? UInt64(storage.count) : UInt64(storage.count) * UInt64(storage.dtype!.block.bytes)
        let storageElements = storageBytes / UInt64(elementBytes)

        var elements = 1
        for dimension in tensor.shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw CheckpointError(file: name, tensor: tensorName, rule: .shapeOverflow) }
            elements = product
        }
        // Row-major contiguous: each stride is the product of the later dimensions
        // (dimensions of size 1 may carry any stride, as torch leaves them).
        if elements > 0 {
            var expected = 1
            for index in tensor.shape.indices.reversed() {
                if tensor.shape[index] != 1, tensor.stride[index] != expected {
                    throw fail(.nonContiguous(shape: tensor.shape, stride: tensor.stride))
                }
                expected *= tensor.shape[index]
            }
            let (needed, overflow) = UInt64(tensor.storageOffset).addingReportingOverflow(UInt64(elements))
            guard !overflow, needed <= storageElements else {
                throw fail(.tensorBeyondStorage(neededElements: overflow ? .max : needed, storageElements: storageElements))
            }
        }

        let recordName = root + "data/" + storage.key
        guard let record = zip.entry(named: recordName) else { throw fail(.missingRecord(recordName)) }
        try ZipArchive.requireStored(record, file: name)
        guard record.size == storageBytes else {
            throw fail(.storageSizeMismatch(record: recordName, expectedBytes: storageBytes, actualBytes: record.size))
        }
        let offset = record.dataOffset + UInt64(tensor.storageOffset) * UInt64(elementBytes)
        return TensorInfo(name: tensorName, dtype: tensor.dtype, shape: tensor.shape, fileIndex: fileIndex,
                          offset: elements > 0 ? offset : record.dataOffset, byteCount: UInt64(elements) * UInt64(elementBytes))
    }

    static func checkpointError(_ refusal: PickleRefusal, file: String) -> CheckpointError {
        let rule: CheckpointError.PyTorchRule
        switch refusal {
        case .globalNotAllowed(let name): rule = .globalNotAllowed(name)
        case .opcodeNotAllowed(let opcode, let opcodeName): rule = .opcodeNotAllowed(opcode: opcode, name: opcodeName)
        case .callNotAllowed(let what): rule = .callNotAllowed(what)
        case .malformed(let reason): rule = .pickleMalformed(reason)
        case .unsupportedStorage(let name): rule = .unsupportedStorage(name)
        case .invalidTensorArguments(let reason): rule = .invalidTensorArguments(reason)
        }
        return CheckpointError(file: file, rule: .pytorch(rule))
    }
}
