import Checkpoints
import CheckpointFixtures
import Foundation
import Testing

@Suite("Locating checkpoints: single file, directory, sharded index, Hugging Face cache")
struct CheckpointLayoutTests {
    static let first: [SafetensorsWriter.Tensor] = [
        .patterned("embed.weight", dtype: .bf16, shape: [8, 4], seed: 1),
        .patterned("norm.weight", dtype: .f32, shape: [4], seed: 2),
    ]
    static let second: [SafetensorsWriter.Tensor] = [
        .patterned("layer.0.weight", dtype: .f16, shape: [4, 4], seed: 3),
        .patterned("layer.0.bias", dtype: .f8E4M3, shape: [4], seed: 4),
    ]
    static let third: [SafetensorsWriter.Tensor] = [.patterned("head.weight", dtype: .i64, shape: [3], seed: 5)]

    /// Every tensor's bytes as read back, against what was written.
    func expectContents(_ reader: CheckpointReader, _ tensors: [SafetensorsWriter.Tensor]) throws {
        let read = try readAllTensorBytes(reader, chunkBytes: 5)
        #expect(read.count == tensors.count)
        for tensor in tensors {
            #expect(read[tensor.name] == tensor.bytes, "\(tensor.name)")
            let info = try #require(reader.checkpoint.tensor(named: tensor.name))
            #expect(info.dtype == tensor.dtype && info.shape == tensor.shape && info.byteCount == UInt64(tensor.bytes.count))
        }
    }

    @Test("a single .safetensors file")
    func singleFile() throws {
        let directory = try TemporaryDirectory()
        let bytes = SafetensorsBytes.file(Self.first, metadata: ["format": "pt"])
        let path = try directory.write(bytes, to: "model.safetensors")
        let reader = try CheckpointReader(path: path)
        let checkpoint = reader.checkpoint
        #expect(checkpoint.format == .safetensors && checkpoint.layout == .singleFile && checkpoint.path == path)
        #expect(checkpoint.files.map(\.name) == ["model.safetensors"])
        #expect(checkpoint.files[0].size == UInt64(bytes.count))
        let headerLength = bytes.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) }
        #expect(checkpoint.files[0].headerSize == 8 + headerLength)
        #expect(checkpoint.files[0].metadata == ["format": "pt"])
        #expect(checkpoint.tensors.map(\.name) == ["embed.weight", "norm.weight"])
        #expect(checkpoint.tensors[0].offset == checkpoint.files[0].headerSize)
        #expect(checkpoint.tensors[1].offset == checkpoint.files[0].headerSize + 64)
        #expect(checkpoint.parameterCount == 36 && checkpoint.parameterCountByDType == [.bf16: 32, .f32: 4] && checkpoint.tensorBytes == 80)
        #expect(checkpoint.huggingFaceRepository == nil)
        try expectContents(reader, Self.first)
    }

    @Test("a directory of several files, read in name order; other files are ignored")
    func directoryOfFiles() throws {
        let directory = try TemporaryDirectory()
        try directory.write(SafetensorsBytes.file(Self.second), to: "m/b.safetensors")
        try directory.write(SafetensorsBytes.file(Self.first), to: "m/a.safetensors")
        try directory.write(SafetensorsBytes.file(Self.third), to: "m/c.safetensors")
        try directory.write("{}", to: "m/config.json")
        let reader = try CheckpointReader(path: directory.path("m"))
        let checkpoint = reader.checkpoint
        #expect(checkpoint.layout == .directory)
        #expect(checkpoint.files.map(\.name) == ["a.safetensors", "b.safetensors", "c.safetensors"])
        #expect(checkpoint.tensors.map(\.name) == (Self.first + Self.second + Self.third).map(\.name))
        #expect(checkpoint.tensors.map(\.fileIndex) == [0, 0, 1, 1, 2])
        try expectContents(reader, Self.first + Self.second + Self.third)
    }

    @Test("a tensor in two files of a directory is refused")
    func duplicateAcrossFiles() throws {
        let directory = try TemporaryDirectory()
        try directory.write(SafetensorsBytes.file(Self.first), to: "m/a.safetensors")
        try directory.write(SafetensorsBytes.file(Self.second + [Self.first[1]]), to: "m/b.safetensors")
        let root = directory.path("m")
        #expect(openingError(root) == CheckpointError(file: root + "/b.safetensors", tensor: "norm.weight",
                                                      rule: .duplicateTensorAcrossFiles(otherFile: root + "/a.safetensors")))
    }

    @Test("a sharded checkpoint, by its directory or its index file", arguments: [false, true])
    func sharded(byIndexFile: Bool) throws {
        let directory = try TemporaryDirectory()
        let sharded = ShardedCheckpoint(shards: [Self.first, Self.second, Self.third])
        let indexPath = try sharded.write(into: directory, subdirectory: "ckpt")
        try directory.write(SafetensorsBytes.file([.patterned("stray", dtype: .u8, shape: [1])]), to: "ckpt/stray.safetensors")
        let path = byIndexFile ? indexPath : directory.path("ckpt")
        let reader = try CheckpointReader(path: path)
        let checkpoint = reader.checkpoint
        #expect(checkpoint.layout == .shardedIndex && checkpoint.path == path)
        #expect(checkpoint.files.map(\.name) == (0..<3).map { ShardedCheckpoint.shardName($0, of: 3) })  // not stray.safetensors
        #expect(checkpoint.indexMetadata == ["total_size": String(checkpoint.tensorBytes)])
        #expect(checkpoint.tensors.map(\.name) == (Self.first + Self.second + Self.third).map(\.name))
        try expectContents(reader, Self.first + Self.second + Self.third)
    }

    // MARK: - Hugging Face cache

    static let revision = "3f1c2a9b8e7d6c5b4a39281706f5e4d3c2b1a098"

    @Test("a Hugging Face cache entry and its snapshot directory (files are symlinks into blobs/)", arguments: [false, true])
    func huggingFaceSingleFile(bySnapshot: Bool) throws {
        let directory = try TemporaryDirectory()
        let entry = try HuggingFaceCache.addSnapshot(
            in: directory, repository: "acme/tiny-model", revision: Self.revision,
            files: [("model.safetensors", SafetensorsBytes.file(Self.first)), ("config.json", Array("{}".utf8))])
        let path = bySnapshot ? HuggingFaceCache.snapshotPath(entry: entry, revision: Self.revision) : entry
        let reader = try CheckpointReader(path: path)
        let checkpoint = reader.checkpoint
        #expect(checkpoint.layout == .huggingFaceCache)
        #expect(checkpoint.huggingFaceRepository == "acme/tiny-model" && checkpoint.huggingFaceRevision == Self.revision)
        #expect(checkpoint.files.map(\.name) == ["model.safetensors"])
        let blob = try HuggingFaceCache.blobPath(entry: entry, revision: Self.revision, file: "model.safetensors")
        #expect(blob.contains("/blobs/") && checkpoint.files[0].path == blob)
        try expectContents(reader, Self.first)
    }

    @Test("a sharded checkpoint in a Hugging Face cache, by entry or snapshot", arguments: [false, true])
    func huggingFaceSharded(bySnapshot: Bool) throws {
        let directory = try TemporaryDirectory()
        let sharded = ShardedCheckpoint(shards: [Self.first, Self.second])
        let entry = try HuggingFaceCache.addSnapshot(in: directory, repository: "acme/big-model", revision: Self.revision, files: sharded.files)
        let reader = try CheckpointReader(path: bySnapshot ? HuggingFaceCache.snapshotPath(entry: entry, revision: Self.revision) : entry)
        #expect(reader.checkpoint.layout == .shardedIndex)
        #expect(reader.checkpoint.huggingFaceRepository == "acme/big-model" && reader.checkpoint.huggingFaceRevision == Self.revision)
        #expect(reader.checkpoint.files.allSatisfy { $0.path.contains("/blobs/") })
        try expectContents(reader, Self.first + Self.second)
    }

    @Test("refs/main picks the snapshot among several; without it, several snapshots are ambiguous")
    func huggingFaceSnapshots() throws {
        let directory = try TemporaryDirectory()
        let old = "1111111111111111111111111111111111111111"
        try HuggingFaceCache.addSnapshot(in: directory, repository: "acme/m", revision: old,
                                         files: [("model.safetensors", SafetensorsBytes.file(Self.second))], pointsMainHere: false)
        let entry = try HuggingFaceCache.addSnapshot(in: directory, repository: "acme/m", revision: Self.revision,
                                                     files: [("model.safetensors", SafetensorsBytes.file(Self.first))])
        let reader = try CheckpointReader(path: entry)
        #expect(reader.checkpoint.huggingFaceRevision == Self.revision)
        try expectContents(reader, Self.first)

        try FileManager.default.removeItem(atPath: entry + "/refs/main")
        #expect(openingError(entry) == CheckpointError(file: entry, rule: .ambiguousSnapshot([old, Self.revision])))
        #expect(openingError(entry)?.description.contains("name the snapshot directory instead") == true)
        // Naming a snapshot directly still works.
        let older = try CheckpointReader(path: HuggingFaceCache.snapshotPath(entry: entry, revision: old))
        try expectContents(older, Self.second)
    }

    @Test("a snapshot whose blob is missing (broken symlink)")
    func huggingFaceMissingBlob() throws {
        let directory = try TemporaryDirectory()
        let entry = try HuggingFaceCache.addSnapshot(in: directory, repository: "acme/m", revision: Self.revision,
                                                     files: [("model.safetensors", SafetensorsBytes.file(Self.first))])
        try FileManager.default.removeItem(atPath: HuggingFaceCache.blobPath(entry: entry, revision: Self.revision, file: "model.safetensors"))
        let error = try #require(openingError(entry))
        #expect(error == CheckpointError(file: entry + "/snapshots/" + Self.revision + "/model.safetensors", rule: .notFound))
    }

    // MARK: - Files named without a known extension

    @Test("a file without a known extension is recognised by its first bytes (safetensors, GGUF, PyTorch zip)")
    func recognisedByContent() throws {
        let directory = try TemporaryDirectory()
        // A Hugging Face blob is named by its SHA-256, with no extension.
        let blob = try directory.write(SafetensorsBytes.file(Self.first), to: "blobs/53aa5117")
        let fromBlob = try CheckpointReader(path: blob)
        #expect(fromBlob.checkpoint.format == .safetensors && fromBlob.checkpoint.layout == .singleFile)
        try expectContents(fromBlob, Self.first)

        let gguf = directory.path("model.q8")
        try GGUFWriter.write([GGUFWriter.Tensor(name: "w", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])], metadata: GGUFMetadata(), to: gguf)
        let fromGGUF = try CheckpointReader(path: gguf)
        #expect(fromGGUF.checkpoint.format == .gguf)
        #expect(try readAllFloats(fromGGUF, try #require(fromGGUF.checkpoint.tensor(named: "w"))) == [1, 2, 3, 4, 5, 6])

        let archive = directory.path("weights.ckpt")
        try PyTorchWriter.write([.init(name: "w", shape: [3], values: [0.5, -1, 2])], to: archive)
        let fromArchive = try CheckpointReader(path: archive)
        #expect(fromArchive.checkpoint.format == .pytorch)
        #expect(try readAllFloats(fromArchive, try #require(fromArchive.checkpoint.tensor(named: "w"))) == [0.5, -1, 2])

        // Near misses stay unrecognised: a length that overruns the file, no '{', too short.
        var overrun = SafetensorsBytes.file(Self.first)
        overrun[7] = 0x01
        let long = try directory.write(overrun, to: "long")
        #expect(openingError(long) == CheckpointError(file: long, rule: .unrecognizedFile))
        let text = try directory.write(Array("\u{8}\0\0\0\0\0\0\0[1, 2, 3]".utf8), to: "array")
        #expect(openingError(text) == CheckpointError(file: text, rule: .unrecognizedFile))
        let short = try directory.write([0x47, 0x47, 0x55], to: "tiny")
        #expect(openingError(short) == CheckpointError(file: short, rule: .unrecognizedFile))
        // A named pipe without an extension is not opened for sniffing (no waiting for a writer).
        let fifo = directory.path("pipe")
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(openingError(fifo) == CheckpointError(file: fifo, rule: .unrecognizedFile))
    }

    // MARK: - Paths that are not checkpoints

    @Test("a missing path, an empty directory, a directory without checkpoints, and an unknown file type")
    func notCheckpoints() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.path("nothing-here")
        #expect(openingError(missing) == CheckpointError(file: missing, rule: .notFound))
        let empty = try directory.makeDirectory("empty")
        #expect(openingError(empty) == CheckpointError(file: empty, rule: .noCheckpointFiles))
        try directory.write("{}", to: "configs/config.json")
        #expect(openingError(directory.path("configs")) == CheckpointError(file: directory.path("configs"), rule: .noCheckpointFiles))
        let bin = try directory.write([1, 2, 3], to: "notes.txt")
        #expect(openingError(bin) == CheckpointError(file: bin, rule: .unrecognizedFile))
        let fifo = directory.path("pipe.safetensors")
        #expect(mkfifo(fifo, 0o600) == 0)
        let error = openingError(fifo)  // must not wait for a writer
        guard case .io(operation: "open", _, message: "not a regular file")? = error?.rule else {
            Issue.record("expected a not-a-regular-file error, got \(String(describing: error))")
            return
        }
        #expect(error?.file == fifo)
        let entry = try directory.makeDirectory("models--acme--empty/snapshots")
        #expect(openingError((entry as NSString).deletingLastPathComponent)?.rule == .noCheckpointFiles)
    }
}
