// MARK: - PyTorch rules

extension CheckpointError {
    /// The rules a PyTorch `torch.save` zip archive must satisfy to be read without running
    /// any of its code: a well-formed zip of stored records, and a pickle that only rebuilds
    /// tensors from storages.
    public enum PyTorchRule: Sendable, Equatable {
        case legacyFormat
        case notZip
        case zipInvalid(reason: String)
        case zipEntryCompressed(entry: String, method: UInt16)
        case zipEntryEncrypted(entry: String)
        case zipEntryBeyondFile(entry: String, end: UInt64, limit: UInt64)
        case zipEntriesOverlap(entry: String, other: String)
        case zipDuplicateEntry(entry: String)
        case zipChecksumMismatch(entry: String)
        case missingRecord(String)
        case ambiguousArchive([String])
        case bigEndian
        case pickleTooLarge(size: UInt64, limit: UInt64)
        case globalNotAllowed(String)
        case opcodeNotAllowed(opcode: UInt8, name: String)
        case callNotAllowed(String)
        case pickleMalformed(String)
        case unsupportedStorage(String)
        case invalidTensorArguments(String)
        case nonContiguous(shape: [Int], stride: [Int])
        case tensorBeyondStorage(neededElements: UInt64, storageElements: UInt64)
        case storageSizeMismatch(record: String, expectedBytes: UInt64, actualBytes: UInt64)

        func sentence(subject: String, file: String) -> String {
            switch self {
            case .legacyFormat:
                return "\(file) is a legacy PyTorch checkpoint (a bare pickle from before torch 1.6, not a zip archive), which this tool does not read; re-save it with a recent torch.save or convert it to safetensors."
            case .notZip:
                return "\(file) is not a zip archive (no end-of-central-directory record), so it is not a PyTorch checkpoint saved by torch.save."
            case .zipInvalid(let reason):
                return "\(file) is not a valid zip archive: \(reason)."
            case .zipEntryCompressed(let entry, let method):
                return "\(file) stores record '\(entry)' compressed (zip method \(method)); torch.save stores records uncompressed, and only stored records can be read in place."
            case .zipEntryEncrypted(let entry):
                return "\(file) stores record '\(entry)' encrypted, which cannot be read."
            case .zipEntryBeyondFile(let entry, let end, let limit):
                return "\(file) has record '\(entry)' ending at byte \(end), beyond byte \(limit) where the file's records must end (the file is truncated or corrupt)."
            case .zipEntriesOverlap(let entry, let other):
                return "\(file) has records '\(entry)' and '\(other)' overlapping in the file (rule: zip records are disjoint)."
            case .zipDuplicateEntry(let entry):
                return "\(file) has two records named '\(entry)' (rule: record names are unique)."
            case .zipChecksumMismatch(let entry):
                return "\(file) has record '\(entry)' whose CRC-32 does not match its contents (the file is corrupt)."
            case .missingRecord(let record):
                return "\(file) has no record '\(record)', which a torch.save archive needs."
            case .ambiguousArchive(let roots):
                return "\(file) holds several pickled objects (\(roots.joined(separator: ", "))); a torch.save archive has exactly one data.pkl."
            case .bigEndian:
                return "\(file) was saved on a big-endian machine (byteorder record 'big'); only little-endian checkpoints are supported."
            case .pickleTooLarge(let size, let limit):
                return "\(file) has a \(size)-byte pickle, above the \(limit)-byte limit for a tensor index."
            case .globalNotAllowed(let name):
                return "\(file) refers to the Python global '\(name)', which a tensor checkpoint does not need; loading it with torch.load could run arbitrary code, so the file is refused (allowed: torch._utils._rebuild_tensor_v2/_v3, torch._utils._rebuild_parameter, torch.*Storage, collections.OrderedDict, torch dtypes)."
            case .opcodeNotAllowed(let opcode, let name):
                return "\(file) uses pickle opcode \(name) (0x\(String(opcode, radix: 16).leftPadded(to: 2))), which a tensor checkpoint does not need; the file is refused rather than interpreted."
            case .callNotAllowed(let name):
                return "\(file) calls \(name) in a way a tensor checkpoint never does; the file is refused."
            case .pickleMalformed(let reason):
                return "\(file) has a malformed pickle: \(reason)."
            case .unsupportedStorage(let name):
                return "\(subject) uses storage type \(name), which this tool cannot read."
            case .invalidTensorArguments(let reason):
                return "\(subject) is rebuilt with invalid arguments: \(reason)."
            case .nonContiguous(let shape, let stride):
                return "\(subject) is a non-contiguous view (shape \(shape), stride \(stride)); only row-major contiguous tensors are read (save a .contiguous() copy)."
            case .tensorBeyondStorage(let needed, let storage):
                return "\(subject) needs \(needed) elements of its storage, which holds only \(storage)."
            case .storageSizeMismatch(let record, let expected, let actual):
                return "\(file) has storage record '\(record)' of \(actual) bytes, but the pickle declares \(expected)."
            }
        }
    }
}
