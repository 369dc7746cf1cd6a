import Checkpoints
import Fingerprinting
import Foundation
import Matching
import ModelFixtures
import SyntheticModels
import Testing

/// W4A16 copies in compressed-tensors' `pack-quantized` format (as llm-compressor writes them).
@Suite("Packed INT4 copies are attributed with the rounding their group scales predict")
struct PackedInt4AttributionTests {
    static let lineage = FormatAttributionTests.wideLineage
    static let registry = FormatAttributionTests.wideRegistry

    /// `model` with every layer matrix quantized as compressed-tensors' symmetric INT4 per group
    /// of `group` (scale = largest magnitude / 7.5, rounded to BF16; codes round(x / scale)
    /// clamped to −8…7, packed eight per I32 word offset by 8), the rest stored as BF16.
    static func packedCopy(of model: ModelWeights, group: Int = 128, in directory: String) throws -> String {
        var tensors: [SafetensorsWriter.Tensor] = []
        for tensor in model.tensors {
            let isLayerMatrix = tensor.shape.count == 2 && tensor.name.contains(".layers.")
            guard isLayerMatrix, tensor.shape[1] % group == 0 else {
                tensors.append(.init(name: tensor.name, shape: tensor.shape, values: tensor.values, as: .bf16))
                continue
            }
            let (rows, columns) = (tensor.shape[0], tensor.shape[1])
            var scales: [Float] = [], codes: [Int] = []
            for row in 0..<rows {
                for start in stride(from: 0, to: columns, by: group) {
                    let values = tensor.values[(row * columns + start)..<(row * columns + start + group)]
                    let largest = values.map(abs).max()!
                    let scale = FloatBits.bfloat16(FloatEncoding.bfloat16Bits(largest > 0 ? largest / 7.5 : 1))
                    scales.append(scale)
                    codes += values.map { Int(max(-8, min(7, ($0 / scale).rounded()))) }
                }
            }
            var packed: [UInt8] = []
            for word in 0..<(codes.count / 8) {
                var value: UInt32 = 0
                for i in 0..<8 { value |= UInt32(codes[word * 8 + i] + 8) << (4 * i) }
                withUnsafeBytes(of: value.littleEndian) { packed.append(contentsOf: $0) }
            }
            let base = tensor.name
            tensors.append(.init(name: base + "_packed", dtype: .i32, shape: [rows, columns / 8], bytes: packed))
            tensors.append(.init(name: base + "_scale", shape: [rows, columns / group], values: scales, as: .bf16))
            tensors.append(.init(name: base + "_shape", dtype: .i64, shape: [2],
                                 bytes: [Int64(rows), Int64(columns)].flatMap { value in withUnsafeBytes(of: value.littleEndian, Array.init) }))
        }
        let path = directory + "/w4a16.safetensors"
        try SafetensorsWriter.write(tensors, to: path)
        return path
    }

    @Test("an INT4 (W4A16) copy of the release is a re-encoding whose deviation its group scales predict; the sibling's goes to the base, with the limit of what 4 bits hide")
    func copy() throws {
        let directory = Fixtures.temporaryDirectory("int4")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try Self.packedCopy(of: Self.lineage.release, in: directory)
        let opened = try CheckpointReader(path: path)
        #expect(opened.checkpoint.tensors.filter { $0.dtype == .i4 && $0.scale != nil }.count == Self.lineage.release.spec.layerCount * 7)
        let scan = Scan.run(try Fingerprinter.fingerprint(path: path), against: Self.registry)
        #expect(scan.attribution.nearest == "release@1", "\(scan.attribution.sentence)")
        #expect(scan.attribution.verdict == .reEncoded, "\(scan.attribution.sentence)")
        #expect(scan.attribution.sentence.contains("quantized to I4 with 1×128 block scales"), "\(scan.attribution.sentence)")
        let verdict = try #require(scan.candidates.first { $0.reference.label == "release@1" }).verdict
        let rounding = try #require(verdict.rounding)
        #expect(rounding.fromBlockScales && rounding.explained, "\(rounding)")
        #expect(abs(rounding.deviation / rounding.expectedRounding - 1) < 0.25, "\(rounding)")
        #expect(!verdict.evidence.contains { $0.contains("renamed") }, "\(verdict.evidence)")

        try FileManager.default.createDirectory(atPath: directory + "/sibling", withIntermediateDirectories: true)
        let sibling = Scan.run(try Fingerprinter.fingerprint(path: try Self.packedCopy(of: Self.lineage.sibling, in: directory + "/sibling")),
                               against: Self.registry)
        #expect(sibling.attribution.nearest == "base@1", "\(sibling.attribution.sentence)")
        // The sibling's fine-tune (≈ 0.05 of the norm) is smaller than what 4-bit rounding can hide
        // (≈ 0.1): attributed to the base, called a re-encoding, with the limit stated.
        let evidence = try #require(sibling.candidates.first { $0.reference.label == "base@1" }).verdict.evidence
        #expect(evidence.contains { $0.contains("would not show") }, "\(evidence)")
    }
}
