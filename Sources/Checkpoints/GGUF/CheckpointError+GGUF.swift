// MARK: - GGUF rules

extension CheckpointError {
    /// The rules a GGUF file (or split set) must satisfy: those of ggml's `gguf.cpp` reader
    /// and the GGUF specification, plus what mapping tensors to Hugging Face layouts needs.
    public enum GGUFRule: Sendable, Equatable {
        case badMagic(found: String)
        case unsupportedVersion(UInt32)
        case headerTooLarge(limit: UInt64)
        /// A count (`what`) that cannot fit in the bytes left in the header.
        case countBeyondFile(what: String, count: UInt64, remainingBytes: UInt64)
        /// A string or array length (`what`) longer than the bytes left in the header.
        case lengthBeyondFile(what: String, length: UInt64, remainingBytes: UInt64)
        case emptyKey(index: Int)
        case duplicateKey(String)
        case invalidValueType(key: String, type: UInt32)
        case invalidBool(key: String, value: UInt8)
        case nestingTooDeep(key: String, limit: Int)
        case invalidUTF8(what: String)
        case invalidAlignment(reason: String)
        case nameTooLong(length: Int, limit: Int)
        case tooManyDimensions(Int, limit: Int)
        case negativeDimension(index: Int, value: Int64)
        case unsupportedType(id: UInt32, name: String?)
        case rowNotBlockAligned(rowLength: Int, type: DType)
        case misplacedData(offset: UInt64, expected: UInt64)
        case dataBeyondFile(end: UInt64, fileSize: UInt64)
        case trailingBytes(end: UInt64, fileSize: UInt64)
        case splitShardMissing(shard: String)
        case splitMismatch(reason: String)
        case missingMetadata(key: String)
        case invalidMetadata(key: String, reason: String)
        case headCountMismatch(rows: Int, heads: Int, key: String)
        /// A fused query/key/value tensor whose rows do not split into `queryHeads` query heads
        /// and `groups` key and value heads of equal size, with `groups` dividing `queryHeads`.
        case qkvGroupMismatch(rows: Int, queryHeads: Int, groups: Int, keys: String)
        case mappedNameCollision(mappedName: String)

        func sentence(subject: String, file: String) -> String {
            switch self {
            case .badMagic(let found):
                return "\(file) does not start with the GGUF magic 'GGUF' (found \(found))."
            case .unsupportedVersion(let version):
                if version & 0xFFFF == 0, version != 0 {
                    return "\(file) declares GGUF version \(version), which is a byte-swapped small number: the file is big-endian, and only little-endian GGUF is supported."
                }
                if version == 1 {
                    return "\(file) is GGUF version 1, which is obsolete (32-bit counts); only versions 2 and 3 are supported."
                }
                return "\(file) declares GGUF version \(version); only versions 2 and 3 are supported."
            case .headerTooLarge(let limit):
                return "\(file) has a GGUF header (metadata and tensor descriptions) larger than the \(limit)-byte limit."
            case .countBeyondFile(let what, let count, let remaining):
                return "\(file) declares \(count) \(what), more than the \(remaining) bytes left in the header can hold (the count is corrupt or the file is truncated)."
            case .lengthBeyondFile(let what, let length, let remaining):
                return "\(file) declares a \(length)-element \(what), longer than the \(remaining) bytes left in the header (the length is corrupt or the file is truncated)."
            case .emptyKey(let index):
                return "\(file) has an empty metadata key (key/value pair \(index)); GGUF keys must not be empty."
            case .duplicateKey(let key):
                return "\(file) declares metadata key '\(key)' twice (rule: keys are unique)."
            case .invalidValueType(let key, let type):
                return "\(file) gives metadata key '\(key)' value type \(type), which is not a GGUF value type (0–12)."
            case .invalidBool(let key, let value):
                return "\(file) gives boolean metadata key '\(key)' the byte \(value); a GGUF bool is 0 or 1."
            case .nestingTooDeep(let key, let limit):
                return "\(file) nests arrays in metadata key '\(key)' more than \(limit) levels deep."
            case .invalidUTF8(let what):
                return "\(file) has a \(what) that is not valid UTF-8."
            case .invalidAlignment(let reason):
                return "\(file) has an invalid general.alignment: \(reason)."
            case .nameTooLong(let length, let limit):
                return "\(subject) has a \(length)-byte name; ggml limits tensor names to \(limit - 1) bytes."
            case .tooManyDimensions(let count, let limit):
                return "\(subject) has \(count) dimensions; GGML tensors have at most \(limit)."
            case .negativeDimension(let index, let value):
                return "\(subject) has dimension \(index) of \(value) elements; dimensions must not be negative."
            case .unsupportedType(let id, let name?):
                return "\(subject) has GGML type \(name) (\(id)), which model files do not use and this tool cannot read (it reads F32, F16, BF16, F64, I8–I64, Q4_0–Q8_0, Q2_K–Q6_K, IQ4_NL, IQ4_XS, MXFP4, NVFP4, TQ1_0, TQ2_0, IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, Q1_0 and Q2_0)."
            case .unsupportedType(let id, nil):
                return "\(subject) has GGML type \(id), which is not a known GGML type."
            case .rowNotBlockAligned(let rowLength, let type):
                return "\(subject) has rows of \(rowLength) elements, not a multiple of the \(type.block.elements)-element \(type.name) block (rule: rows hold whole blocks)."
            case .misplacedData(let offset, let expected):
                return "\(subject) starts at data offset \(offset), but the previous tensor's aligned end is \(expected) (rule: tensors are stored in declaration order, each at the aligned end of the previous one)."
            case .dataBeyondFile(let end, let fileSize):
                return "\(subject) ends at byte \(end), beyond the end of the \(fileSize)-byte file (the file is truncated or the offsets are wrong)."
            case .trailingBytes(let end, let fileSize):
                return "\(file) has \(fileSize - end) bytes after the last tensor's aligned end at byte \(end) (rule: the tensors end the file)."
            case .splitShardMissing(let shard):
                return "\(file) is part of a split GGUF model, but shard '\(shard)' does not exist."
            case .splitMismatch(let reason):
                return "\(file) does not belong to a consistent split GGUF set: \(reason)."
            case .missingMetadata(let key):
                return "\(subject) cannot be mapped to its original layout: metadata key '\(key)' is missing in \(file)."
            case .invalidMetadata(let key, let reason):
                return "\(file) has an invalid metadata value for '\(key)': \(reason)."
            case .headCountMismatch(let rows, let heads, let key):
                return "\(subject) has \(rows) rows, which do not split into \(heads) heads (\(key)) of an even number of rows each, so llama.cpp's RoPE row permutation cannot be undone."
            case .qkvGroupMismatch(let rows, let queryHeads, let groups, let keys):
                return "\(subject) has \(rows) rows, which do not split into \(queryHeads) query heads in \(groups) groups, each with one key and one value head of as many rows (\(keys)), so llama.cpp's query/key/value regrouping cannot be undone."
            case .mappedNameCollision(let mappedName):
                return "\(subject) maps to the Hugging Face name '\(mappedName)', which another tensor in the checkpoint already has."
            }
        }
    }
}
