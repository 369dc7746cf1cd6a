/// Opens PyTorch checkpoints: one `torch.save` archive, or the shards a
/// `pytorch_model.bin.index.json` names (checked against its weight map like safetensors shards).
enum PyTorchCheckpointLoader {
    static func open(_ located: CheckpointLocator.Located, userPath: String) throws(CheckpointError) -> OpenedCheckpoint {
        var names = located.fileNames
        var weightMap: [String: String]?
        var indexMetadata: [String: String] = [:]
        var indexDisplay = ""
        if let indexFile = located.indexFile {
            indexDisplay = userPath.hasSuffix(indexFile) ? userPath : joinPath(userPath, indexFile)
            let index = try CheckpointLocator.readShardIndex(root: located.root, indexFile: indexFile, displayName: indexDisplay)
            names = index.shards
            weightMap = index.weightMap
            indexMetadata = index.metadata
        }

        var files: [ReadOnlyFile] = []
        var entries: [Checkpoint.File] = []
        var tensors: [TensorInfo] = []
        var owner: [String: String] = [:]
        for (fileIndex, name) in names.enumerated() {
            let display = CheckpointLocator.displayName(of: name, located: located, userPath: userPath)
            let resolved = CheckpointLocator.resolvedPath(joinPath(located.root, name))
            let file: ReadOnlyFile
            do {
                file = try ReadOnlyFile(path: resolved, displayName: display)
            } catch let error where error.rule == .notFound && weightMap != nil {
                throw CheckpointError(file: indexDisplay, rule: .indexShardMissing(shard: name))
            }
            let archive = try PyTorchArchive(file: file, fileIndex: fileIndex)
            for tensor in archive.tensors {
                if let other = owner[tensor.name] {
                    throw CheckpointError(file: display, tensor: tensor.name,
                                          rule: .duplicateTensorAcrossFiles(otherFile: CheckpointLocator.displayName(of: other, located: located, userPath: userPath)))
                }
                owner[tensor.name] = name
                if let weightMap, weightMap[tensor.name] == nil {
                    throw CheckpointError(file: display, tensor: tensor.name, rule: .tensorNotInIndex)
                }
            }
            files.append(file)
            entries.append(Checkpoint.File(name: name, path: resolved, size: file.size,
                                           headerSize: archive.firstDataOffset, metadata: archive.metadata))
            tensors.append(contentsOf: archive.tensors)
        }
        if let weightMap {
            for (tensor, shard) in weightMap.sorted(by: { $0.key < $1.key }) where owner[tensor] != shard {
                let where_ = owner[tensor].map { " (it is in \($0))" } ?? ""
                throw CheckpointError(file: indexDisplay, tensor: tensor, rule: .indexTensorMissingFromShard(shard: shard + where_))
            }
        }
        try ScalePairing.pair(&tensors, fileName: { CheckpointLocator.displayName(of: names[$0], located: located, userPath: userPath) },
                              readBytes: { (tensor) throws(CheckpointError) in try files[tensor.fileIndex].storedBytes(of: tensor) },
                              settings: QuantizationSettings.read(fromDirectory: located.root))
        let checkpoint = Checkpoint(
            path: userPath, rootDirectory: located.root, format: .pytorch, layout: located.layout, files: entries, tensors: tensors,
            indexMetadata: indexMetadata, huggingFaceRepository: located.repository, huggingFaceRevision: located.revision)
        return OpenedCheckpoint(files: files, checkpoint: checkpoint)
    }
}
