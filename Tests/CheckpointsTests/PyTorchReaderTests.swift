import Checkpoints
import Foundation
import Testing

/// Offsets inside a small (non-zip64) zip, for corrupting it on purpose.
struct ZipBytes {
    var bytes: [UInt8]

    func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
    func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
    mutating func set32(_ at: Int, _ value: UInt32) { for i in 0..<4 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) } }
    mutating func set16(_ at: Int, _ value: UInt16) { for i in 0..<2 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt16(i))) } }

    var endRecord: Int { (0...bytes.count - 22).reversed().first { u32($0) == 0x0605_4B50 }! }

    /// Offset of the central directory record of `name`.
    func centralRecord(_ name: String) -> Int {
        var position = u32(endRecord + 16)
        while u32(position) == 0x0201_4B50 {
            let nameLength = u16(position + 28)
            if String(decoding: bytes[position + 46..<position + 46 + nameLength], as: UTF8.self) == name { return position }
            position += 46 + nameLength + u16(position + 30) + u16(position + 32)
        }
        fatalError("no record \(name)")
    }
}

@Suite("PyTorch checkpoints: torch.save archives read without running their pickle")
struct PyTorchReaderTests {
    static let tiny = FormatFixtures.path("PyTorch/tiny/pytorch_model.bin")

    struct Expected: Decodable {
        var dtype: String
        var shape: [Int]
        var values: [Double]
    }

    @Test("tensors of every dtype, shared storages, offset views and scalars read back exactly")
    func tinyCheckpoint() throws {
        let reader = try CheckpointReader(path: Self.tiny)
        let checkpoint = reader.checkpoint
        #expect(checkpoint.format == .pytorch && checkpoint.layout == .singleFile)
        #expect(checkpoint.files[0].metadata == ["archive": "pytorch_model", "byteorder": "little", "version": "3"])
        let expected = try JSONDecoder().decode([String: Expected].self, from: Data(FormatFixtures.bytes("PyTorch/tiny/expected.json")))
        #expect(checkpoint.tensors.map(\.name) == ["a.weight", "a.bias", "tied.weight", "view.weight", "bf.weight", "position_ids", "mask", "scale"])
        for tensor in checkpoint.tensors {
            let want = try #require(expected[tensor.name])
            #expect(tensor.dtype.name == want.dtype, "\(tensor.name)")
            #expect(tensor.shape == want.shape, "\(tensor.name)")
            #expect(tensor.byteCount == UInt64(max(1, want.values.count) * tensor.dtype.block.bytes))
            for chunkBytes in [1, CheckpointReader.defaultChunkBytes] {
                #expect(try readAllFloats(reader, tensor, chunkBytes: chunkBytes) == want.values.map { Float($0) }, "\(tensor.name)")
            }
        }
        let a = try #require(checkpoint.tensor(named: "a.weight"))
        let tied = try #require(checkpoint.tensor(named: "tied.weight"))
        #expect(a.offset == tied.offset, "tied weights point at the same storage bytes")
        #expect(checkpoint.tensors.allSatisfy { $0.storedName == nil && $0.rowPermutation == nil })
        #expect(checkpoint.quantizationTypes.isEmpty)
    }

    @Test("files torch.save (2.13) wrote read as torch holds them: every dtype, FP8 included, the tied head, a slice's offset, a scalar, an empty tensor")
    func realTorchSave() throws {
        // Fixtures/make_torch_fixtures.py: expected.safetensors holds the same tensors, bytes taken from torch.
        let reader = try CheckpointReader(path: FormatFixtures.path("PyTorch/real/pytorch_model.bin"))
        let expected = try CheckpointReader(path: FormatFixtures.path("PyTorch/real/expected.safetensors"))
        #expect(reader.checkpoint.files[0].metadata == ["archive": "pytorch_model", "byteorder": "little", "version": "3"])
        #expect(reader.checkpoint.tensors.map(\.name) == expected.checkpoint.tensors.map(\.name))
        #expect(Set(reader.checkpoint.tensors.map(\.dtype)).isSuperset(of: [.f32, .f16, .bf16, .f64, .i8, .u8, .i16, .i32, .i64, .bool, .f8E4M3, .f8E5M2]))
        for want in expected.checkpoint.tensors {
            let tensor = try #require(reader.checkpoint.tensor(named: want.name))
            #expect(tensor.dtype == want.dtype && tensor.shape == want.shape, "\(want.name): \(tensor.dtype) \(tensor.shape)")
            let values = try readAllFloats(expected, want)
            for chunkBytes in [1, CheckpointReader.defaultChunkBytes] {
                let difference = firstBitDifference(try readAllFloats(reader, tensor, chunkBytes: chunkBytes), values)
                #expect(difference == nil, "\(want.name), chunks of \(chunkBytes): first difference at \(difference ?? "-")")
            }
        }
        // The tied head is the embedding's storage; the slice starts 2 rows (16 floats) into its storage.
        let embed = try #require(reader.checkpoint.tensor(named: "embed.weight")), head = try #require(reader.checkpoint.tensor(named: "head.weight"))
        #expect(embed.offset == head.offset)
        let slice = try #require(reader.checkpoint.tensor(named: "slice.weight"))
        #expect(slice.byteCount == 3 * 8 * 4 && (slice.offset - 16 * 4) % 64 == 0, "the storage record is 64-byte aligned, the view 16 floats into it")
    }

    @Test("a training checkpoint torch.save wrote: the model's nn.Parameters under model., the optimizer's tensors under optimizer., other leaves skipped")
    func realTrainingCheckpoint() throws {
        let reader = try CheckpointReader(path: FormatFixtures.path("PyTorch/real/training.pt"))
        let expected = try CheckpointReader(path: FormatFixtures.path("PyTorch/real/training.expected.safetensors"))
        for want in expected.checkpoint.tensors {
            let tensor = try #require(reader.checkpoint.tensor(named: want.name), "\(want.name)")
            let (values, wanted) = (try readAllFloats(reader, tensor), try readAllFloats(expected, want))
            #expect(tensor.shape == want.shape && firstBitDifference(values, wanted) == nil, "\(want.name)")
        }
        let optimizer = reader.checkpoint.tensors.filter { $0.name.hasPrefix("optimizer.state.") }
        #expect(optimizer.count == 5 * 3, "Adam's step, exp_avg and exp_avg_sq of five parameters (the head is the embedding): \(optimizer.map(\.name))")
        #expect(reader.checkpoint.tensors.count == expected.checkpoint.tensors.count + optimizer.count)
    }

    @Test("a directory holding pytorch_model.bin opens it, ignoring training leftovers")
    func directory() throws {
        let directory = try FormatTestDirectory()
        try FileManager.default.copyItem(atPath: Self.tiny, toPath: directory.path("pytorch_model.bin"))
        _ = try directory.write([0x80, 0x02, 0x2E], to: "training_args.bin")
        let checkpoint = try CheckpointReader(path: directory.url.path).checkpoint
        #expect(checkpoint.layout == .directory && checkpoint.tensors.count == 8)
    }

    @Test("sharded checkpoints open from the index or the directory and match the weight map", arguments: [true, false])
    func sharded(fromIndex: Bool) throws {
        let root = FormatFixtures.path("PyTorch/sharded")
        let path = fromIndex ? root + "/pytorch_model.bin.index.json" : root
        let reader = try CheckpointReader(path: path)
        #expect(reader.checkpoint.layout == .shardedIndex && reader.checkpoint.format == .pytorch)
        #expect(reader.checkpoint.files.map(\.name) == ["pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin"])
        #expect(reader.checkpoint.indexMetadata == ["total_size": "56"])
        let values = try Dictionary(uniqueKeysWithValues: reader.checkpoint.tensors.map { ($0.name, try readAllFloats(reader, $0)) })
        let first: [Float] = (0..<6).map { Float($0) * 0.5 }
        let second: [Float] = (0..<6).map { Float($0) * -0.5 }
        let expected: [String: [Float]] = ["layer.0.weight": first, "layer.0.bias": [1, 2], "layer.1.weight": second]
        #expect(values == expected)
        #expect(reader.checkpoint.tensors.map(\.fileIndex) == [0, 0, 1])
    }

    @Test("shard index errors: missing shard, tensor absent from the index, tensor in another shard")
    func shardedErrors() throws {
        let directory = try FormatTestDirectory()
        let source = FormatFixtures.path("PyTorch/sharded")
        for name in ["pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin"] {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: directory.path(name))
        }
        func writeIndex(_ map: [String: String]) throws {
            let json = try JSONSerialization.data(withJSONObject: ["weight_map": map])
            try json.write(to: URL(fileURLWithPath: directory.path("pytorch_model.bin.index.json")))
        }
        let index = directory.path("pytorch_model.bin.index.json")
        let (first, second) = ("pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin")
        try writeIndex(["layer.0.weight": first, "layer.0.bias": first, "layer.1.weight": "pytorch_model-00003-of-00002.bin"])
        #expect(checkpointError { _ = try CheckpointReader(path: index) } == CheckpointError(file: index, rule: .indexShardMissing(shard: "pytorch_model-00003-of-00002.bin")))
        try writeIndex(["layer.0.weight": first, "layer.1.weight": second])
        #expect(checkpointError { _ = try CheckpointReader(path: index) } == CheckpointError(file: directory.path(first), tensor: "layer.0.bias", rule: .tensorNotInIndex))
        try writeIndex(["layer.0.weight": first, "layer.0.bias": second, "layer.1.weight": second])
        #expect(checkpointError { _ = try CheckpointReader(path: index) }
            == CheckpointError(file: index, tensor: "layer.0.bias", rule: .indexTensorMissingFromShard(shard: "\(second) (it is in \(first))")))
    }

    @Test("training checkpoints: nn.Parameter values and nested dicts; other leaves skipped")
    func parametersAndNesting() throws {
        let reader = try CheckpointReader(path: FormatFixtures.path("PyTorch/parameters.pt"))
        #expect(reader.checkpoint.tensors.map(\.name) == ["model.linear.weight", "model.linear.bias"])
        #expect(try readAllFloats(reader, reader.checkpoint.tensors[0]) == [1, 2, 3, 4])
        #expect(try readAllFloats(reader, reader.checkpoint.tensors[1]) == [3, 4])
        #expect(reader.checkpoint.files[0].metadata["archive"] == "archive")
    }

    @Test("PyTorchWriter output reads back (F32, F16, BF16, I64, BOOL, U8, scalar, empty)")
    func writerRoundTrip() throws {
        let directory = try FormatTestDirectory()
        let path = directory.path("pytorch_model.bin")
        try PyTorchWriter.write([
            .init(name: "w", shape: [2, 3], values: [1, 2, 3, 4, 5, 6]),
            .init(name: "h", shape: [3], values: [0.5, -1, 65504], as: .f16),
            .init(name: "b", shape: [1, 2], values: [0.25, -8], as: .bf16),
            .init(name: "ids", dtype: .i64, shape: [2], bytes: [5, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]),
            .init(name: "flags", dtype: .bool, shape: [2], bytes: [1, 0]),
            .init(name: "big", dtype: .u8, shape: [300], bytes: (0..<300).map { UInt8($0 % 256) }),
            .init(name: "s", shape: [], values: [7]),
            .init(name: "none", shape: [0, 4], values: []),
        ], to: path)
        let reader = try CheckpointReader(path: path)
        let values = try Dictionary(uniqueKeysWithValues: reader.checkpoint.tensors.map { ($0.name, try readAllFloats(reader, $0)) })
        #expect(values["w"] == [1, 2, 3, 4, 5, 6])
        #expect(values["h"] == [0.5, -1, 65504])
        #expect(values["b"] == [0.25, -8])
        #expect(values["ids"] == [5, -1])
        #expect(values["flags"] == [1, 0])
        #expect(values["big"] == (0..<300).map { Float($0 % 256) })
        #expect(values["s"] == [7])
        #expect(values["none"] == [])
        #expect(reader.checkpoint.tensors.first { $0.name == "none" }?.shape == [0, 4])
        #expect(reader.checkpoint.files[0].metadata["archive"] == "pytorch_model")
        #expect(reader.checkpoint.tensors.filter { $0.byteCount > 0 }.allSatisfy { $0.offset % 64 == 0 }, "records are 64-byte aligned")
    }
}

@Suite("PyTorch refusals: malicious pickles, legacy files, broken archives")
struct PyTorchRefusalTests {
    let directory: FormatTestDirectory

    init() throws { directory = try FormatTestDirectory() }

    func expectError(_ path: String, tensor: String? = nil, _ rule: CheckpointError.PyTorchRule, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = checkpointError { _ = try CheckpointReader(path: path) }
        #expect(error == CheckpointError(file: path, tensor: tensor, rule: .pytorch(rule)), sourceLocation: sourceLocation)
    }

    @Test("pickles that would run code are refused at the offending global or opcode", arguments: [
        ("os_system.bin", CheckpointError.PyTorchRule.globalNotAllowed("os.system")),
        ("eval_stack_global.bin", .globalNotAllowed("builtins.eval")),
        ("nested_reduce.bin", .globalNotAllowed("posix.system")),
        ("module_class.bin", .globalNotAllowed("torch.nn.modules.linear.Linear")),
        ("newobj.bin", .opcodeNotAllowed(opcode: 0x81, name: "NEWOBJ")),
        ("inst.bin", .opcodeNotAllowed(opcode: 0x69, name: "INST")),
    ])
    func malicious(file: String, rule: CheckpointError.PyTorchRule) throws {
        let path = FormatFixtures.path("PyTorch/malicious/\(file)")
        expectError(path, rule)
        let message = try #require(checkpointError { _ = try CheckpointReader(path: path) }).description
        #expect(message.contains("refused"))
        if case .globalNotAllowed(let name) = rule { #expect(message.contains("'\(name)'")) }
    }

    @Test("a whole module torch.save (2.13) wrote — torch.save(model), not its state_dict — is refused at the module's class")
    func realWholeModule() {
        expectError(FormatFixtures.path("PyTorch/real/whole_module.pt"), .globalNotAllowed("__main__.Tiny"))
    }

    @Test("legacy (pre-1.6) pickles and non-contiguous views are refused with their own rule")
    func legacyAndViews() {
        expectError(FormatFixtures.path("PyTorch/legacy.bin"), .legacyFormat)
        expectError(FormatFixtures.path("PyTorch/transposed.bin"), tensor: "t.weight", .nonContiguous(shape: [3, 2], stride: [1, 3]))
    }

    @Test("broken zip structure: each corruption has its own error")
    func brokenZips() throws {
        let original = ZipBytes(bytes: try FormatFixtures.bytes("PyTorch/tiny/pytorch_model.bin"))
        func write(_ zip: ZipBytes) throws -> String { try directory.write(zip.bytes, to: "\(UUID().uuidString).bin") }

        var zip = original
        zip.bytes.removeLast(30)
        expectError(try write(zip), .notZip)

        zip = original
        let pickleRecord = zip.centralRecord("pytorch_model/data.pkl")
        zip.set32(pickleRecord + 16, UInt32(zip.u32(pickleRecord + 16)) ^ 1)
        expectError(try write(zip), .zipChecksumMismatch(entry: "pytorch_model/data.pkl"))

        zip = original
        zip.set16(pickleRecord + 10, 8)
        expectError(try write(zip), .zipEntryCompressed(entry: "pytorch_model/data.pkl", method: 8))

        zip = original
        zip.set16(pickleRecord + 8, 1)
        expectError(try write(zip), .zipEntryEncrypted(entry: "pytorch_model/data.pkl"))

        zip = original
        let dataRecord = zip.centralRecord("pytorch_model/data/0")
        let directoryOffset = UInt64(zip.u32(zip.endRecord + 16))
        zip.set32(dataRecord + 20, 1 << 30)
        zip.set32(dataRecord + 24, 1 << 30)
        let localOffset = zip.u32(dataRecord + 42)
        let dataOffset = UInt64(localOffset + 30 + zip.u16(localOffset + 26) + zip.u16(localOffset + 28))
        expectError(try write(zip), .zipEntryBeyondFile(entry: "pytorch_model/data/0", end: dataOffset + (1 << 30), limit: directoryOffset))

        zip = original
        let secondRecord = zip.centralRecord("pytorch_model/data/1")
        zip.set32(secondRecord + 42, UInt32(zip.u32(dataRecord + 42)))
        expectError(try write(zip), .zipEntriesOverlap(entry: "pytorch_model/data/1", other: "pytorch_model/data/0"))

        zip = original
        zip.bytes[secondRecord + 46 + "pytorch_model/data/".count] = UInt8(ascii: "0")
        expectError(try write(zip), .zipDuplicateEntry(entry: "pytorch_model/data/0"))

        zip = original
        zip.bytes[secondRecord + 46 + "pytorch_model/data/".count] = UInt8(ascii: "9")
        expectError(try write(zip), tensor: "a.bias", .missingRecord("pytorch_model/data/1"))

        zip = original
        zip.set32(dataRecord + 20, 40)
        zip.set32(dataRecord + 24, 40)
        expectError(try write(zip), tensor: "a.weight", .storageSizeMismatch(record: "pytorch_model/data/0", expectedBytes: 48, actualBytes: 40))

        zip = original
        zip.set32(zip.endRecord, 0)
        expectError(try write(zip), .notZip)

        zip = original
        zip.set32(zip.u32(zip.endRecord + 16), 0x1234_5678)
        let centralStart = zip.u32(zip.endRecord + 16)
        expectError(try write(zip), .zipInvalid(reason: "central directory record at byte \(centralStart) is malformed"))

        zip = original
        zip.set16(zip.endRecord + 10, 60000)
        zip.set16(zip.endRecord + 8, 60000)
        let directorySize = zip.u32(zip.endRecord + 12)
        expectError(try write(zip), .zipInvalid(reason: "it declares 60000 records, more than its \(directorySize)-byte central directory can hold"))
    }

    @Test("archive records: big-endian byte order, missing or duplicated data.pkl")
    func archiveRecords() throws {
        let pickle = Array(try FormatFixtures.bytes("PyTorch/tiny/pytorch_model.bin"))  // any bytes; not reached
        _ = pickle
        let big = directory.path("big.bin")
        try PyTorchWriter.writeZip([("m/data.pkl", [0x80, 0x02, 0x7D, 0x2E]), ("m/byteorder", Array("big".utf8))], to: big)
        expectError(big, .bigEndian)
        let none = directory.path("none.bin")
        try PyTorchWriter.writeZip([("m/byteorder", Array("little".utf8))], to: none)
        expectError(none, .missingRecord("<archive>/data.pkl"))
        let two = directory.path("two.bin")
        try PyTorchWriter.writeZip([("a/data.pkl", [0x80, 0x02, 0x7D, 0x2E]), ("b/data.pkl", [0x80, 0x02, 0x7D, 0x2E])], to: two)
        expectError(two, .ambiguousArchive(["a/data.pkl", "b/data.pkl"]))
        let empty = directory.path("empty.bin")
        try PyTorchWriter.writeZip([("m/data.pkl", [0x80, 0x02, 0x7D, 0x2E])], to: empty)
        #expect(try CheckpointReader(path: empty).checkpoint.tensors.isEmpty)
    }

    /// A pickle body wrapped as `m/data.pkl` with one 4-float storage record `m/data/0`.
    func archive(_ body: [UInt8]) throws -> String {
        let path = directory.path("\(UUID().uuidString).bin")
        try PyTorchWriter.writeZip([("m/data.pkl", [0x80, 0x02] + body + [0x2E]), ("m/data/0", [UInt8](repeating: 0, count: 16))], to: path)
        return path
    }

    static func global(_ module: String, _ name: String) -> [UInt8] { [0x63] + Array("\(module)\n\(name)\n".utf8) }
    static func string(_ text: String) -> [UInt8] { [0x58] + withUnsafeBytes(of: UInt32(text.utf8.count).littleEndian) { Array($0) } + Array(text.utf8) }
    static func storage(_ count: UInt8, type: String = "FloatStorage") -> [UInt8] {
        [0x28] + string("storage") + global("torch", type) + string("0") + string("cpu") + [0x4B, count, 0x74, 0x51]
    }
    /// `{"t": _rebuild_tensor_v2(storage, offset, shape, stride, False, OrderedDict())}`
    static func tensor(storage: [UInt8], offset: UInt8, shape: [UInt8], stride: [UInt8]) -> [UInt8] {
        [0x7D] + string("t") + global("torch._utils", "_rebuild_tensor_v2") + [0x28] + storage + [0x4B, offset]
            + [0x28] + shape.flatMap { [0x4B, $0] } + [0x74] + [0x28] + stride.flatMap { [0x4B, $0] } + [0x74]
            + [0x89] + global("collections", "OrderedDict") + [0x29, 0x52, 0x74, 0x52, 0x73]
    }

    @Test("malformed pickles and invalid tensor descriptions")
    func malformedPickles() throws {
        let valid = try archive(Self.tensor(storage: Self.storage(4), offset: 0, shape: [2, 2], stride: [2, 1]))
        let reader = try CheckpointReader(path: valid)
        #expect(reader.checkpoint.tensors.map(\.shape) == [[2, 2]])

        var path = try archive(Self.tensor(storage: Self.storage(4), offset: 1, shape: [2, 2], stride: [2, 1]))
        expectError(path, tensor: "t", .tensorBeyondStorage(neededElements: 5, storageElements: 4))

        path = try archive(Self.tensor(storage: Self.storage(4, type: "QInt8Storage"), offset: 0, shape: [4], stride: [1]))
        expectError(path, .unsupportedStorage("torch.QInt8Storage"))

        path = try archive(Self.global("torch", "FloatStorage") + [0x29, 0x52])
        expectError(path, .callNotAllowed("torch.FloatStorage"))

        path = try archive(Self.string("not a storage") + [0x51])
        expectError(path, .callNotAllowed("persistent_load of anything but a storage"))

        path = try archive([0x68, 0x05])
        expectError(path, .pickleMalformed("memo entry 5 is read before it is written"))

        path = try archive([0x7D, 0x7D, 0x62])
        #expect(try CheckpointReader(path: path).checkpoint.tensors.isEmpty, "BUILD of a dict state on a dict (state_dict._metadata) is accepted")
        path = try archive([0x5D, 0x7D, 0x62])
        expectError(path, .callNotAllowed("BUILD (setting state) on a list"))

        path = try archive([0x52])
        expectError(path, .pickleMalformed("an opcode pops from an empty stack"))

        let truncated = directory.path("truncated.bin")
        try PyTorchWriter.writeZip([("m/data.pkl", [0x80, 0x02, 0x7D])], to: truncated)
        expectError(truncated, .pickleMalformed("the pickle ends before its STOP opcode"))

        path = try archive([0x7D, 0x7D])
        expectError(path, .pickleMalformed("values are left on the stack at STOP"))

        path = try archive([0x30])
        expectError(path, .opcodeNotAllowed(opcode: 0x30, name: "POP"))
    }

    /// Found by `make fuzz`: 50 000 nested one-element tuples overflowed the stack when the
    /// value was released (a crash, not an error). Nesting is now refused while building.
    @Test("deep nesting and self-containing lists are refused, not a stack overflow")
    func deepNesting() throws {
        var path = try archive([0x7D] + [UInt8](repeating: 0x85, count: 50_000))  // EMPTY_DICT, TUPLE1 × 50 000
        expectError(path, .pickleMalformed("containers nest deeper than 32 levels"))
        // A list appended to itself over and over (BINPUT 0, then BINGET 0 + APPEND repeatedly).
        path = try archive([0x5D, 0x71, 0x00] + [UInt8](repeating: 0, count: 40).flatMap { _ in [0x68, 0x00, 0x61] as [UInt8] })
        expectError(path, .pickleMalformed("containers nest deeper than 32 levels"))
        // Lists nested 32 deep are fine.
        path = try archive([0x5D] + (0..<31).flatMap { _ in [0x5D, 0x61] as [UInt8] })
        #expect(try CheckpointReader(path: path).checkpoint.tensors.isEmpty)
    }

    @Test("a small pickle whose shared tuples make an exponentially large tree is refused, not walked for ever")
    func exponentialSharing() throws {
        // NONE, then 30 × (BINPUT i, BINGET i, TUPLE2): x → (x, x), 2^30 leaves in ~150 bytes.
        var body: [UInt8] = [0x4E]
        for level in 0..<30 { body += [0x71, UInt8(level), 0x68, UInt8(level), 0x86] }
        let path = try archive(body)
        expectError(path, .pickleMalformed("the object has more than \(1 << 22) values to walk (containers are shared over and over)"))
    }
}
