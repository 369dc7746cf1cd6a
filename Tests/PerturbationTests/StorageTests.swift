import Checkpoints
import Foundation
import Perturbation
import SyntheticModels
import Testing

/// Reading and writing checkpoints, and the storage-only attacks, checked on disk.
@Suite("Checkpoint storage")
struct StorageTests {
    func files(in directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    @Test("write then read keeps names, order, shapes, values, dtypes and the architecture", arguments: Models.allSpecs)
    func roundTrip(spec: TransformerSpec) throws {
        let directory = Models.temporaryDirectory()
        let model = Models.checkpoint(spec)
        try model.write(to: directory + "/out")
        #expect(try files(in: directory + "/out") == ["config.json", "model.safetensors"])
        let reread = try CheckpointModel.read(from: directory + "/out")
        #expect(reread.spec == spec)
        #expect(reread.entries.map(\.name) == model.entries.map(\.name))
        #expect(reread.entries.map(\.tensor.shape) == model.entries.map(\.tensor.shape))
        #expect(reread.entries.map(\.tensor.values) == model.entries.map(\.tensor.values))
        #expect(reread.entries.allSatisfy { $0.storageDType == .f32 && $0.isFloatingPoint })
        #expect(reread.metadata == ["format": "pt"])
    }

    @Test("head counts come from config.json; without it they are guessed (head width 64, 128, 32, 16 or 8)")
    func headsFromConfig() throws {
        let directory = Models.temporaryDirectory()
        try Models.checkpoint(.smallLlamaGQA).write(to: directory + "/with")
        #expect(try CheckpointModel.read(from: directory + "/with").spec?.headCount == 8)
        #expect(try CheckpointModel.read(from: directory + "/with").spec?.keyValueHeadCount == 2)
        try FileManager.default.removeItem(atPath: directory + "/with/config.json")
        let guessed = try CheckpointModel.read(from: directory + "/with/model.safetensors").spec
        #expect(guessed?.headCount == 4 && guessed?.keyValueHeadCount == 1 && guessed?.layerCount == 6)  // 64 does not divide the key width 32; 32 does
    }

    /// A BERT laid out like the real all-MiniLM-L6-v2: I64 position_ids, pooler, config and tokenizer files.
    func miniLMLike(in directory: String) throws -> String {
        var weights = Models.rich(.tinyBERT)
        weights.tensors.insert(.init(name: "embeddings.position_ids", shape: [1, 64], values: (0..<64).map(Float.init)), at: 0)
        var rng = SplitMix64(seed: 3)
        weights.tensors.append(.init(name: "pooler.dense.weight", shape: [64, 64], values: (0..<4096).map { _ in rng.nextGaussian() * 0.1 }))
        weights.tensors.append(.init(name: "pooler.dense.bias", shape: [64], values: (0..<64).map { _ in rng.nextGaussian() * 0.1 }))
        var model = CheckpointModel(weights)
        model.entries[0].storageDType = .i64
        model.entries[0].isFloatingPoint = false
        model.companionFiles = [.init(name: "tokenizer.json", bytes: Array("{\"version\":\"1.0\"}".utf8))]
        try model.write(to: directory + "/in")
        try "# a model card naming the origin".write(toFile: directory + "/in/README.md", atomically: true, encoding: .utf8)
        return directory + "/in"
    }

    @Test("integer buffers and companion files survive; the model card is left behind")
    func realLayout() throws {
        let directory = Models.temporaryDirectory()
        let input = try miniLMLike(in: directory)
        var model = try CheckpointModel.read(from: input)
        #expect(model.spec?.family == .bert && model.spec?.headCount == 4)
        #expect(model.entries[0].storageDType == .i64 && !model.entries[0].isFloatingPoint)
        let original = model
        let before = try Models.forward(model)
        _ = try HiddenPermutation(seed: 2).apply(to: &model)
        // The pooler reads the permuted stream (columns permuted), so its output is unchanged.
        let p = HiddenPermutation(seed: 2).permutation(hiddenSize: 64)
        let pooler = try Models.tensor(original, "pooler.dense.weight"), permutedPooler = try Models.tensor(model, "pooler.dense.weight")
        for r in 0..<64 { for c in 0..<64 { #expect(permutedPooler.values[r * 64 + c] == pooler.values[r * 64 + p[c]]) } }
        #expect(try Models.tensor(model, "pooler.dense.bias").values == Models.tensor(original, "pooler.dense.bias").values)
        let after = try Models.forward(model)
        for t in 0..<before.rows { for i in 0..<64 { #expect(abs(after[t, i] - before[t, p[i]]) < 1e-9) } }

        _ = try DTypeConversion(target: .bf16).apply(to: &model)
        try model.write(to: directory + "/out")
        #expect(try files(in: directory + "/out") == ["config.json", "model.safetensors", "tokenizer.json"])
        let reader = try CheckpointReader(path: directory + "/out")
        #expect(reader.checkpoint.tensor(named: "embeddings.position_ids")?.dtype == .i64)
        #expect(reader.checkpoint.tensor(named: "pooler.dense.weight")?.dtype == .bf16)
        let reread = try CheckpointModel.read(from: directory + "/out")
        #expect(reread.entries[0].tensor.values == (0..<64).map(Float.init))
        #expect(reread.companionFiles == [.init(name: "tokenizer.json", bytes: Array("{\"version\":\"1.0\"}".utf8))])
    }

    @Test("transposed storage writes (in, out) matrices and leaves embeddings alone")
    func transposed() throws {
        let directory = Models.temporaryDirectory()
        var model = Models.checkpoint(.tinyLlama)
        let record = try TransposedStorage().apply(to: &model)
        #expect(record.parameters["tensors"] == .integer(4 * 7 + 1))
        try model.write(to: directory + "/out")
        let reread = try CheckpointModel.read(from: directory + "/out")
        let original = Models.checkpoint(.tinyLlama)
        let up = try Models.tensor(reread, "model.layers.1.mlp.up_proj.weight")
        #expect(up.shape == [64, 176])
        #expect(up.values == transposedValues(try Models.tensor(original, "model.layers.1.mlp.up_proj.weight").values, rows: 176, columns: 64))
        #expect(try Models.tensor(reread, "model.embed_tokens.weight").shape == [512, 64])
        #expect(try Models.tensor(reread, "lm_head.weight").shape == [64, 512])
    }

    @Test("re-sharding writes N balanced shards and an index that reads back", arguments: [2, 3, 7])
    func reshard(shards: Int) throws {
        let directory = Models.temporaryDirectory()
        var model = Models.checkpoint(.smallLlamaGQA)
        _ = try Resharding(shards: shards).apply(to: &model)
        let written = try model.write(to: directory + "/out")
        #expect(written == CheckpointModel.shardFileNames(count: shards))
        #expect(try files(in: directory + "/out") == (["config.json", CheckpointModel.shardIndexName] + written).sorted())
        let reader = try CheckpointReader(path: directory + "/out")
        #expect(reader.checkpoint.layout == .shardedIndex)
        #expect(reader.checkpoint.files.count == shards)
        let sizes = reader.checkpoint.files.map { Double($0.size) }
        let largestTensor = Double(model.entries.map { $0.tensor.values.count * 4 }.max()!)
        let fair = sizes.reduce(0, +) / Double(shards)
        #expect(sizes.allSatisfy { abs($0 - fair) <= largestTensor }, "shard sizes \(sizes)")
        let reread = try CheckpointModel.read(from: directory + "/out")
        #expect(reread.entries.map(\.name) == model.entries.map(\.name))
        #expect(reread.entries.map(\.tensor.values) == model.entries.map(\.tensor.values))
        #expect(reread.shardCount == shards)
        var tooMany = model
        #expect(throws: PerturbationError.self) { try Resharding(shards: model.entries.count + 1).apply(to: &tooMany) }
    }

    @Test("metadata edits reach every file")
    func metadata() throws {
        let directory = Models.temporaryDirectory()
        var model = Models.checkpoint(.tinyBERT)
        _ = try MetadataEdit(set: ["origin": "my own model"], clear: true).apply(to: &model)
        _ = try Resharding(shards: 2).apply(to: &model)
        try model.write(to: directory + "/out")
        let reader = try CheckpointReader(path: directory + "/out")
        #expect(reader.checkpoint.files.allSatisfy { $0.metadata == ["origin": "my own model"] })
    }

    @Test("renaming to the GPT scheme maps every role and shuffles the order")
    func renameGPT() throws {
        let original = Models.checkpoint(.tinyLlama)
        var model = original
        let mapping = try TensorRenaming(scheme: .gpt, seed: 4).names(for: model)
        let record = try TensorRenaming(scheme: .gpt, seed: 4).apply(to: &model)
        #expect(record.parameters["names"] == .map(mapping))
        #expect(mapping["model.layers.2.mlp.gate_proj.weight"] == "transformer.h.2.mlp.w1.weight")
        #expect(mapping["model.layers.0.self_attn.o_proj.weight"] == "transformer.h.0.attn.c_proj.weight")
        #expect(mapping["model.embed_tokens.weight"] == "transformer.wte.weight")
        #expect(Set(model.entries.map(\.name)) == Set(mapping.values))
        #expect(model.entries.map(\.name) != original.entries.map { mapping[$0.name]! }, "order not shuffled")
        for entry in original.entries {
            #expect(try Models.tensor(model, mapping[entry.name]!).values == entry.tensor.values)
        }
        let bert = try TensorRenaming(scheme: .gpt, seed: 4).names(for: Models.checkpoint(.tinyBERT))
        #expect(bert["encoder.layer.3.intermediate.dense.bias"] == "transformer.h.3.mlp.c_fc.bias")
        #expect(bert["embeddings.LayerNorm.weight"] == "transformer.ln_emb.weight")
        #expect(Set(bert.values).count == bert.count)
    }

    @Test("opaque renaming gives unique meaningless names")
    func renameOpaque() throws {
        var model = Models.checkpoint(.tinyBERT)
        _ = try TensorRenaming(scheme: .opaque, seed: 4).apply(to: &model)
        #expect(Set(model.entries.map(\.name)).count == model.entries.count)
        #expect(model.entries.allSatisfy { $0.name.count == 17 && $0.name.hasPrefix("t") && UInt64($0.name.dropFirst(), radix: 16) != nil })
    }

    @Test("an existing output is refused unless overwriting, and replaced whole")
    func overwrite() throws {
        let directory = Models.temporaryDirectory()
        let model = Models.checkpoint(.tinyBERT)
        try model.write(to: directory + "/out", extraFiles: [.init(name: "old.txt", bytes: [1])])
        #expect(throws: PerturbationError(file: directory + "/out", rule: .outputExists)) { try model.write(to: directory + "/out") }
        try model.write(to: directory + "/out", overwrite: true)
        #expect(try files(in: directory + "/out") == ["config.json", "model.safetensors"])
        #expect(try files(in: directory) == ["out"])
    }

    @Test("a failing write leaves nothing behind")
    func noPartialWrites() throws {
        let directory = Models.temporaryDirectory()
        var model = Models.checkpoint(.tinyBERT)
        model.entries.append(.init(tensor: .init(name: "ids", shape: [2], values: [1, 0.5]), storageDType: .i64))
        _ = try Resharding(shards: 3).apply(to: &model)
        #expect(throws: PerturbationError.self) { try model.write(to: directory + "/out") }
        do {
            try model.write(to: directory + "/out")
        } catch {
            #expect(error.tensor == "ids")
            #expect(error.description.contains("not an integer"))
        }
        #expect(try files(in: directory).isEmpty)
    }

    @Test("unreadable input gives the checkpoint error")
    func badInput() throws {
        let directory = Models.temporaryDirectory()
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: directory + "/model.safetensors"))
        #expect(throws: PerturbationError.self) { try CheckpointModel.read(from: directory) }
        do { _ = try CheckpointModel.read(from: directory) } catch {
            guard case .checkpoint(let inner) = error.rule else { Issue.record("\(error)"); return }
            #expect(inner.rule == .fileShorterThanHeaderLength(fileSize: 3))
        }
    }
}

@Suite("Writing ModelWeights")
struct ModelWeightsWritingTests {
    @Test("ModelWeights written with a dtype, shards and transposition read back as the rounded weights")
    func writeWeights() throws {
        let directory = Models.temporaryDirectory()
        let weights = Models.rich(.tinyBERT)
        let files = try CheckpointModel.write(weights, to: directory + "/out", dtype: .bf16, shards: 2, transposed: true)
        #expect(files.count == 2)
        let reader = try CheckpointReader(path: directory + "/out")
        #expect(reader.checkpoint.tensor(named: "encoder.layer.0.intermediate.dense.weight")?.shape == [64, 256])
        #expect(reader.checkpoint.tensors.allSatisfy { $0.dtype == .bf16 })
        let reread = try CheckpointModel.read(from: directory + "/out")
        // Transposed matrices are not mistaken for another architecture.
        #expect(reread.spec == nil)
        #expect(reread.architectureNote?.contains("transposed") == true)
        try CheckpointModel.write(weights, to: directory + "/plain", dtype: .bf16, shards: 2)
        #expect(try CheckpointModel.read(from: directory + "/plain").spec == weights.spec)
        let original = weights["encoder.layer.0.attention.self.query.bias"]!.values
        #expect(try Models.tensor(reread, "encoder.layer.0.attention.self.query.bias").values
                == original.map { FloatBits.bfloat16(FloatEncoding.bfloat16Bits($0)) })
    }

    @Test("fp8-block, nvfp4, int4, int4-asym, int4-actorder, int3 and int2 resharded: the index lists every written tensor (scale companions, packed codes) and reads back",
          arguments: [DTypeConversion.Target.fp8Block, .nvfp4, .int4, .int4Asymmetric, .int4ActivationOrder, .int3, .int2])
    func scaledStorageResharded(target: DTypeConversion.Target) throws {
        let directory = Models.temporaryDirectory()
        var model = Models.checkpoint(.smallLlamaGQA)
        let original = model
        _ = try DTypeConversion(target: target).apply(to: &model)
        _ = try Resharding(shards: 3).apply(to: &model)
        try model.write(to: directory + "/out")
        // Before the index listed the companions, the reader refused fp8-block shards ("not listed in the weight_map").
        let reader = try CheckpointReader(path: directory + "/out")
        let scaled = reader.checkpoint.tensors.filter { $0.scale != nil }
        #expect(scaled.count == 6 * 7, "\(target)")
        // What perturb reports having written: every entry and every companion, no more, no fewer.
        #expect(model.entries.count + model.companionCounts.reduce(0) { $0 + $1.count } == reader.checkpoint.tensors.count, "\(model.companionCounts)")
        let repacked = target == .nvfp4 ? "F4 as U8" : target == .int3 || target == .int2 ? "U8 as I32" : "I4 as I32"
        #expect(model.repackedValueCounts == (target == .fp8Block ? [:] : [repacked: 6 * 7]))
        let expected: (DType, [String]) = switch target {
        case .nvfp4: (.f4, ["_scale", "_scale_2"])
        case .int4: (.i4, ["_scale", "_shape"])
        case .int4Asymmetric: (.i4, ["_scale", "_zero_point", "_shape"])
        case .int4ActivationOrder: (.i4, ["_scale", "_g_idx", "_shape"])
        case .int3, .int2: (.u8, ["_scale", "_shape"])
        default: (.f8E4M3, ["_scale_inv"])
        }
        for weight in scaled {
            #expect(weight.dtype == expected.0, "\(weight.name)")
            for suffix in expected.1 { #expect(reader.checkpoint.tensor(named: weight.name + suffix)?.scaledWeight == weight.name, "\(weight.name + suffix)") }
        }
        if target == .int4ActivationOrder {
            _ = try Self.expectActivationOrder(reader, original: original)
            let recipe = try String(contentsOfFile: directory + "/out/recipe.yaml", encoding: .utf8)
            #expect(recipe.contains("GPTQModifier:") && recipe.contains("scheme: W4A16\n      actorder: group\n"), "\(recipe)")
        } else if [.int4, .int4Asymmetric, .int3, .int2].contains(target) {
            // compressed-tensors' names: the codes are stored as NAME_packed (I32), NAME itself is not a stored tensor.
            let weight = try #require(reader.checkpoint.tensor(named: "model.layers.0.mlp.down_proj.weight"))
            #expect(weight.storedName == "model.layers.0.mlp.down_proj.weight_packed")
            #expect(weight.scale?.blockColumns == 128 || weight.scale?.granularity == .row)
            #expect((weight.scale?.zeroPoints?.storage == .rowWords) == (target == .int4Asymmetric))
            // Values within half a step of the originals: symmetric, step = group maximum / 7.5 (the
            // maximum is clamped from 7.5 to 7 steps, so ≈ 0.53 of a step there; / 3.5 and / 1.5 at 3
            // and 2 bits); asymmetric, step = (max(maximum, 0) − min(minimum, 0)) / 15; all rounded to BF16.
            #expect(weight.packing?.order == (target == .int3 ? .packQuantizedDense3 : target == .int2 ? .packQuantized2 : nil))
            let entry = try #require(original.entries.first { $0.name == weight.name })
            var values = [Float](repeating: 0, count: weight.elementCount)
            try values.withUnsafeMutableBufferPointer { try reader.readElements(of: weight, range: 0..<weight.elementCount, into: $0) }
            let group = weight.scale!.blockColumns
            for start in stride(from: 0, to: values.count, by: group) {
                let run = entry.tensor.values[start..<(start + group)]
                let halfRange: Float = target == .int3 ? 3.5 : target == .int2 ? 1.5 : 7.5
                let step = target == .int4Asymmetric ? (max(run.max()!, 0) - min(run.min()!, 0)) / 15 : run.map(abs).max()! / halfRange
                for index in start..<(start + group) {
                    #expect(abs(values[index] - entry.tensor.values[index]) <= step * 0.55 + 1e-9, "element \(index)")
                }
            }
        }
        let reread = try CheckpointModel.read(from: directory + "/out")
        #expect(reread.entries.map(\.name).sorted() == original.entries.map(\.name).sorted())
    }

    /// int4-actorder: each group is 128 columns of equal rank by squared norm (every column of a
    /// group at least as strong as every column of the next), recorded in `NAME_g_idx`; each value
    /// within half a step (its row's group maximum / 7.5) of the original. Returns how many
    /// matrices have their groups out of column order.
    static func expectActivationOrder(_ reader: CheckpointReader, original: CheckpointModel) throws -> Int {
        var reordered = 0
        for weight in reader.checkpoint.tensors where weight.scale != nil {
            let scale = try #require(weight.scale), (rows, columns) = (weight.shape[0], weight.shape[1])
            #expect(scale.columnGroupIndex?.name == weight.name + "_g_idx")
            let indices = try #require(try reader.scaleFactors(of: weight)?.columnGroups, "\(weight.name)")
            let groups = columns / (scale.granularity == .row ? columns : scale.blockColumns)
            #expect(Dictionary(grouping: indices, by: { $0 }).mapValues(\.count) == Dictionary(uniqueKeysWithValues: (0..<groups).map { (Int32($0), columns / groups) }))
            if zip(indices, indices.dropFirst()).contains(where: { $0 > $1 }) { reordered += 1 }
            let entry = try #require(original.entries.first { $0.name == weight.name })
            let norms = (0..<columns).map { column in (0..<rows).reduce(0.0) { $0 + Double(entry.tensor.values[$1 * columns + column]) * Double(entry.tensor.values[$1 * columns + column]) } }
            for group in 0..<(groups - 1) {
                let weakest = (0..<columns).filter { indices[$0] == group }.map { norms[$0] }.min()!
                let strongestNext = (0..<columns).filter { indices[$0] == group + 1 }.map { norms[$0] }.max()!
                #expect(weakest >= strongestNext, "\(weight.name) group \(group)")
            }
            var values = [Float](repeating: 0, count: weight.elementCount)
            try values.withUnsafeMutableBufferPointer { try reader.readElements(of: weight, range: 0..<weight.elementCount, into: $0) }
            for row in 0..<rows {
                var largest = [Float](repeating: 0, count: groups)
                for column in 0..<columns { largest[Int(indices[column])] = max(largest[Int(indices[column])], abs(entry.tensor.values[row * columns + column])) }
                for column in 0..<columns {
                    let index = row * columns + column
                    #expect(abs(values[index] - entry.tensor.values[index]) <= largest[Int(indices[column])] / 7.5 * 0.55 + 1e-9, "\(weight.name) element \(index)")
                }
            }
        }
        return reordered
    }

    @Test("int4-actorder on matrices of several groups: groups of equal-rank columns, out of column order, values within half a step")
    func activationOrderedGroups() throws {
        let directory = Models.temporaryDirectory()
        let spec = TransformerSpec(family: .llama, vocabSize: 256, hiddenSize: 256, intermediateSize: 512, layerCount: 2, headCount: 4, keyValueHeadCount: 2)
        var model = Models.checkpoint(spec)
        let original = model
        _ = try DTypeConversion(target: .int4ActivationOrder).apply(to: &model)
        try model.write(to: directory + "/out")
        let reader = try CheckpointReader(path: directory + "/out")
        #expect(reader.checkpoint.tensors.filter { $0.scale?.columnGroupIndex != nil }.count == 2 * 7)
        #expect(model.companionCounts.map(\.kind) == ["group-scale", "group-index", "shape"] && model.companionCounts.allSatisfy { $0.count == 2 * 7 })
        #expect(try Self.expectActivationOrder(reader, original: original) == 2 * 7)
        // Read back by perturb as values (activation-ordered groups would not re-quantize to themselves in contiguous ones).
        let reread = try CheckpointModel.read(from: directory + "/out")
        #expect(reread.entries.filter { $0.storageDType == .f32 && $0.tensor.shape.count == 2 }.count == 2 * 7)
    }

    @Test("fp8-block: layer matrices as F8_E4M3 codes with 128 × 128 block factors (block maximum / 448), embedding and head as BF16; read back as values, written again alike")
    func fp8Block() throws {
        let directory = Models.temporaryDirectory()
        var model = Models.checkpoint(.smallLlamaGQA)
        let original = model
        let record = try DTypeConversion(target: .fp8Block).apply(to: &model)
        #expect(record.parameters["block_scaled"] == .integer(6 * 7))
        try model.write(to: directory + "/fp8")

        let reader = try CheckpointReader(path: directory + "/fp8")
        for entry in original.entries {
            let stored = try #require(reader.checkpoint.tensor(named: entry.name))
            guard let scale = stored.scale else {
                #expect(entry.tensor.shape.count == 1 || entry.name.contains("embed") || entry.name.contains("lm_head"), "\(entry.name)")
                #expect(stored.dtype == .bf16, "\(entry.name)")
                continue
            }
            #expect(stored.dtype == .f8E4M3 && scale.name == entry.name + "_scale_inv" && scale.blockRows == 128 && scale.blockColumns == 128)
            let rows = entry.tensor.shape[0], columns = entry.tensor.shape[1]
            #expect(scale.shape == [(rows + 127) / 128, (columns + 127) / 128])
            // Each factor maps its block's largest magnitude onto 448, the largest E4M3 value.
            let factors = try #require(try reader.scaleFactors(of: stored)).factors
            var largest = [Float](repeating: 0, count: factors.count)
            for (index, value) in entry.tensor.values.enumerated() {
                let cell = (index / columns / 128) * scale.shape[1] + index % columns / 128
                largest[cell] = max(largest[cell], abs(value))
            }
            #expect(factors == largest.map { $0 / 448 }, "\(entry.name)")
            // E4M3 keeps 3 fraction bits: the rounding is a few per cent of the values.
            let count = entry.tensor.values.count
            var values = [Float](repeating: 0, count: count)
            try values.withUnsafeMutableBufferPointer { try reader.readElements(of: stored, range: 0..<count, into: $0) }
            let error = zip(values, entry.tensor.values).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
            let energy = entry.tensor.values.reduce(0.0) { $0 + Double($1) * Double($1) }
            #expect((error / energy).squareRoot() < 0.04, "\(entry.name): \((error / energy).squareRoot())")
        }

        // Read as a model: values, FP8 storage and block kept, factor tensors not entries; written
        // again, the same codes come out.
        let reread = try CheckpointModel.read(from: directory + "/fp8")
        #expect(reread.entries.map(\.name) == original.entries.map(\.name))
        #expect(reread.entries.filter { $0.scaleBlock == 128 && $0.storageDType == .f8E4M3 }.count == 6 * 7)
        try reread.write(to: directory + "/again")
        let again = try CheckpointReader(path: directory + "/again")
        for tensor in reader.checkpoint.tensors where tensor.scale != nil {
            let twin = try #require(again.checkpoint.tensor(named: tensor.name))
            var first: [UInt8] = [], second: [UInt8] = []
            try reader.readChunks(of: tensor) { first += Array($0.bytes) }
            try again.readChunks(of: twin) { second += Array($0.bytes) }
            #expect(first == second, "\(tensor.name)")
        }
    }
}

// MARK: - quantization_config

extension StorageTests {
    @Test("quantized storage writes the quantization_config transformers loads it by; the reader takes GPTQ's zero convention from it; dequantizing removes it")
    func quantizationConfig() throws {
        let directory = Models.temporaryDirectory()
        var model = Models.checkpoint(.tinyLlama)
        let expected: [(DTypeConversion.Target, [String: String])] = [
            (.gptq, ["quant_method": "gptq", "bits": "4", "desc_act": "true", "sym": "true", "checkpoint_format": "gptq"]),
            (.gptq3, ["quant_method": "gptq", "bits": "3", "desc_act": "true", "sym": "true", "checkpoint_format": "gptq"]),
            (.awq, ["quant_method": "awq", "bits": "4", "zero_point": "true", "version": "gemm"]),
            (.nf4, ["quant_method": "bitsandbytes", "load_in_4bit": "true", "bnb_4bit_quant_type": "nf4"]),
            (.llmInt8, ["quant_method": "bitsandbytes", "load_in_8bit": "true", "load_in_4bit": "false"]),
            (.fp8Block, ["quant_method": "fp8", "fmt": "e4m3"]),
        ]
        func text(_ value: JSONValue?) -> String? {
            switch value {
            case .string(let text)?: text
            case .number(let text)?: text
            case .bool(let flag)?: flag ? "true" : "false"
            default: nil
            }
        }
        for (target, fields) in expected {
            var converted = model
            _ = try DTypeConversion(target: target).apply(to: &converted)
            let path = directory + "/" + target.rawValue
            try converted.write(to: path)
            let config = try StrictJSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path + "/config.json"))))
            let quantization = try #require(config["quantization_config"], "\(target)")
            for (key, value) in fields { #expect(text(quantization[key]) == value, "\(target) \(key)") }
            #expect(config["hidden_size"] != nil, "\(target): the rest of the config is kept")
            if target == .gptq || target == .awq {
                // The tiny Llama's widths (64, 172) do not all hold groups of 128: one group per column is -1 only when no matrix uses 128.
                let groups = Set(converted.entries.compactMap(\.scaleBlock))
                #expect(text(quantization["group_size"]) == (groups.contains(128) ? "128" : "-1"), "\(target) \(groups)")
            }
            if target == .gptq {
                #expect(QuantizationSettings.read(fromDirectory: path).source == #"config.json checkpoint_format "gptq""#)
            }
        }
        // Read back and stored as BF16: the config no longer claims a quantization.
        _ = try DTypeConversion(target: .gptq).apply(to: &model)
        try model.write(to: directory + "/gptq-again")
        var dequantized = try CheckpointModel.read(from: directory + "/gptq-again")
        #expect(dequantized.config?["quantization_config"] != nil)
        _ = try DTypeConversion(target: .bf16).apply(to: &dequantized)
        #expect(dequantized.config?["quantization_config"] == nil)
        #expect(dequantized.config?["hidden_size"] != nil)
    }

    @Test("converting a quantized checkpoint read back (MLX 4-bit affine) to another layout writes that layout, not the one read", arguments: [
        DTypeConversion.Target.int4, .mlxMXFP4, .nvfp4,
    ])
    func layoutDoesNotCarryOver(target: DTypeConversion.Target) throws {
        let directory = Models.temporaryDirectory()
        var model = Models.checkpoint(.tinyLlama)
        _ = try DTypeConversion(target: .mlx).apply(to: &model)
        try model.write(to: directory + "/mlx")
        var readBack = try CheckpointModel.read(from: directory + "/mlx")
        #expect(readBack.entries.contains { $0.affineBiases })
        _ = try DTypeConversion(target: target).apply(to: &readBack)
        try readBack.write(to: directory + "/converted")
        let reader = try CheckpointReader(path: directory + "/converted")
        let scaled = reader.checkpoint.tensors.filter { $0.scale != nil }
        #expect(!scaled.isEmpty && scaled.allSatisfy { $0.scale?.biases == nil }, "\(target): MLX biases left")
        switch target {
        case .int4: #expect(reader.checkpoint.tensors.contains { ($0.storedName ?? "").hasSuffix("_packed") })
        case .mlxMXFP4: #expect(scaled.allSatisfy { $0.dtype == .f4 && $0.scale?.blockColumns == 32 })
        default: #expect(scaled.allSatisfy { $0.dtype == .f4 && $0.scale?.global != nil })
        }
    }
}
