import Foundation
import ProvenanceCrypto

/// Builds a Hugging Face hub cache entry as `huggingface_hub` lays it out:
///
///     models--ORG--NAME/
///       refs/main                      the revision (commit hash) of `main`
///       blobs/<sha256 of the content>  the file contents
///       snapshots/<REV>/<file name>    relative symlinks into ../../blobs/
public enum HuggingFaceCache {
    /// The entry directory name for `ORG/NAME`: `models--ORG--NAME`.
    public static func entryName(repository: String) -> String {
        "models--" + repository.replacingOccurrences(of: "/", with: "--")
    }

    /// Adds a snapshot of `files` at `revision` to the entry for `repository` under `root`
    /// (creating the entry), and returns the entry's path. `pointsMainHere` writes `refs/main`.
    @discardableResult
    public static func addSnapshot(
        in root: TemporaryDirectory, repository: String, revision: String,
        files: [(name: String, bytes: [UInt8])], pointsMainHere: Bool = true
    ) throws -> String {
        let entry = entryName(repository: repository)
        let manager = FileManager.default
        for file in files {
            let blob = "blobs/" + SHA256.hash(file.bytes).hex
            if !manager.fileExists(atPath: root.path(entry + "/" + blob)) {
                try root.write(file.bytes, to: entry + "/" + blob)
            }
            let link = root.path(entry + "/snapshots/" + revision + "/" + file.name)
            try manager.createDirectory(atPath: (link as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            // From snapshots/REV/<dirs…>/name back up to the entry: two levels plus one per directory in the name.
            let depth = 2 + file.name.split(separator: "/").count - 1
            let target = String(repeating: "../", count: depth) + blob
            try manager.createSymbolicLink(atPath: link, withDestinationPath: target)
        }
        try root.makeDirectory(entry + "/snapshots/" + revision)
        if pointsMainHere {
            try root.write(revision, to: entry + "/refs/main")
        }
        return root.path(entry)
    }

    /// The path of a snapshot directory inside an entry.
    public static func snapshotPath(entry: String, revision: String) -> String {
        entry + "/snapshots/" + revision
    }

    /// The path of the blob a snapshot file links to.
    public static func blobPath(entry: String, revision: String, file: String) throws -> String {
        let link = snapshotPath(entry: entry, revision: revision) + "/" + file
        return URL(fileURLWithPath: link).resolvingSymlinksInPath().path
    }
}
