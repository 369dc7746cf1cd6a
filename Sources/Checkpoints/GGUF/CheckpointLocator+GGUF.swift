import Foundation

// MARK: - Locating GGUF files and split sets

extension CheckpointLocator {
    /// A split GGUF shard name, `PREFIX-00001-of-00003.gguf` (llama.cpp's `llama_split_path`).
    struct GGUFSplitName: Hashable {
        var prefix: String
        /// 1-based shard number.
        var number: Int
        var count: Int

        init?(_ name: String) {
            guard name.hasSuffix(".gguf") else { return nil }
            let stem = Array(name.dropLast(5))
            // "-NNNNN-of-NNNNN" is 15 characters.
            guard stem.count > 15 else { return nil }
            let tail = stem.suffix(15)
            let digits = "0123456789"
            let pattern = Array("-#####-of-#####")
            for (character, expected) in zip(tail, pattern) {
                if expected == "#" { guard digits.contains(character) else { return nil } } else if character != expected { return nil }
            }
            let text = String(tail)
            guard let number = Int(text.dropFirst().prefix(5)), let count = Int(text.suffix(5)),
                  number >= 1, count >= 1, number <= count else { return nil }
            prefix = String(stem.dropLast(15))
            self.number = number
            self.count = count
        }

        static func name(prefix: String, number: Int, count: Int) -> String {
            "\(prefix)-\(String(number).leftPadded(to: 5))-of-\(String(count).leftPadded(to: 5)).gguf"
        }

        /// Every shard name of the set, in order.
        var setNames: [String] { (1...count).map { Self.name(prefix: prefix, number: $0, count: count) } }
    }

    static func locateGGUFFile(name: String, root: String) -> Located? {
        guard name.hasSuffix(".gguf") else { return nil }
        if let split = GGUFSplitName(name), split.count > 1 {
            return Located(root: root, layout: .ggufSplit, fileNames: split.setNames, format: .gguf)
        }
        return Located(root: root, layout: .singleFile, fileNames: [name], format: .gguf)
    }

    /// One GGUF model in a directory: a single `.gguf` file or one split set.
    static func locateGGUFDirectory(names: [String], root: String, displayPath: String) throws(CheckpointError) -> Located? {
        var singles: [String] = []
        var splits: [GGUFSplitName: [String]] = [:]
        for name in names where name.hasSuffix(".gguf") {
            if let split = GGUFSplitName(name), split.count > 1 {
                var key = split
                key.number = 1
                splits[key, default: []].append(name)
            } else {
                singles.append(name)
            }
        }
        let candidates = singles + splits.keys.map { Self.GGUFSplitName.name(prefix: $0.prefix, number: 1, count: $0.count) }
        guard !candidates.isEmpty else { return nil }
        guard candidates.count == 1 else {
            throw CheckpointError(file: displayPath, rule: .ambiguousCheckpoint(candidates.sorted()))
        }
        if let split = splits.keys.first {
            return Located(root: root, layout: .ggufSplit, fileNames: split.setNames, format: .gguf)
        }
        return Located(root: root, layout: .directory, fileNames: singles, format: .gguf)
    }

    /// How a file of the checkpoint is named in messages: the user's path for a single file,
    /// a sibling of the named file for sets found from one member, else under the directory.
    static func displayName(of name: String, located: Located, userPath: String) -> String {
        if located.layout == .singleFile { return userPath }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: userPath, isDirectory: &isDirectory), !isDirectory.boolValue {
            let directory = (userPath as NSString).deletingLastPathComponent
            return directory.isEmpty ? name : joinPath(directory, name)
        }
        return joinPath(userPath, name)
    }
}
