/// Opens a checkpoint and streams its tensors in bounded chunks.
///
/// Memory stays bounded by the chunk size per concurrent reader: data is read with
/// `pread` into a reusable buffer, never mapped or loaded whole. Reading is
/// thread-safe: several tasks may stream different tensors at once.
///
/// `@unchecked Sendable`: all stored properties are immutable after `init`, and the
/// open files are only used through `pread`, which is safe to call concurrently.
public final class CheckpointReader: @unchecked Sendable {
    /// The validated checkpoint description.
    public let checkpoint: Checkpoint
    let files: [ReadOnlyFile]
    /// Chunk buffers reused across calls (one per concurrent reader).
    let buffers = ChunkBufferPool()
    private let largestTensorBytes: UInt64

    /// Default bytes per chunk: large enough for throughput, small enough for bounded memory.
    public static let defaultChunkBytes = 4 << 20

    /// Opens and validates the checkpoint at `path` (file, directory, shard index or HF cache entry).
    public convenience init(path: String) throws(CheckpointError) {
        let located = try CheckpointLocator.locate(path)
        try self.init(located: located, userPath: path)
    }

    private init(located: CheckpointLocator.Located, userPath: String) throws(CheckpointError) {
        switch located.format {
        case .gguf:
            (files, checkpoint) = try GGUFCheckpointLoader.open(located, userPath: userPath).parts
            largestTensorBytes = checkpoint.tensors.map(\.byteCount).max() ?? 0
            return
        case .pytorch:
            (files, checkpoint) = try PyTorchCheckpointLoader.open(located, userPath: userPath).parts
            largestTensorBytes = checkpoint.tensors.map(\.byteCount).max() ?? 0
            return
        case .safetensors:
            break
        }
        func display(_ name: String) -> String {
            located.layout == .singleFile ? userPath : joinPath(located.displayRoot.isEmpty ? located.root : located.displayRoot, name)
        }
        var fileNames = located.fileNames
        var weightMap: [String: String]?
        var indexMetadata: [String: String] = [:]
        var indexDisplay = ""
        if let indexFile = located.indexFile {
            indexDisplay = display(indexFile)
            let index = try CheckpointLocator.readShardIndex(root: located.root, indexFile: indexFile, displayName: indexDisplay)
            fileNames = index.shards
            weightMap = index.weightMap
            indexMetadata = index.metadata
        }

        var openFiles: [ReadOnlyFile] = []
        var fileEntries: [Checkpoint.File] = []
        var tensors: [TensorInfo] = []
        var owner: [String: String] = [:]
        for (fileIndex, name) in fileNames.enumerated() {
            let path = joinPath(located.root, name)
            let resolved = CheckpointLocator.resolvedPath(path)
            let file: ReadOnlyFile
            do {
                file = try ReadOnlyFile(path: resolved, displayName: display(name))
            } catch let error where error.rule == .notFound && weightMap != nil {
                throw CheckpointError(file: indexDisplay, rule: .indexShardMissing(shard: name))
            }
            let parsed = try SafetensorsHeader.read(file, fileIndex: fileIndex)
            for tensor in parsed.tensors {
                if let other = owner[tensor.name] {
                    throw CheckpointError(file: display(name), tensor: tensor.name,
                                          rule: .duplicateTensorAcrossFiles(otherFile: display(other)))
                }
                owner[tensor.name] = name
                if let weightMap, weightMap[tensor.name] == nil {
                    throw CheckpointError(file: display(name), tensor: tensor.name, rule: .tensorNotInIndex)
                }
            }
            openFiles.append(file)
            fileEntries.append(Checkpoint.File(name: name, path: resolved, size: file.size,
                                               headerSize: parsed.headerSize, metadata: parsed.metadata))
            tensors.append(contentsOf: parsed.tensors)
        }
        if let weightMap {
            for (tensor, shard) in weightMap.sorted(by: { $0.key < $1.key }) where owner[tensor] != shard {
                if let actual = owner[tensor] {
                    throw CheckpointError(file: indexDisplay, tensor: tensor,
                                          rule: .indexTensorInOtherShard(shard: shard, actualShard: actual))
                }
                throw CheckpointError(file: indexDisplay, tensor: tensor, rule: .indexTensorMissingFromShard(shard: shard))
            }
        }
        try ScalePairing.pair(&tensors, fileName: { display(fileNames[$0]) }, readBytes: { (tensor) throws(CheckpointError) in
            try openFiles[tensor.fileIndex].storedBytes(of: tensor)
        }, settings: QuantizationSettings.read(fromDirectory: located.root))
        for file in openFiles { file.adviseSequential(offset: 0, length: file.size) }
        files = openFiles
        largestTensorBytes = tensors.map(\.byteCount).max() ?? 0
        checkpoint = Checkpoint(
            path: userPath, rootDirectory: located.root, format: .safetensors, layout: located.layout, files: fileEntries, tensors: tensors,
            indexMetadata: indexMetadata, huggingFaceRepository: located.repository, huggingFaceRevision: located.revision)
    }

    // MARK: - Streaming

    /// Streams one tensor's bytes in element order, in chunks of at most `chunkBytes`
    /// (rounded down to whole storage blocks). The chunk's memory is reused between calls
    /// and valid only inside `body`. Tensors with a `rowPermutation` arrive in their original
    /// row order, in chunks of whole rows (at least one row, whatever `chunkBytes` says); GPTQ,
    /// AWQ and bitsandbytes weights (`packing`) arrive as row-major codes, in chunks of whole stored bands.
    /// Chunks of a scaled weight carry its factors, which `decode` applies — unless
    /// `withScales` is false, for a caller that scales the codes itself (the factors are then not read).
    public func readChunks(
        of tensor: TensorInfo, chunkBytes: Int = CheckpointReader.defaultChunkBytes, withScales: Bool = true,
        _ body: (TensorChunk) throws -> Void
    ) throws {
        if let permutation = tensor.rowPermutation {
            try readPermutedChunks(of: tensor, permutation: permutation, chunkBytes: chunkBytes, body)
            return
        }
        if let packing = tensor.packing {
            try readPackedChunks(of: tensor, packing: packing, chunkBytes: chunkBytes, scales: withScales ? scaleFactors(of: tensor) : nil, body)
            return
        }
        let (blockElements, blockBytes) = tensor.dtype.block
        let chunkCapacity = UInt64(max(1, chunkBytes / blockBytes) * blockBytes)
        let capacity = Int(min(chunkCapacity, max(tensor.byteCount, 1)))
        let file = files[tensor.fileIndex]
        let scales = withScales ? try scaleFactors(of: tensor) : nil
        try buffers.withBuffer(byteCount: capacity, allocating: Int(min(chunkCapacity, max(largestTensorBytes, 1)))) { buffer in
            var done: UInt64 = 0
            var element = 0
            while done < tensor.byteCount {
                let length = Int(min(UInt64(capacity), tensor.byteCount - done))
                let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length])
                try file.readExactly(into: slice, at: tensor.offset + done, tensor: tensor.name)
                let elements = length / blockBytes * blockElements
                try body(TensorChunk(tensor: tensor, bytes: UnsafeRawBufferPointer(slice), firstElement: element, elementCount: elements, scales: scales))
                done += UInt64(length)
                element += elements
            }
        }
    }

    /// Streams a whole file's bytes (header included) in chunks, for file digests.
    public func readFileChunks(
        fileIndex: Int, chunkBytes: Int = CheckpointReader.defaultChunkBytes,
        _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let file = files[fileIndex]
        let capacity = Int(min(UInt64(max(chunkBytes, 1)), max(file.size, 1)))
        try buffers.withBuffer(byteCount: capacity, allocating: capacity) { buffer in
            var done: UInt64 = 0
            while done < file.size {
                let length = Int(min(UInt64(capacity), file.size - done))
                let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length])
                try file.readExactly(into: slice, at: done)
                try body(UnsafeRawBufferPointer(slice))
                done += UInt64(length)
            }
        }
    }

    /// Reads raw bytes of a tensor at a byte offset within it (random access), in delivered
    /// (row-permutation undone) order.
    public func readBytes(of tensor: TensorInfo, at byteOffset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(CheckpointError) {
        precondition(byteOffset + UInt64(buffer.count) <= tensor.deliveredByteCount, "read beyond tensor \(tensor.name)")
        if let permutation = tensor.rowPermutation {
            try readPermutedBytes(of: tensor, permutation: permutation, at: byteOffset, into: buffer)
            return
        }
        if let packing = tensor.packing {
            try readPackedBytes(of: tensor, packing: packing, at: byteOffset, into: buffer)
            return
        }
        try files[tensor.fileIndex].readExactly(into: buffer, at: tensor.offset + byteOffset, tensor: tensor.name)
    }

    /// The factors of a scaled weight (read from its companion tensor), `nil` for other tensors.
    public func scaleFactors(of tensor: TensorInfo) throws(CheckpointError) -> ScaleFactors? {
        guard let scale = tensor.scale else { return nil }
        let companion = scale.companion
        var factors = try floats(of: companion)
        if let nested = scale.nestedFactors {
            // Double quantization (bitsandbytes): the factors were read as their 8-bit codes.
            let codebook = try floats(of: nested.codebook.tensor), scales = try floats(of: nested.scales.tensor)
            for index in factors.indices {
                factors[index] = codebook[Int(factors[index])] * scales[index / nested.blockSize] + nested.offset
            }
        }
        if let multiplier = scale.multiplier {
            for index in factors.indices { factors[index] *= multiplier }
        }
        if let global = scale.global {
            // Two-level scaling (NVFP4): each block factor times (or over) the tensor's one value,
            // in Float, as ModelOpt and compressed-tensors dequantize.
            let level = try floats(of: global.location.tensor)[0]
            for index in factors.indices { factors[index] = global.divides ? factors[index] / level : factors[index] * level }
        }
        let file = files[tensor.fileIndex].displayName
        var offsets: [Float]?, rowGroups: [Int32]?, columnGroups: [Int32]?
        if let zeroPoints = scale.zeroPoints {
            offsets = try zeroPointOffsets(zeroPoints, factors: factors, codes: tensor.dtype, codeCentre: scale.codeCentre)
        } else if let codeCentre = scale.codeCentre {
            // Codes stored offset from the dtype's own centre (compressed-tensors' 8-bit codes + 128).
            let shift = Float(tensor.dtype.codeOffset - codeCentre)
            offsets = factors.map { $0 * shift }
        }
        if let biases = scale.biases {
            // I4 decodes a nibble as code − 8: the bias then carries the 8 steps back.
            let centre = Float(tensor.dtype.codeOffset)
            offsets = zip(try floats(of: biases.tensor), factors).map { $0 + centre * $1 }
        }
        if let groupIndex = scale.groupIndex {
            rowGroups = try groupIndices(groupIndex, of: tensor, groups: factors.count / max(tensor.shape.last ?? 1, 1), axis: "row", file: file,
                                         rule: CheckpointError.Rule.zeroPointLayout)
        }
        if let groupIndex = scale.columnGroupIndex {
            // One factor row per weight row (pairing requires it): the groups are the factors of a row.
            columnGroups = try groupIndices(groupIndex, of: tensor, groups: factors.count / max(TensorScale.matrixView(tensor.shape).rows, 1),
                                            axis: "column", file: file, rule: CheckpointError.Rule.columnGroups)
        }
        let codebook = try scale.codebook.map { (location) throws(CheckpointError) in try floats(of: location.tensor) }
        return ScaleFactors(scale: scale, weightShape: tensor.shape, factors: factors, offsets: offsets,
                            rowGroups: rowGroups, columnGroups: columnGroups, codebook: codebook)
    }

    /// A companion tensor's values (factors, codebooks, a per-tensor scale).
    private func floats(of tensor: TensorInfo) throws(CheckpointError) -> [Float] {
        var values = [Float](repeating: 0, count: tensor.elementCount)
        try values.withUnsafeMutableBufferPointer { (buffer) throws(CheckpointError) in
            try readElements(of: tensor, range: 0..<tensor.elementCount, into: buffer, scales: nil)
        }
        return values
    }

    /// Decodes a contiguous run of elements (e.g. some rows of an embedding) into `Float`s,
    /// scaled when the tensor is a scaled weight (its factors are read for the call; a caller
    /// reading one weight in many pieces reads them once with `scaleFactors(of:)` and passes them).
    public func readElements(of tensor: TensorInfo, range: Range<Int>, into output: UnsafeMutableBufferPointer<Float>) throws(CheckpointError) {
        try readElements(of: tensor, range: range, into: output, scales: scaleFactors(of: tensor))
    }

    /// Decodes a contiguous run of elements into `Float`s, applying `scales` (the tensor's
    /// `scaleFactors(of:)`, or `nil` for a tensor stored as its values).
    public func readElements(
        of tensor: TensorInfo, range: Range<Int>, into output: UnsafeMutableBufferPointer<Float>, scales: ScaleFactors?
    ) throws(CheckpointError) {
        precondition(output.count == range.count)
        try tensor.requireDecodable(file: files[tensor.fileIndex].displayName)
        let (blockElements, blockBytes) = tensor.dtype.block
        precondition(range.lowerBound % blockElements == 0 && range.count % blockElements == 0, "element range not block-aligned")
        let byteOffset = UInt64(range.lowerBound / blockElements * blockBytes)
        let byteLength = range.count / blockElements * blockBytes
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(byteLength, 1), alignment: 64)
        defer { buffer.deallocate() }
        let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<byteLength])
        try readBytes(of: tensor, at: byteOffset, into: slice)
        tensor.dtype.decode(UnsafeRawBufferPointer(slice), into: output)
        scales?.apply(to: output, firstElement: range.lowerBound)
    }

    /// The display name of a file, for error messages.
    public func displayName(ofFile index: Int) -> String { files[index].displayName }
}

/// One chunk of a tensor's bytes, aligned to whole storage blocks.
public struct TensorChunk {
    public let tensor: TensorInfo
    /// The raw stored bytes of this chunk.
    public let bytes: UnsafeRawBufferPointer
    /// Index of the chunk's first element within the tensor (row-major).
    public let firstElement: Int
    /// Number of elements in the chunk.
    public let elementCount: Int
    /// The factors of a scaled weight; `nil` when the stored values are the values.
    public let scales: ScaleFactors?

    /// Decodes the chunk's elements to `Float`s (scaled, for a scaled weight); `output.count`
    /// must equal `elementCount`.
    public func decode(into output: UnsafeMutableBufferPointer<Float>) {
        tensor.dtype.decode(bytes, into: output)
        scales?.apply(to: output, firstElement: firstElement)
    }
}

extension TensorInfo {
    /// Throws `.unsupportedDType` if values of this tensor cannot be decoded.
    public func requireDecodable(file: String) throws(CheckpointError) {
        if let reason = dtype.unsupportedReason {
            throw CheckpointError(file: file, tensor: name, rule: .unsupportedDType(dtype, reason: reason))
        }
    }
}

func joinPath(_ directory: String, _ name: String) -> String {
    if directory.isEmpty { return name }
    return directory.hasSuffix("/") ? directory + name : directory + "/" + name
}
