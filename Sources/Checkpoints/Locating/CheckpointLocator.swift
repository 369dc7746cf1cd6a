import Foundation

/// Finds the files of a checkpoint from a path the user gave, and validates them.
enum CheckpointLocator {
    static let shardIndexSuffix = ".safetensors.index.json"

    /// What `path` turned out to be, before headers are read.
    struct Located {
        var root: String
        var layout: Checkpoint.Layout
        /// Relative names of the files to read, in reading order.
        var fileNames: [String]
        var indexFile: String?
        var repository: String?
        var revision: String?
        var format: Checkpoint.Format = .safetensors
        /// `root` as error messages show it: built from the path the user gave, symlinks kept
        /// (empty: same as `root`).
        var displayRoot: String = ""
    }

    static func locate(_ path: String) throws(CheckpointError) -> Located {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CheckpointError(file: path, rule: .notFound)
        }
        if !isDirectory.boolValue {
            let url = URL(fileURLWithPath: path)
            let root = url.deletingLastPathComponent().path
            let name = url.lastPathComponent
            let displayRoot = (path as NSString).deletingLastPathComponent
            if name.hasSuffix(shardIndexSuffix) {
                return Located(root: root, layout: .shardedIndex, fileNames: [], indexFile: name, displayRoot: displayRoot)
            }
            if name.hasSuffix(".safetensors") {
                return Located(root: root, layout: .singleFile, fileNames: [name], displayRoot: displayRoot)
            }
            if let other = locateGGUFFile(name: name, root: root) ?? locatePyTorchFile(name: name, root: root)
                ?? locateSniffedFile(path: path, name: name, root: root, displayRoot: displayRoot) {
                return other
            }
            throw CheckpointError(file: path, rule: .unrecognizedFile)
        }

        // A Hugging Face cache entry: models--ORG--NAME/{refs,snapshots,blobs}.
        let directoryName = URL(fileURLWithPath: path).standardizedFileURL.lastPathComponent
        let snapshots = (path as NSString).appendingPathComponent("snapshots")
        if directoryName.hasPrefix("models--"), fileManager.fileExists(atPath: snapshots) {
            let revision = try chooseSnapshot(entry: path, snapshots: snapshots)
            let snapshot = (snapshots as NSString).appendingPathComponent(revision)
            var located = try locateDirectory(snapshot, displayPath: path)
            located.displayRoot = snapshot
            located.layout = located.layout == .shardedIndex ? .shardedIndex : .huggingFaceCache
            located.repository = repositoryID(fromCacheEntry: directoryName)
            located.revision = revision
            return located
        }
        var located = try locateDirectory(path, displayPath: path)
        // A snapshot directory named directly: .../models--ORG--NAME/snapshots/REV
        let standardized = URL(fileURLWithPath: path).standardizedFileURL
        let parent = standardized.deletingLastPathComponent()
        if parent.lastPathComponent == "snapshots", parent.deletingLastPathComponent().lastPathComponent.hasPrefix("models--") {
            if located.layout == .directory { located.layout = .huggingFaceCache }
            located.repository = repositoryID(fromCacheEntry: parent.deletingLastPathComponent().lastPathComponent)
            located.revision = standardized.lastPathComponent
        }
        return located
    }

    private static func locateDirectory(_ directory: String, displayPath: String) throws(CheckpointError) -> Located {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw CheckpointError(file: displayPath, rule: .io(operation: "list directory", errno: 0, message: "\(error)"))
        }
        let indexes = names.filter { $0.hasSuffix(shardIndexSuffix) }
        if let index = indexes.first(where: { $0 == "model" + shardIndexSuffix }) ?? (indexes.count == 1 ? indexes.first : nil) {
            return Located(root: directory, layout: .shardedIndex, fileNames: [], indexFile: index, displayRoot: directory)
        }
        let files = names.filter { $0.hasSuffix(".safetensors") }
        guard !files.isEmpty else {
            if let other = try locatePyTorchDirectory(names: names, root: directory, displayPath: displayPath) { return other }
            if let other = try locateGGUFDirectory(names: names, root: directory, displayPath: displayPath) { return other }
            throw CheckpointError(file: displayPath, rule: .noCheckpointFiles)
        }
        return Located(root: directory, layout: .directory, fileNames: files, displayRoot: directory)
    }

    private static func chooseSnapshot(entry: String, snapshots: String) throws(CheckpointError) -> String {
        let refsMain = ((entry as NSString).appendingPathComponent("refs") as NSString).appendingPathComponent("main")
        if let ref = try? String(contentsOfFile: refsMain, encoding: .utf8) {
            let revision = ref.trimmingCharacters(in: .whitespacesAndNewlines)
            if !revision.isEmpty, !revision.contains("/"),
               FileManager.default.fileExists(atPath: (snapshots as NSString).appendingPathComponent(revision)) {
                return revision
            }
        }
        let revisions = ((try? FileManager.default.contentsOfDirectory(atPath: snapshots)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        if revisions.count == 1 { return revisions[0] }
        if revisions.isEmpty { throw CheckpointError(file: entry, rule: .noCheckpointFiles) }
        throw CheckpointError(file: entry, rule: .ambiguousSnapshot(revisions))
    }

    private static func repositoryID(fromCacheEntry name: String) -> String {
        name.dropFirst("models--".count).replacingOccurrences(of: "--", with: "/")
    }

    /// Resolves symlinks (Hugging Face cache files point into `blobs/`).
    static func resolvedPath(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }

    /// Reads a shard index and returns the shard names in order plus the weight map.
    static func readShardIndex(root: String, indexFile: String, displayName: String)
        throws(CheckpointError) -> (shards: [String], weightMap: [String: String], metadata: [String: String])
    {
        let path = (root as NSString).appendingPathComponent(indexFile)
        let file = try ReadOnlyFile(path: resolvedPath(path), displayName: displayName)
        guard file.size <= 100_000_000 else {
            throw CheckpointError(file: displayName, rule: .indexNotJSON("the index is larger than 100 MB"))
        }
        let bytes = try file.readBytes(count: Int(file.size), at: 0)
        let json: JSONValue
        do {
            json = try StrictJSONParser.parse(bytes)
        } catch {
            throw CheckpointError(file: displayName, rule: .indexNotJSON(error.description))
        }
        guard case .object = json else {
            throw CheckpointError(file: displayName, rule: .indexNotJSON("the index is not a JSON object"))
        }
        guard let weightMapValue = json["weight_map"], case .object(let entries) = weightMapValue else {
            throw CheckpointError(file: displayName, rule: .indexMissingWeightMap)
        }
        var weightMap: [String: String] = [:]
        var shards: [String] = []
        for (tensor, value) in entries {
            guard case .string(let shard) = value else {
                throw CheckpointError(file: displayName, tensor: tensor,
                                      rule: .invalidField(field: "weight_map", reason: "the shard name is \(value.kindName), not a string"))
            }
            guard isSafeRelativeName(shard) else {
                throw CheckpointError(file: displayName, tensor: tensor, rule: .indexInvalidShardName(shard))
            }
            if let previous = weightMap[tensor] {
                throw CheckpointError(file: displayName, tensor: tensor, rule: .indexTensorClaimedTwice(shards: [previous, shard]))
            }
            weightMap[tensor] = shard
            if !shards.contains(shard) { shards.append(shard) }
        }
        var metadata: [String: String] = [:]
        if case .object(let pairs)? = json["metadata"] {
            for (key, value) in pairs {
                switch value {
                case .string(let text): metadata[key] = text
                case .number(let text): metadata[key] = text
                case .bool(let flag): metadata[key] = String(flag)
                default: continue
                }
            }
        }
        return (shards.sorted(), weightMap, metadata)
    }

    /// A relative path without `..`, absolute prefixes or empty components.
    static func isSafeRelativeName(_ name: String) -> Bool {
        guard !name.isEmpty, !name.hasPrefix("/"), !name.contains("\\") else { return false }
        return name.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != ".." && $0 != "." }
    }
}
