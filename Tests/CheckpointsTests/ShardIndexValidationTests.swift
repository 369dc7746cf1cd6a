import Checkpoints
import CheckpointFixtures
import Foundation
import Testing

@Suite("Sharded checkpoints: the index and the shards must agree")
struct ShardIndexValidationTests {
    static let shard1 = "model-00001-of-00002.safetensors"
    static let shard2 = "model-00002-of-00002.safetensors"
    static let index = "model.safetensors.index.json"

    /// Two shards: embed and layer0 in the first, layer1 and head in the second.
    static func checkpoint() -> ShardedCheckpoint {
        ShardedCheckpoint(shards: [
            [.patterned("embed", dtype: .f32, shape: [4, 3], seed: 1), .patterned("layer0", dtype: .bf16, shape: [5], seed: 2)],
            [.patterned("layer1", dtype: .f16, shape: [6], seed: 3), .patterned("head", dtype: .f32, shape: [2, 2], seed: 4)],
        ])
    }

    /// Writes `checkpoint` into a fresh directory and returns the opening error.
    func error(_ checkpoint: ShardedCheckpoint, openIndexFile: Bool = false,
               edit: (TemporaryDirectory) throws -> Void = { _ in }) throws -> (CheckpointError, directory: String) {
        let directory = try TemporaryDirectory()
        let indexPath = try checkpoint.write(into: directory, subdirectory: "ckpt")
        try edit(directory)
        let root = directory.path("ckpt")
        let opened = try #require(openingError(openIndexFile ? indexPath : root), "opened without error")
        return (opened, root)
    }

    @Test("a shard named in the index that does not exist")
    func missingShard() throws {
        let (error, root) = try error(Self.checkpoint()) { try FileManager.default.removeItem(atPath: $0.path("ckpt/" + Self.shard2)) }
        #expect(error == CheckpointError(file: root + "/" + Self.index, rule: .indexShardMissing(shard: Self.shard2)))
        #expect(error.description == "\(root)/\(Self.index) names shard '\(Self.shard2)', which does not exist.")
    }

    @Test("a weight-map entry pointing at a shard file that was never written")
    func entryForMissingShard() throws {
        var checkpoint = Self.checkpoint()
        checkpoint.weightMap[3].shard = "model-00003-of-00003.safetensors"
        let (error, root) = try error(checkpoint)
        #expect(error == CheckpointError(file: root + "/" + Self.index, rule: .indexShardMissing(shard: "model-00003-of-00003.safetensors")))
    }

    @Test("the index names a tensor that its shard does not hold")
    func missingTensor() throws {
        var checkpoint = Self.checkpoint()
        checkpoint.weightMap.append(("ghost", Self.shard2))
        let (error, root) = try error(checkpoint)
        #expect(error == CheckpointError(file: root + "/" + Self.index, tensor: "ghost", rule: .indexTensorMissingFromShard(shard: Self.shard2)))
        #expect(error.description.contains("maps tensor 'ghost' to shard '\(Self.shard2)', but that shard has no such tensor"))
    }

    @Test("the index maps a tensor to the wrong shard")
    func wrongShard() throws {
        var checkpoint = Self.checkpoint()
        checkpoint.weightMap[3].shard = Self.shard1  // head is stored in shard 2
        let (error, root) = try error(checkpoint)
        #expect(error == CheckpointError(file: root + "/" + Self.index, tensor: "head",
                                         rule: .indexTensorInOtherShard(shard: Self.shard1, actualShard: Self.shard2)))
        #expect(error.description == "\(root)/\(Self.index) maps tensor 'head' to shard '\(Self.shard1)', but it is stored in '\(Self.shard2)'.")
    }

    @Test("a tensor claimed twice in the weight map")
    func claimedTwice() throws {
        var checkpoint = Self.checkpoint()
        checkpoint.weightMap.append(("layer0", Self.shard2))
        let (error, root) = try error(checkpoint)
        #expect(error == CheckpointError(file: root + "/" + Self.index, tensor: "layer0",
                                         rule: .indexTensorClaimedTwice(shards: [Self.shard1, Self.shard2])))
        #expect(error.description.contains("claims tensor 'layer0' more than once"))
    }

    @Test("a tensor stored in a shard but missing from the index")
    func notInIndex() throws {
        var checkpoint = Self.checkpoint()
        checkpoint.weightMap.removeAll { $0.tensor == "head" }
        let (error, root) = try error(checkpoint)
        #expect(error == CheckpointError(file: root + "/" + Self.shard2, tensor: "head", rule: .tensorNotInIndex))
        #expect(error.description == "tensor 'head' in \(root)/\(Self.shard2) is not listed in the shard index's weight_map.")
    }

    @Test("a tensor stored in two shards", arguments: [false, true])
    func storedTwice(openIndexFile: Bool) throws {
        var checkpoint = Self.checkpoint()
        checkpoint.shards[1].tensors.append(.patterned("embed", dtype: .f32, shape: [4, 3], seed: 9))
        let (error, root) = try error(checkpoint, openIndexFile: openIndexFile)
        #expect(error == CheckpointError(file: root + "/" + Self.shard2, tensor: "embed",
                                         rule: .duplicateTensorAcrossFiles(otherFile: root + "/" + Self.shard1)))
    }

    @Test("shard names that leave the checkpoint directory are refused",
          arguments: ["../x.safetensors", "/etc/x.safetensors", "sub/../../x.safetensors", "", ".", "./x.safetensors", "a\\b.safetensors"])
    func unsafeShardName(_ name: String) throws {
        var checkpoint = Self.checkpoint()
        checkpoint.weightMap[0].shard = name
        let (error, root) = try error(checkpoint)
        #expect(error == CheckpointError(file: root + "/" + Self.index, tensor: "embed", rule: .indexInvalidShardName(name)))
        #expect(error.description.contains("not a plain file name in the checkpoint directory"))
    }

    @Test("an index that is not JSON, not an object, or has no weight_map")
    func badIndex() throws {
        for (text, expected) in [
            ("{\"weight_map\":", "indexNotJSON"),
            ("[]", "indexNotJSON"),
            ("{\"metadata\":{}}", "indexMissingWeightMap"),
            ("{\"weight_map\":[]}", "indexMissingWeightMap"),
            ("{\"weight_map\":{\"embed\":3}}", "invalidField"),
        ] {
            let (error, root) = try error(Self.checkpoint()) { try $0.write(text, to: "ckpt/" + Self.index) }
            #expect(error.file == root + "/" + Self.index)
            switch (error.rule, expected) {
            case (.indexNotJSON, "indexNotJSON"), (.indexMissingWeightMap, "indexMissingWeightMap"),
                 (.invalidField(field: "weight_map", _), "invalidField"):
                break
            default:
                Issue.record("\(text): expected \(expected), got \(error.rule)")
            }
        }
    }

    @Test("a malformed shard reports its own error under the shard's path", arguments: [false, true])
    func malformedShard(openIndexFile: Bool) throws {
        let (error, root) = try error(Self.checkpoint(), openIndexFile: openIndexFile) { directory in
            let path = directory.path("ckpt/" + Self.shard2)
            let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
            try directory.write(Array(bytes.dropLast(2)), to: "ckpt/" + Self.shard2)
        }
        #expect(error == CheckpointError(file: root + "/" + Self.shard2, tensor: "head",
                                         rule: .offsetsOutOfRange(end: 28, dataSize: 26)))
    }
}
