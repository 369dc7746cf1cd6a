import Checkpoints
import Foundation
import SyntheticModels

// MARK: - Writing

extension CheckpointModel {
    /// The shard index file name written when `shardCount > 1`.
    public static let shardIndexName = "model.safetensors.index.json"

    /// The file name `write` uses for a GGUF output.
    public static let ggufFileName = "model.gguf"

    /// The safetensors file names `write` uses for `shardCount` shards.
    public static func shardFileNames(count: Int) -> [String] {
        count <= 1 ? ["model.safetensors"]
            : (1...count).map { String(format: "model-%05d-of-%05d.safetensors", $0, count) }
    }

    /// The weight files `write` produces: safetensors shards, or one GGUF file.
    public var outputFileNames: [String] {
        ggufType == nil ? Self.shardFileNames(count: shardCount) : [Self.ggufFileName]
    }

    /// Writes `weights` as a checkpoint directory with a generated `config.json`: every tensor
    /// stored as `dtype` (rounded to nearest even), in `shards` files, and with 2-D tensors other
    /// than embedding tables stored transposed when `transposed`.
    @discardableResult
    public static func write(
        _ weights: ModelWeights, to directory: String, dtype: DType = .f32, shards: Int = 1, transposed: Bool = false, overwrite: Bool = false
    ) throws(PerturbationError) -> [String] {
        var model = CheckpointModel(weights, dtype: dtype)
        model.shardCount = shards
        if transposed { _ = try TransposedStorage().apply(to: &model) }
        return try model.write(to: directory, overwrite: overwrite)
    }

    /// Writes the checkpoint as a directory: safetensors file(s) with each entry's storage
    /// dtype and orientation, a shard index when sharded, `config.json` and companion files,
    /// plus `extraFiles` (e.g. a manifest). With `ggufType` set, one GGUF file instead of the
    /// safetensors files, shard index and `config.json`.
    ///
    /// The directory is built under a temporary sibling name and renamed into place, so a
    /// failed write leaves nothing behind. An existing `directory` is an error unless
    /// `overwrite`, in which case it is replaced (only after the new one is complete).
    /// Returns the safetensors file names written.
    @discardableResult
    public func write(to directory: String, overwrite: Bool = false, extraFiles: [CompanionFile] = []) throws(PerturbationError) -> [String] {
        let fileManager = FileManager.default
        let target = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        if fileManager.fileExists(atPath: target) && !overwrite {
            throw PerturbationError(file: target, rule: .outputExists)
        }
        try validateForWriting()

        let temporary = target + ".partial-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try fileManager.createDirectory(atPath: temporary, withIntermediateDirectories: true)
        } catch {
            throw PerturbationError(file: temporary, rule: .io(operation: "create directory", message: "\(error)"))
        }
        var committed = false
        defer { if !committed { try? fileManager.removeItem(atPath: temporary) } }

        let names = outputFileNames
        var files: [CompanionFile] = []
        if let ggufType {
            try writeGGUF(as: ggufType, in: temporary, displayName: (target as NSString).appendingPathComponent(Self.ggufFileName))
        } else {
            let groups = shardGroups()
            var weightMap: [String: String] = [:]
            for (shard, group) in groups.enumerated() {
                let path = (temporary as NSString).appendingPathComponent(names[shard])
                try writeSafetensors(group.map { entries[$0] }, to: path, displayName: (target as NSString).appendingPathComponent(names[shard]))
                // Every tensor written: scale companions too, and packed INT4 under its stored names.
                for index in group {
                    for name in entries[index].writtenNames { weightMap[name] = names[shard] }
                }
            }
            if shardCount > 1 {
                files.append(CompanionFile(name: Self.shardIndexName, bytes: Array(shardIndexText(weightMap: weightMap).utf8)))
            }
        }
        if let config, ggufType == nil {
            if let source = configSource, source.value == config {
                files.append(CompanionFile(name: "config.json", bytes: source.bytes))
            } else {
                files.append(CompanionFile(name: "config.json", bytes: Array(ModelConfig.text(config).utf8)))
            }
        }
        files += companionFiles + extraFiles
        for file in files {
            let path = (temporary as NSString).appendingPathComponent(file.name)
            guard fileManager.createFile(atPath: path, contents: Data(file.bytes)) else {
                throw PerturbationError(file: (target as NSString).appendingPathComponent(file.name), rule: .io(operation: "create", message: "could not create the file"))
            }
        }

        // Swap into place: the old output (if any) is removed only once the new one is complete.
        var displaced: String?
        if fileManager.fileExists(atPath: target) {
            let aside = target + ".replaced-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
            do { try fileManager.moveItem(atPath: target, toPath: aside) } catch {
                throw PerturbationError(file: target, rule: .io(operation: "move aside", message: "\(error)"))
            }
            displaced = aside
        }
        do {
            try fileManager.moveItem(atPath: temporary, toPath: target)
        } catch {
            if let displaced { try? fileManager.moveItem(atPath: displaced, toPath: target) }
            throw PerturbationError(file: target, rule: .io(operation: "rename", message: "\(error)"))
        }
        committed = true
        if let displaced { try? fileManager.removeItem(atPath: displaced) }
        return names
    }

    /// Checks everything that could fail mid-write before any file is created.
    private func validateForWriting() throws(PerturbationError) {
        guard shardCount >= 1, shardCount <= max(1, entries.count) else {
            throw PerturbationError(rule: .invalidArgument("cannot write \(entries.count) tensors into \(shardCount) shards (every shard needs at least one tensor)"))
        }
        var seen = Set<String>()
        for entry in entries {
            guard seen.insert(entry.name).inserted else {
                throw PerturbationError(tensor: entry.name, rule: .invalidArgument("the tensor name is used twice"))
            }
            if entry.storedTransposed && entry.tensor.shape.count != 2 {
                throw PerturbationError(tensor: entry.name, rule: .invalidArgument("only 2-D tensors can be stored transposed, this one has shape \(entry.tensor.shape)"))
            }
            if let block = entry.scaleBlock {
                let columns = entry.storedShape.last ?? 0
                if entry.isMLXFloatingPoint {
                    guard entry.tensor.shape.count == 2, !entry.storedTransposed, entry.name.hasSuffix("weight"), block == 32 || (block == 16 && entry.storageDType == .f4),
                          columns % block == 0 else {
                        throw PerturbationError(tensor: entry.name, rule: .invalidArgument("MLX's floating-point modes need a 2-D weight named '….weight' stored untransposed whose rows hold whole groups of \(block) values (32, or 16 for nvfp4), this one has shape \(entry.tensor.shape)"))
                    }
                } else if entry.isNVFP4 {
                    guard entry.tensor.shape.count == 2, columns % NVFP4Encoding.block == 0 else {
                        throw PerturbationError(tensor: entry.name, rule: .invalidArgument("NVFP4 needs a 2-D tensor whose rows hold whole blocks of 16 values, this one has shape \(entry.tensor.shape)"))
                    }
                } else if entry.isBitsAndBytes {
                    guard entry.tensor.shape.count == 2, block >= 1, entry.tensor.values.count % (2 * block) == 0, entry.storedShape[1] % block == 0 else {
                        throw PerturbationError(tensor: entry.name, rule: .invalidArgument("bitsandbytes NF4 needs a 2-D tensor whose rows hold whole blocks of \(block) values, this one has shape \(entry.tensor.shape)"))
                    }
                } else if entry.isMLX {
                    guard entry.tensor.shape.count == 2, !entry.storedTransposed, entry.name.hasSuffix("weight"), block >= 1, columns % block == 0, block % 8 == 0 else {
                        throw PerturbationError(tensor: entry.name, rule: .invalidArgument("MLX quantization needs a 2-D weight named '….weight' stored untransposed whose rows hold whole groups of \(block) values, this one has shape \(entry.tensor.shape)"))
                    }
                } else if entry.isLLMInt8 {
                    guard entry.tensor.shape.count == 2, !entry.storedTransposed, entry.name.hasSuffix("weight"), block == entry.tensor.shape[1] else {
                        throw PerturbationError(tensor: entry.name, rule: .invalidArgument("bitsandbytes LLM.int8 needs a 2-D weight named '….weight' stored untransposed with one factor per row, this one has shape \(entry.tensor.shape)"))
                    }
                } else if let bits = entry.zeroPointCodeBits {
                    let shape = entry.tensor.shape, multiple = bits == 3 ? 32 : 32 / bits
                    guard shape.count == 2, !entry.storedTransposed, entry.name.hasSuffix("weight"), shape[0] % multiple == 0, shape[1] % multiple == 0,
                          block >= 1, shape[1] % block == 0 else {
                        throw PerturbationError(tensor: entry.name, rule: .invalidArgument("\(bits)-bit GPTQ/AWQ storage needs a 2-D weight named '….weight' whose output and input features are multiples of \(multiple) and whose input features hold whole groups of \(block), this one has shape \(shape)"))
                    }
                } else if entry.narrowPackedBits != nil {
                    guard entry.tensor.shape.count == 2, block >= 1, columns % block == 0 else {
                        throw PerturbationError(tensor: entry.name, rule: .invalidArgument("packed 2- and 3-bit integers need a 2-D tensor whose rows hold whole groups of \(block) values, this one has shape \(entry.tensor.shape)"))
                    }
                } else if entry.isPackedInt4 {
                    guard entry.tensor.shape.count == 2, columns % 8 == 0, block >= 1, columns % block == 0 else {
                        throw PerturbationError(tensor: entry.name, rule: .invalidArgument("packed INT4 needs a 2-D tensor whose rows hold whole words of 8 and groups of \(block) values, this one has shape \(entry.tensor.shape)"))
                    }
                } else {
                    guard entry.tensor.shape.count == 2, entry.storageDType == .f8E4M3, block >= 1 else {
                        throw PerturbationError(tensor: entry.name, rule: .invalidArgument("only 2-D tensors stored as F8_E4M3 (or NVFP4) can carry block scale factors (block \(block))"))
                    }
                }
                for name in entry.writtenNames where name != entry.name && !seen.insert(name).inserted {
                    throw PerturbationError(tensor: name, rule: .invalidArgument("the name of the scale factors is already a tensor"))
                }
            }
        }
    }

    /// Contiguous runs of entry indices, one per shard, balanced by stored bytes: a shard is
    /// closed when adding the next tensor would overshoot its fair share of the bytes still
    /// to place by more than half that tensor, or when only one tensor per remaining shard is left.
    func shardGroups() -> [[Int]] {
        guard shardCount > 1 else { return [Array(entries.indices)] }
        let sizes = entries.map { $0.storageDType.byteCount(forElements: $0.tensor.values.count) ?? 0 }
        let total = sizes.reduce(0, +)
        var groups: [[Int]] = [[]]
        var current = 0, closed = 0
        for index in entries.indices {
            let shardsAfterCurrent = shardCount - groups.count
            if !groups[groups.count - 1].isEmpty, shardsAfterCurrent > 0 {
                let share = Double(total - closed) / Double(shardsAfterCurrent + 1)
                let overshoots = Double(current) + Double(sizes[index]) / 2 > share
                if overshoots || entries.count - index == shardsAfterCurrent {
                    groups.append([])
                    closed += current
                    current = 0
                }
            }
            groups[groups.count - 1].append(index)
            current += sizes[index]
        }
        return groups
    }

    /// `model.gguf` in `directory`, converted from a safetensors staging file (floating-point
    /// tensors as F32, integer buffers as they are; removed afterwards).
    private func writeGGUF(as type: DType, in directory: String, displayName: String) throws(PerturbationError) {
        let staging = (directory as NSString).appendingPathComponent(".staging.safetensors")
        defer { try? FileManager.default.removeItem(atPath: staging) }
        var f32 = self
        for index in f32.entries.indices where f32.entries[index].isFloatingPoint {
            f32.entries[index].storageDType = .f32
            f32.entries[index].scaleBlock = nil
        }
        try f32.writeSafetensors(f32.entries, to: staging, displayName: displayName)
        let llama = spec?.family == .llama
        var options = GGUFExport.conversionOptions(for: type)
        if llama {
            options.architecture = "llama"
            options.headCount = spec?.headCount
            options.headCountKV = spec?.keyValueHeadCount
        }
        do {
            try CheckpointConversion.writeGGUF(from: try CheckpointReader(path: staging), to: (directory as NSString).appendingPathComponent(Self.ggufFileName), options: options)
        } catch {
            throw PerturbationError(file: displayName, rule: .io(operation: "write GGUF", message: "\(error)"))
        }
    }

    private func writeSafetensors(_ group: [Entry], to path: String, displayName: String) throws(PerturbationError) {
        // Each entry's stored tensors: its values (or codes), then its scale tensors.
        var parts: [(entry: Int, part: Entry.StoredPart)] = []
        var declarations: [SafetensorsWriter.Declaration] = []
        for (index, entry) in group.enumerated() {
            for stored in entry.storedTensors {
                declarations.append(SafetensorsWriter.Declaration(name: stored.name, dtype: stored.dtype, shape: stored.shape))
                parts.append((index, stored.part))
            }
        }
        var pendingFactors: [Float] = []
        // The companions an entry's encoding produced, written after its values: F32/BF16/F16
        // factors, and raw bytes by part (NVFP4 block scales, GPTQ/AWQ zero points and row groups).
        var pendingBytes: [Entry.StoredPart: [UInt8]] = [:]
        do {
            try SafetensorsWriter.write(declarations, metadata: metadata.isEmpty ? nil : metadata, to: path) { index, sink in
                let entry = group[parts[index].entry]
                switch parts[index].part {
                case .factors, .globalScale:
                    try FloatEncoding.encode(pendingFactors, as: .f32).withUnsafeBytes { try sink($0) }
                    return
                case .blockScales, .zeroPoints, .groupIndex, .biases:
                    try (pendingBytes[parts[index].part] ?? []).withUnsafeBytes { try sink($0) }
                    return
                case .groupScales:
                    try FloatEncoding.encode(pendingFactors, as: declarations[index].dtype).withUnsafeBytes { try sink($0) }
                    return
                case .codebook:
                    try FloatEncoding.encode(NF4Encoding.codebook, as: .f32).withUnsafeBytes { try sink($0) }
                    return
                case .quantState:
                    try NF4Encoding.quantState(shape: entry.storedShape, block: entry.scaleBlock ?? 0).withUnsafeBytes { try sink($0) }
                    return
                case .weightFormat:
                    try [UInt8(0)].withUnsafeBytes { try sink($0) }
                    return
                case .originalShape:
                    try entry.storedShape.flatMap { withUnsafeBytes(of: Int64($0).littleEndian, Array.init) }.withUnsafeBytes { try sink($0) }
                    return
                case .values:
                    break
                }
                var values = entry.tensor.values
                if entry.storedTransposed {
                    values = TensorMath.transposed(values, rows: entry.tensor.shape[0], columns: entry.tensor.shape[1])
                }
                let bytes: [UInt8]
                let shape = entry.storedShape
                if entry.isBitsAndBytes, let block = entry.scaleBlock {
                    (bytes, pendingFactors) = NF4Encoding.encode(values, block: block)
                } else if entry.isLLMInt8 {
                    (bytes, pendingFactors) = LLMInt8Encoding.encode(values, rows: shape[0], columns: shape[1])
                } else if entry.isMLXFloatingPoint, let group = entry.scaleBlock {
                    let encoded = MLXFloatingPointEncoding.encode(values, codes: entry.storageDType, group: group)
                    (bytes, pendingFactors) = (encoded.words, [])
                    pendingBytes[.blockScales] = encoded.scales
                } else if entry.isMLX, let group = entry.scaleBlock {
                    let encoded = MLXEncoding.encode(values, group: group)
                    (bytes, pendingFactors) = (encoded.words, encoded.scales)
                    pendingBytes[.biases] = FloatEncoding.encode(encoded.biases, as: MLXEncoding.storage)
                } else if let order = entry.codePacking, let bits = entry.zeroPointCodeBits, let group = entry.scaleBlock {
                    let encoded = ZeroPointEncoding.encode(values, outFeatures: shape[0], inFeatures: shape[1], group: group, order: order, bits: bits)
                    (bytes, pendingFactors) = (encoded.qweight, encoded.scales)
                    pendingBytes[.zeroPoints] = encoded.qzeros
                    pendingBytes[.groupIndex] = encoded.groupIndex
                } else if let bits = entry.narrowPackedBits, let group = entry.scaleBlock {
                    (bytes, pendingFactors) = PackedIntegerEncoding.encode(values, rows: shape[0], columns: shape[1], group: group, bits: bits)
                } else if entry.isPackedInt4, let group = entry.scaleBlock, entry.asymmetric {
                    let encoded = PackedIntegerEncoding.encodeAsymmetric(values, rows: shape[0], columns: shape[1], group: group)
                    (bytes, pendingFactors) = (encoded.packed, encoded.scales)
                    pendingBytes[.zeroPoints] = encoded.zeroPoints
                } else if entry.isPackedInt4, let group = entry.scaleBlock, entry.activationOrder {
                    let columnGroups = ActivationOrder.groups(values, outFeatures: shape[0], inFeatures: shape[1], group: group)
                    (bytes, pendingFactors) = PackedIntegerEncoding.encode(values, rows: shape[0], columns: shape[1], group: group, columnGroups: columnGroups)
                    pendingBytes[.groupIndex] = columnGroups.flatMap { withUnsafeBytes(of: Int32($0).littleEndian, Array.init) }
                } else if entry.isPackedInt4, let group = entry.scaleBlock {
                    (bytes, pendingFactors) = PackedIntegerEncoding.encode(values, rows: shape[0], columns: shape[1], group: group)
                } else if entry.isNVFP4 {
                    let encoded = NVFP4Encoding.encode(values, rows: shape[0], columns: shape[1])
                    (bytes, pendingFactors) = (encoded.codes, [encoded.global])
                    pendingBytes[.blockScales] = encoded.scales
                } else if let block = entry.scaleBlock {
                    (bytes, pendingFactors) = BlockScaledEncoding.encode(values, rows: shape[0], columns: shape[1], block: block)
                } else {
                    bytes = try StorageEncoding.encode(values, as: entry.storageDType, tensor: entry.name)
                }
                try bytes.withUnsafeBytes { try sink($0) }
            }
        } catch let error as PerturbationError {
            throw PerturbationError(file: displayName, tensor: error.tensor, rule: error.rule)
        } catch let error as CheckpointError {
            throw PerturbationError(file: displayName, rule: .io(operation: "write", message: error.description))
        } catch {
            throw PerturbationError(file: displayName, rule: .io(operation: "write", message: "\(error)"))
        }
    }

    private func shardIndexText(weightMap: [String: String]) -> String {
        let total = entries.reduce(0) { $0 + ($1.storageDType.byteCount(forElements: $1.tensor.values.count) ?? 0) }
        var text = "{\n  \"metadata\": {\n    \"total_size\": \(total)\n  },\n  \"weight_map\": {\n"
        text += weightMap.keys.sorted().map { "    " + JSONText.quote($0) + ": " + JSONText.quote(weightMap[$0]!) }.joined(separator: ",\n")
        return text + "\n  }\n}\n"
    }
}
