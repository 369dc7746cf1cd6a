import Checkpoints
import Fingerprinting
import Foundation
import ModelFixtures
import SyntheticModels
import Testing

/// Block-scaled FP8 checkpoints (DeepSeek-V3 layout): the fingerprint describes the scaled
/// values, so a lossless dequantization to F32 shares every canonical digest.
@Suite("Fingerprints of block-scaled FP8 weights")
struct ScaledWeightFingerprintTests {
    /// Wide enough for several 128 × 128 blocks per matrix.
    static let spec = TransformerSpec(family: .llama, vocabSize: 512, hiddenSize: 256, intermediateSize: 512, layerCount: 2, headCount: 4)

    /// Writes `model` twice into `directory`: `fp8/` with every 2-D weight but the embedding as
    /// F8_E4M3 codes plus 128 × 128 block factors, and `f32/` holding exactly the values `fp8/`
    /// decodes to. Returns both paths.
    static func writeBoth(_ model: ModelWeights, in directory: String) throws -> (fp8: String, f32: String) {
        var scaled: [SafetensorsWriter.Tensor] = [], plain: [SafetensorsWriter.Tensor] = []
        for tensor in model.tensors {
            guard tensor.shape.count == 2, !tensor.name.contains("embed") else {
                scaled.append(.init(name: tensor.name, shape: tensor.shape, values: tensor.values))
                plain.append(.init(name: tensor.name, shape: tensor.shape, values: tensor.values))
                continue
            }
            let rows = tensor.shape[0], columns = tensor.shape[1]
            let gridColumns = (columns + 127) / 128
            func cell(_ index: Int) -> Int { (index / columns / 128) * gridColumns + index % columns / 128 }
            var factors = [Float](repeating: 0, count: ((rows + 127) / 128) * gridColumns)
            for (index, value) in tensor.values.enumerated() { factors[cell(index)] = max(factors[cell(index)], abs(value) / 448) }
            let codes = tensor.values.indices.map { EightBitTable.e4m3.code(nearest: tensor.values[$0] / factors[cell($0)]) }
            scaled.append(.init(name: tensor.name, dtype: .f8E4M3, shape: tensor.shape, bytes: codes))
            scaled.append(.init(name: tensor.name + "_scale_inv", shape: [(rows + 127) / 128, gridColumns], values: factors))
            plain.append(.init(name: tensor.name, shape: tensor.shape, values: codes.indices.map { FloatBits.float8E4M3(codes[$0]) * factors[cell($0)] }))
        }
        for name in ["fp8", "f32"] { try FileManager.default.createDirectory(atPath: directory + "/" + name, withIntermediateDirectories: true) }
        try SafetensorsWriter.write(scaled, to: directory + "/fp8/model.safetensors")
        try SafetensorsWriter.write(plain, to: directory + "/f32/model.safetensors")
        return (directory + "/fp8", directory + "/f32")
    }

    @Test("weights are fingerprinted as codes × factors: same canonical digests and sketches as the exact F32 values, factors left out of the canonical root")
    func sameValuesAsDequantized() throws {
        let directory = Fixtures.temporaryDirectory("scaled")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (fp8Path, f32Path) = try Self.writeBoth(ModelGenerator.generate(Self.spec, seed: 71), in: directory)
        let fp8 = try Fingerprinter.fingerprint(path: fp8Path)
        let f32 = try Fingerprinter.fingerprint(path: f32Path)

        #expect(fp8.roots.canonical == f32.roots.canonical)
        #expect(fp8.roots.raw != f32.roots.raw)
        let plain = Dictionary(uniqueKeysWithValues: f32.tensors.map { ($0.name, $0) })
        var scaledWeights = 0
        for tensor in fp8.tensors {
            if tensor.name.hasSuffix("_scale_inv") {
                #expect(tensor.role == .quantizationScale && tensor.lshKeys.isEmpty && tensor.sketch.isEmpty, "\(tensor.name)")
                continue
            }
            let twin = try #require(plain[tensor.name])
            #expect(tensor.canonical == twin.canonical, "\(tensor.name)")
            #expect(tensor.sketch == twin.sketch, "\(tensor.name)")
            #expect(tensor.role == twin.role && tensor.lshKeys == twin.lshKeys, "\(tensor.name)")
            #expect(tensor.statistics?.mean == twin.statistics?.mean && tensor.statistics?.std == twin.statistics?.std, "\(tensor.name)")
            guard let scale = tensor.scale else {
                #expect(tensor.roundingEnergy == nil, "\(tensor.name)")
                continue
            }
            scaledWeights += 1
            #expect(tensor.dtype == "F8_E4M3" && tensor.valueGrid == "F8_E4M3", "\(tensor.name)")
            #expect(scale.tensor == tensor.name + "_scale_inv" && scale.block == [128, 128] && scale.granularity == .block)
            #expect(tensor.sha256 != twin.sha256)
            // FP8 keeps 3 fraction bits: the expected rounding is a few per cent of the norm.
            let energy = try #require(tensor.roundingEnergy)
            let relative = (energy / (tensor.statistics?.sumSquares ?? 1)).squareRoot()
            #expect(relative > 0.01 && relative < 0.05, "\(tensor.name): \(relative)")
            #expect(twin.roundingEnergy == nil && twin.scale == nil)
        }
        #expect(scaledWeights == Self.spec.layerCount * 7 + 1)
        // The structure is inferred from the weights, not from the factor grids.
        #expect(fp8.structure.hiddenSize == f32.structure.hiddenSize && fp8.structure.layerCount == f32.structure.layerCount)
    }

    @Test("the scale fields survive the file format, and the bytes do not depend on chunk size or threads")
    func formatAndDeterminism() throws {
        let directory = Fixtures.temporaryDirectory("scaled")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (fp8Path, _) = try Self.writeBoth(ModelGenerator.generate(Self.spec, seed: 72), in: directory)
        var encodings: [[UInt8]] = []
        for (threads, chunk) in [(1, 4 << 20), (3, 1000), (2, 777)] {
            var options = FingerprintOptions()
            options.threads = threads
            options.chunkBytes = chunk
            encodings.append(try Fingerprinter.fingerprint(path: fp8Path, options: options).encoded())
        }
        for encoding in encodings.dropFirst() { #expect(encoding == encodings[0]) }
        let fingerprint = try Fingerprinter.fingerprint(path: fp8Path)
        let decoded = try Fingerprint.decode(try fingerprint.encoded(), name: "scaled").fingerprint
        #expect(decoded.tensors == fingerprint.tensors)
        #expect(decoded.roots == fingerprint.roots)
        #expect(decoded.tensors.contains { $0.scale != nil })
    }

    @Test("infinite factors and infinite values still give a fingerprint file: statistics and sketches over finite values, no rounding prediction")
    func nonFinite() throws {
        let directory = Fixtures.temporaryDirectory("scaled")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let codes = (0..<(64 * 64)).map { UInt8($0 % 120) }
        var values = (0..<(64 * 64)).map { Float($0 % 97) / 97 - 0.5 }
        for index in stride(from: 0, to: values.count, by: 3) { values[index] = index % 2 == 0 ? .infinity : -.infinity }
        let path = directory + "/model.safetensors"
        try SafetensorsWriter.write([
            .init(name: "a.weight", dtype: .f8E4M3, shape: [64, 64], bytes: codes),
            .init(name: "a.weight_scale_inv", shape: [1, 1], values: [.infinity]),
            .init(name: "b.weight", shape: [64, 64], values: values),
        ], to: path)
        let fingerprint = try Fingerprinter.fingerprint(path: path)
        let decoded = try Fingerprint.decode(try fingerprint.encoded(), name: "non-finite").fingerprint
        #expect(decoded.tensors == fingerprint.tensors)
        let a = try #require(fingerprint.tensors.first { $0.name == "a.weight" })
        #expect(a.scale != nil && a.roundingEnergy == nil)
        let zeroCodes = codes.filter { $0 == 0 }.count  // 0 × ∞ is NaN
        #expect(a.statistics?.infinities == 64 * 64 - zeroCodes && a.statistics?.nans == zeroCodes)
        // Non-finite values count as 0 in sketches: nothing is left of this one.
        #expect(a.sketch.allSatisfy { $0 == 0 })
        let b = try #require(fingerprint.tensors.first { $0.name == "b.weight" }?.statistics)
        #expect(b.infinities == (64 * 64 + 2) / 3)
        #expect(b.quantiles.allSatisfy(\.isFinite) && b.quantiles.first! >= -0.5 && b.quantiles.last! <= 0.5)
        // The sketch of the finite part: the same as with the infinities written as zeros.
        let zeroedPath = directory + "/zeroed.safetensors"
        try SafetensorsWriter.write([.init(name: "b.weight", shape: [64, 64], values: values.map { $0.isFinite ? $0 : 0 })], to: zeroedPath)
        let zeroed = try #require(try Fingerprinter.fingerprint(path: zeroedPath).tensors.first)
        #expect(fingerprint.tensors.first { $0.name == "b.weight" }?.sketch == zeroed.sketch)
    }
}
