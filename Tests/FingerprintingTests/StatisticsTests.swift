import ModelFixtures
import Checkpoints
@testable import Fingerprinting
import Foundation
import SyntheticModels
import Testing

@Suite("Per-tensor statistics")
struct StatisticsTests {
    @Test("moments, extremes and counts match a Double reference; NaN and ±∞ are counted, not averaged")
    func matchesReference() throws {
        var rng = SplitMix64(seed: 41)
        var values = (0..<10_007).map { _ in 1 + 0.01 * rng.nextGaussian() }
        values[5] = .nan; values[77] = .infinity; values[78] = -.infinity; values[100] = 0; values[101] = -0.0
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try SafetensorsWriter.write([.init(name: "x", shape: [values.count], values: values)], to: directory + "/x.safetensors")
        let stats = try #require(try Fingerprinter.fingerprint(path: directory + "/x.safetensors").tensors[0].statistics)

        let finite = values.filter(\.isFinite).map(Double.init)
        let mean = finite.reduce(0, +) / Double(finite.count)
        let variance = finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(finite.count)
        let fourth = finite.reduce(0) { $0 + pow($1 - mean, 4) } / Double(finite.count)
        #expect(stats.count == values.count)
        #expect(stats.nans == 1 && stats.infinities == 2 && stats.zeros == 2)
        #expect(abs(stats.mean - mean) < 1e-9)
        #expect(abs(stats.std - variance.squareRoot()) / variance.squareRoot() < 1e-5)
        let kurtosis = fourth / (variance * variance) - 3
        #expect(abs(stats.kurtosis! - kurtosis) / abs(kurtosis) < 1e-5)
        #expect(stats.minimum == finite.min()! && stats.maximum == finite.max()!)
        #expect(abs(stats.absMean - finite.map(abs).reduce(0, +) / Double(finite.count)) < 1e-6)
        #expect(abs(stats.sumSquares - finite.reduce(0) { $0 + $1 * $1 }) / stats.sumSquares < 1e-6)
        #expect(stats.quantiles.count == TensorStatistics.quantileLevels.count)
        #expect(stats.quantiles == stats.quantiles.sorted())
        #expect(abs(stats.quantiles[4] - 1) < 0.005)  // median ≈ 1
    }

    @Test("kurtosis of narrow values around 1 (norm weights) is accurate to 1e-4")
    func narrowValues() throws {
        var rng = SplitMix64(seed: 42)
        let values = (0..<50_000).map { _ in 1.03 + 0.001 * rng.nextGaussian() }
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try SafetensorsWriter.write([.init(name: "x", shape: [values.count], values: values)], to: directory + "/x.safetensors")
        let stats = try #require(try Fingerprinter.fingerprint(path: directory + "/x.safetensors").tensors[0].statistics)
        let doubles = values.map(Double.init)
        let mean = doubles.reduce(0, +) / Double(doubles.count)
        let variance = doubles.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(doubles.count)
        let kurtosis = doubles.reduce(0) { $0 + pow($1 - mean, 4) } / Double(doubles.count) / (variance * variance) - 3
        #expect(abs(stats.kurtosis! - kurtosis) < 1e-4)
        #expect(abs(stats.std - variance.squareRoot()) / variance.squareRoot() < 1e-5)
    }
}

extension StatisticsTests {
    @Test("integer words near 2³¹ (GPTQ's packed qzeros), whose fourth powers overflow Float, get finite moments: the file fingerprints and encodes")
    func hugeIntegers() throws {
        var rng = SplitMix64(seed: 43)
        let words = (0..<10_000).map { _ in Int32(truncatingIfNeeded: rng.next()) }
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bytes = words.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
        try SafetensorsWriter.write([.init(name: "layer.qzeros", dtype: .i32, shape: [words.count], bytes: bytes)], to: directory + "/x.safetensors")
        let fingerprint = try Fingerprinter.fingerprint(path: directory + "/x.safetensors")
        _ = try fingerprint.encoded()  // an infinite kurtosis could not be written as JSON
        let stats = try #require(fingerprint.tensors[0].statistics)
        // The values as the reader decodes them (I32 → Float), moments in Double.
        let doubles = words.map { Double(Float($0)) }
        let mean = doubles.reduce(0, +) / Double(doubles.count)
        let variance = doubles.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(doubles.count)
        let kurtosis = doubles.reduce(0) { $0 + pow($1 - mean, 4) } / Double(doubles.count) / (variance * variance) - 3
        #expect(abs(stats.std - variance.squareRoot()) / variance.squareRoot() < 1e-6)
        #expect(abs(stats.kurtosis! - kurtosis) < 1e-3, "\(stats.kurtosis!) vs \(kurtosis)")  // ≈ −1.2, uniform
        #expect(abs(stats.mean - mean) / variance.squareRoot() < 1e-9)
    }
}

@Suite("Roles and structure")
struct RoleInferenceTests {
    @Test("Llama and BERT names give roles, layers and structure")
    func byName() throws {
        let llama = try Fixtures.fingerprint(ModelGenerator.generate(.smallLlamaGQA, seed: 1))
        #expect(llama.structure.family == "llama")
        #expect(llama.structure.layerCount == 6)
        #expect(llama.structure.hiddenSize == 128)
        #expect(llama.structure.intermediateSize == 352)
        #expect(llama.structure.vocabularyRows == 1024)
        #expect(!llama.structure.tiedEmbeddings)
        let roles = Dictionary(uniqueKeysWithValues: llama.tensors.map { ($0.name, $0.role) })
        #expect(roles["model.layers.3.self_attn.k_proj.weight"] == .attentionKey)
        #expect(roles["model.layers.3.mlp.down_proj.weight"] == .mlpDown)
        #expect(roles["lm_head.weight"] == .outputHead)
        #expect(roles["model.norm.weight"] == .norm)
        // GQA: no V/O or Q/K profile pairing (shapes differ), only MLP.
        #expect(Set(llama.profiles.map(\.kind)) == ["mlp"])

        let bert = try Fixtures.fingerprint(ModelGenerator.generate(.tinyBERT, seed: 2))
        #expect(bert.structure.family == "bert")
        #expect(bert.structure.tiedEmbeddings)
        #expect(Set(bert.profiles.map(\.kind)) == ["mlp", "attention.vo", "attention.qk"])
    }

    @Test("unfamiliar names fall back to shapes")
    func byShape() throws {
        let model = ModelGenerator.generate(.tinyLlama, seed: 3)
        var index = 0
        let renamed = try Fixtures.fingerprint(model, layout: .init(rename: { name in
            defer { index += 1 }
            let layer = name.split(separator: ".").compactMap { Int($0) }.first.map { "blk\($0)." } ?? ""
            return layer + "t\(index)x"
        }))
        #expect(renamed.structure.hiddenSize == 64)
        let roles = renamed.tensors.map(\.role)
        #expect(roles.filter { $0 == .tokenEmbedding }.count == 1)
        #expect(roles.filter { $0 == .outputHead }.count == 1)
        #expect(roles.filter { $0 == .mlpUp }.count == 8)    // gate and up are both (176, 64)
        #expect(roles.filter { $0 == .mlpDown }.count == 4)
        #expect(roles.filter { $0 == .attentionUnknown }.count == 16)
        #expect(renamed.tensors.allSatisfy { $0.roleBasis == "shape" || $0.role == .norm })
    }
}

@Suite("Fingerprint files")
struct FingerprintFileTests {
    @Test("write → read keeps every field (profiles at F16 precision)")
    func roundTrip() throws {
        let fingerprint = try Fixtures.fingerprint(ModelGenerator.generate(.tinyBERT, seed: 51))
        let path = Fixtures.temporaryDirectory() + "/f.fingerprint.safetensors"
        try fingerprint.write(to: path, extraMetadata: ["release": "{\"name\":\"x\"}"])
        let (read, extras) = try Fingerprint.read(from: path)
        #expect(extras == ["release": "{\"name\":\"x\"}"])
        #expect(read.header == fingerprint.header)
        #expect(read.source == fingerprint.source)
        #expect(read.structure == fingerprint.structure)
        #expect(read.roots == fingerprint.roots)
        #expect(read.tensors == fingerprint.tensors)
        #expect(read.indexKeys == fingerprint.indexKeys)
        #expect(read.probe == fingerprint.probe)
        #expect(read.profiles.count == fingerprint.profiles.count)
        for (a, b) in zip(read.profiles, fingerprint.profiles) {
            #expect(a.selected == b.selected)
            #expect(zip(a.inputProfiles, b.inputProfiles).allSatisfy { abs($0 - $1) < 1e-3 })
        }
        #expect(Fingerprint.isFingerprintFile(path))
        // Saved under any name (`-o model.fp`), the file is still recognised by its content.
        let renamed = Fixtures.temporaryDirectory() + "/model.fp"
        try FileManager.default.copyItem(atPath: path, toPath: renamed)
        #expect(Fingerprint.isFingerprintFile(renamed))
        #expect(try Fingerprint.read(from: renamed).fingerprint.roots == fingerprint.roots)
    }

    @Test("a wrong format version or a missing array is rejected with a reason")
    func rejectsBadFiles() throws {
        let fingerprint = try Fixtures.fingerprint(ModelGenerator.generate(.tinyLlama, seed: 52))
        let directory = Fixtures.temporaryDirectory()
        let good = directory + "/good.safetensors"
        try fingerprint.write(to: good)
        let reader = try CheckpointReader(path: good)
        var metadata = reader.checkpoint.files[0].metadata
        metadata["format_version"] = "99"
        let bad = directory + "/v99.safetensors"
        try SafetensorsWriter.write([.init(name: "x", shape: [1], values: [0])], metadata: metadata, to: bad)
        #expect(throws: FingerprintFileError.self) { try Fingerprint.read(from: bad) }
        do {
            _ = try Fingerprint.read(from: bad)
        } catch let error as FingerprintFileError {
            #expect(error.description.contains("format version 99 is not supported"))
        }
        metadata["format_version"] = "1"
        let missing = directory + "/missing.safetensors"
        try SafetensorsWriter.write([.init(name: "x", shape: [1], values: [0])], metadata: metadata, to: missing)
        do {
            _ = try Fingerprint.read(from: missing)
            Issue.record("expected a failure")
        } catch let error as FingerprintFileError {
            #expect(error.description.contains("references array"))
        }
        #expect(!Fingerprint.isFingerprintFile(missing) == false)
    }
}

@Suite("Value grids")
struct ValueGridTests {
    @Test("values rounded to FP8 are recognised on the FP8 grid even when stored as BF16; ordinary weights are not")
    func grids() throws {
        var rng = SplitMix64(seed: 61)
        let weights = (0..<4096).map { _ in 0.02 * rng.nextGaussian() }
        // Round to E4M3 through its 256 codes: the nearest representable value.
        let codes = (0..<256).map { FloatBits.float8E4M3(UInt8($0)) }.filter(\.isFinite)
        let fp8 = weights.map { value in codes.min { abs($0 - value) < abs($1 - value) }! }
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try SafetensorsWriter.write([
            .init(name: "fp8-in-bf16", shape: [64, 64], values: fp8, as: .bf16),
            .init(name: "bf16", shape: [64, 64], values: weights, as: .bf16),
            .init(name: "f32", shape: [64, 64], values: weights, as: .f32),
            .init(name: "f16", shape: [64, 64], values: weights, as: .f16),
        ], to: directory + "/g.safetensors")
        let grids = try Fingerprinter.fingerprint(path: directory + "/g.safetensors").tensors.map { $0.valueGrid }
        #expect(grids == ["F8_E4M3", "BF16", "F32", "F16"])
    }
}
