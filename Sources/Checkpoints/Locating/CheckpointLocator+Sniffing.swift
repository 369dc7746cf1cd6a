// MARK: - Recognising a file by its first bytes

extension CheckpointLocator {
    /// The container a file's first bytes announce, for files whose name does not say
    /// (a Hugging Face `blobs/<sha256>` file, a fingerprint saved as `model.fp`).
    enum SniffedFormat: Equatable {
        case safetensors, gguf, pytorchArchive
    }

    /// Reads at most 9 bytes of `path`: `GGUF` magic, a zip local-file header (`PK\u{3}\u{4}`,
    /// how `torch.save` writes), or a safetensors header (an 8-byte little-endian length of at
    /// least 2 that fits in the file, followed by `{`). Nil when none of them match or the file
    /// cannot be read; the caller then reports the file as unrecognised.
    static func sniffFormat(_ path: String) -> SniffedFormat? {
        guard let file = try? ReadOnlyFile(path: resolvedPath(path), displayName: path), file.size >= 4,
              let head = try? file.readBytes(count: Int(min(file.size, 9)), at: 0) else { return nil }
        if head.starts(with: Array("GGUF".utf8)) { return .gguf }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .pytorchArchive }
        guard head.count == 9 else { return nil }
        let headerLength = head[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        if headerLength >= 2, headerLength <= file.size - 8, head[8] == UInt8(ascii: "{") { return .safetensors }
        return nil
    }

    /// `Located` for a single file recognised by its content rather than its name.
    static func locateSniffedFile(path: String, name: String, root: String, displayRoot: String) -> Located? {
        switch sniffFormat(path) {
        case .safetensors?: return Located(root: root, layout: .singleFile, fileNames: [name], displayRoot: displayRoot)
        case .gguf?: return Located(root: root, layout: .singleFile, fileNames: [name], format: .gguf, displayRoot: displayRoot)
        case .pytorchArchive?: return Located(root: root, layout: .singleFile, fileNames: [name], format: .pytorch, displayRoot: displayRoot)
        case nil: return nil
        }
    }
}
