/// Opens a GGUF checkpoint (one file or a split set): validates every shard, checks the set
/// is consistent, and maps llama.cpp tensor names and layouts to Hugging Face ones.
enum GGUFCheckpointLoader {
    static func open(_ located: CheckpointLocator.Located, userPath: String) throws(CheckpointError) -> OpenedCheckpoint {
        let names = located.fileNames
        let displays = names.map { CheckpointLocator.displayName(of: $0, located: located, userPath: userPath) }
        let resolvedPaths = names.map { CheckpointLocator.resolvedPath(joinPath(located.root, $0)) }
        var files: [ReadOnlyFile] = []
        var headers: [GGUFHeader.Parsed] = []
        for (index, name) in names.enumerated() {
            let file: ReadOnlyFile
            do {
                file = try ReadOnlyFile(path: resolvedPaths[index], displayName: displays[index])
            } catch let error where error.rule == .notFound && names.count > 1 {
                throw CheckpointError(file: displays[0], rule: .gguf(.splitShardMissing(shard: name)))
            }
            files.append(file)
            headers.append(try GGUFHeader.read(file))
        }
        try validateSplit(headers, displays: displays)

        var info = GGUFInfo(version: headers[0].version, alignment: headers[0].alignment,
                            metadata: headers[0].metadata, splitCount: names.count)
        let architecture = info.architecture ?? ""
        let scheme = GGUFNameMapping.scheme(forArchitecture: architecture, tensorNames: headers.lazy.flatMap(\.tensors).map(\.name))
        if GGUFNameMapping.mappedArchitectures.contains(architecture) {
            info.nameMappingArchitecture = scheme
        }

        var tensors: [TensorInfo] = []
        var owners: [String: Int] = [:]
        var mappedNames = Set<String>()
        for (fileIndex, header) in headers.enumerated() {
            for stored in header.tensors {
                if let other = owners[stored.name] {
                    throw CheckpointError(file: displays[fileIndex], tensor: stored.name,
                                          rule: .duplicateTensorAcrossFiles(otherFile: displays[other]))
                }
                owners[stored.name] = fileIndex
                var tensor = TensorInfo(name: stored.name, dtype: stored.dtype, shape: stored.dimensions.reversed(),
                                        fileIndex: fileIndex, offset: stored.offset, byteCount: stored.byteCount)
                if let mapped = GGUFNameMapping.huggingFaceName(forGGUFName: stored.name, architecture: scheme),
                   mapped != stored.name {
                    tensor.name = mapped
                    tensor.storedName = stored.name
                }
                tensor.shape = GGUFNameMapping.huggingFaceShape(ofGGUFName: stored.name, architecture: architecture, shape: tensor.shape, dtype: tensor.dtype)
                if let permuted = GGUFNameMapping.permutedRows(ofGGUFName: stored.name, architecture: architecture) {
                    tensor.rowPermutation = try rowPermutation(for: tensor, permuted, info: info, file: displays[fileIndex])
                }
                guard mappedNames.insert(tensor.name).inserted else {
                    throw CheckpointError(file: displays[fileIndex], tensor: stored.name,
                                          rule: .gguf(.mappedNameCollision(mappedName: tensor.name)))
                }
                tensors.append(tensor)
            }
        }

        let entries = names.indices.map { index in
            Checkpoint.File(name: names[index], path: resolvedPaths[index], size: files[index].size,
                            headerSize: headers[index].dataStart, metadata: headers[index].metadata.rendered())
        }
        let checkpoint = Checkpoint(
            path: userPath, rootDirectory: located.root, format: .gguf, layout: located.layout, files: entries, tensors: tensors, indexMetadata: [:],
            huggingFaceRepository: located.repository, huggingFaceRevision: located.revision, gguf: info)
        return OpenedCheckpoint(files: files, checkpoint: checkpoint)
    }

    // MARK: - Split sets

    /// `split.count`, `split.no` (0-based) and `split.tensors.count` must agree with the files found.
    private static func validateSplit(_ headers: [GGUFHeader.Parsed], displays: [String]) throws(CheckpointError) {
        let count = headers.count
        for (index, header) in headers.enumerated() {
            let file = displays[index]
            func mismatch(_ reason: String) -> CheckpointError {
                CheckpointError(file: file, rule: .gguf(.splitMismatch(reason: reason)))
            }
            guard let declaredCount = try integer(header.metadata, "split.count", file: file) else {
                if count > 1 { throw mismatch("it has no split.count, but its name makes it shard \(index + 1) of \(count)") }
                continue
            }
            if count == 1 {
                if declaredCount > 1 {
                    throw mismatch("it declares split.count \(declaredCount) but is not named as a shard; open the first shard of the set or its directory")
                }
                continue
            }
            guard declaredCount == count else {
                throw mismatch("it declares split.count \(declaredCount), but the set has \(count) files")
            }
            if let number = try integer(header.metadata, "split.no", file: file), number != index {
                throw mismatch("it declares split.no \(number), but its name makes it shard \(index + 1) (split.no \(index))")
            }
        }
        if let declared = try integer(headers[0].metadata, "split.tensors.count", file: displays[0]) {
            let total = headers.reduce(0) { $0 + $1.tensors.count }
            guard declared == total else {
                throw CheckpointError(file: displays[0], rule: .gguf(.splitMismatch(
                    reason: "it declares split.tensors.count \(declared), but the \(count) file(s) hold \(total) tensors")))
            }
        }
    }

    /// An integer metadata value, `nil` when absent; any other type is an error.
    private static func integer(_ metadata: GGUFMetadata, _ key: String, file: String) throws(CheckpointError) -> Int? {
        guard let value = metadata[key] else { return nil }
        guard let number = value.integer else {
            throw CheckpointError(file: file, rule: .gguf(.invalidMetadata(key: key, reason: "expected an integer, found \(value.rendered())")))
        }
        return number
    }

    /// An integer metadata value, or for an array (one value per layer) the element of `layer`;
    /// `nil` when absent; any other type, or an array without that layer, is an error.
    private static func layerInteger(_ metadata: GGUFMetadata, _ key: String, layer: Int?, file: String) throws(CheckpointError) -> Int? {
        guard case .array(let values)? = metadata[key] else { return try integer(metadata, key, file: file) }
        guard let layer, let number = values.integer(at: layer) else {
            throw CheckpointError(file: file, rule: .gguf(.invalidMetadata(
                key: key, reason: "expected an integer for layer \(layer.map(String.init) ?? "?") in its per-layer array of \(values.count), found none")))
        }
        return number
    }

    // MARK: - Row permutations

    private static func rowPermutation(
        for tensor: TensorInfo, _ permuted: GGUFNameMapping.PermutedRows, info: GGUFInfo, file: String
    ) throws(CheckpointError) -> RowPermutation? {
        let architecture = info.architecture ?? ""
        let headKey = "\(architecture).attention.head_count"
        let name = tensor.storedName ?? tensor.name
        // Hybrid models (Granite 4.0-H, Nemotron-H) give head counts per layer, 0 for their SSM layers.
        let layer = ExpertLayout.layerIndex(name: name)
        guard let heads = try layerInteger(info.metadata, headKey, layer: layer, file: file) else {
            throw CheckpointError(file: file, tensor: name, rule: .gguf(.missingMetadata(key: headKey)))
        }
        let headsKV = try layerInteger(info.metadata, headKey + "_kv", layer: layer, file: file)
        let permutation: RowPermutation?
        do {
            permutation = try GGUFNameMapping.rowPermutation(
                permuted, architecture: architecture, rows: tensor.shape.first ?? 1, headCount: heads, headCountKV: headsKV)
        } catch {
            throw CheckpointError(file: file, tensor: name, rule: .gguf(error.rule))
        }
        let rowElements = tensor.shape.dropFirst().reduce(1, *)
        guard permutation == nil || rowElements % tensor.dtype.block.elements == 0 else {
            throw CheckpointError(file: file, tensor: name, rule: .gguf(.rowNotBlockAligned(rowLength: rowElements, type: tensor.dtype)))
        }
        return permutation
    }
}
