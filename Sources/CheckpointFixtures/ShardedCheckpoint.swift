import Checkpoints

/// A sharded safetensors checkpoint: shard files plus a `model.safetensors.index.json`
/// whose weight map can be edited (or broken) before writing.
public struct ShardedCheckpoint {
    /// The shards in order, each a file name and its tensors.
    public var shards: [(name: String, tensors: [SafetensorsWriter.Tensor])]
    /// The index's `weight_map` entries in order; duplicates are written as duplicate keys.
    public var weightMap: [(tensor: String, shard: String)]
    /// The index's `metadata` object as raw JSON text, or `nil` to leave it out.
    public var indexMetadataJSON: String?
    /// The index file name.
    public var indexName = "model.safetensors.index.json"

    /// Shards named `model-0000i-of-0000n.safetensors`, with a weight map that lists every
    /// tensor against its shard and a `total_size` metadata entry.
    public init(shards tensorsPerShard: [[SafetensorsWriter.Tensor]]) {
        shards = tensorsPerShard.enumerated().map { index, tensors in
            (Self.shardName(index, of: tensorsPerShard.count), tensors)
        }
        weightMap = shards.flatMap { shard in shard.tensors.map { ($0.name, shard.name) } }
        let total = tensorsPerShard.joined().reduce(0) { $0 + $1.bytes.count }
        indexMetadataJSON = "{\"total_size\":\(total)}"
    }

    /// `model-00001-of-00003.safetensors` for index 0 of 3.
    public static func shardName(_ index: Int, of count: Int) -> String {
        func padded(_ value: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
        }
        return "model-\(padded(index + 1))-of-\(padded(count)).safetensors"
    }

    /// The index file's text.
    public var indexJSON: String {
        var fields: [String] = []
        if let indexMetadataJSON { fields.append("\"metadata\":" + indexMetadataJSON) }
        let entries = weightMap.map { JSONText.quote($0.tensor) + ":" + JSONText.quote($0.shard) }
        fields.append("\"weight_map\":{" + entries.joined(separator: ",") + "}")
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// Every file as (relative name, bytes): the shards, then the index.
    public var files: [(name: String, bytes: [UInt8])] {
        shards.map { ($0.name, SafetensorsBytes.file($0.tensors, metadata: ["format": "pt"])) }
            + [(indexName, Array(indexJSON.utf8))]
    }

    /// Writes every file into `directory` (which is created) and returns the index file's path.
    @discardableResult
    public func write(into directory: TemporaryDirectory, subdirectory: String = "") throws -> String {
        var indexPath = ""
        for file in files {
            let relative = subdirectory.isEmpty ? file.name : subdirectory + "/" + file.name
            let written = try directory.write(file.bytes, to: relative)
            if file.name == indexName { indexPath = written }
        }
        return indexPath
    }
}
