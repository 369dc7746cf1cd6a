// MARK: - Locating PyTorch checkpoints

extension CheckpointLocator {
    static let pytorchIndexSuffix = ".bin.index.json"
    static let pytorchExtensions = [".bin", ".pt", ".pth"]
    /// Files Hugging Face training runs leave next to the weights; never model weights.
    static let pytorchNonWeightFiles: Set<String> = [
        "training_args.bin", "optimizer.pt", "scheduler.pt", "scaler.pt", "rng_state.pth",
    ]

    static func locatePyTorchFile(name: String, root: String) -> Located? {
        if name.hasSuffix(pytorchIndexSuffix) {
            return Located(root: root, layout: .shardedIndex, fileNames: [], indexFile: name, format: .pytorch)
        }
        guard pytorchExtensions.contains(where: { name.hasSuffix($0) }) else { return nil }
        return Located(root: root, layout: .singleFile, fileNames: [name], format: .pytorch)
    }

    /// A PyTorch checkpoint in a directory: `pytorch_model.bin.index.json` (or a single other
    /// `*.bin.index.json`), `pytorch_model.bin`, or the directory's only weights file.
    static func locatePyTorchDirectory(names: [String], root: String, displayPath: String) throws(CheckpointError) -> Located? {
        let indexes = names.filter { $0.hasSuffix(pytorchIndexSuffix) }
        if let index = indexes.first(where: { $0 == "pytorch_model" + pytorchIndexSuffix }) ?? (indexes.count == 1 ? indexes.first : nil) {
            return Located(root: root, layout: .shardedIndex, fileNames: [], indexFile: index, format: .pytorch)
        }
        if names.contains("pytorch_model.bin") {
            return Located(root: root, layout: .directory, fileNames: ["pytorch_model.bin"], format: .pytorch)
        }
        let candidates = names.filter { name in
            pytorchExtensions.contains { name.hasSuffix($0) } && !pytorchNonWeightFiles.contains(name)
                && !name.hasPrefix("rng_state")
        }
        guard !candidates.isEmpty else { return nil }
        guard candidates.count == 1 else {
            throw CheckpointError(file: displayPath, rule: .ambiguousCheckpoint(candidates))
        }
        return Located(root: root, layout: .directory, fileNames: candidates, format: .pytorch)
    }
}
