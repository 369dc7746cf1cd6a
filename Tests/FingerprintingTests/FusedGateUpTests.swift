import Checkpoints
@testable import Fingerprinting
import Foundation
import ModelFixtures
import SyntheticModels
import Testing

/// Fused gate/up tensors: each part sketched as the separate matrix a split copy stores
/// (docs/FINGERPRINT_FORMAT.md §4c).
@Suite("Fused gate/up tensors are also sketched as their two parts")
struct FusedGateUpTests {
    static let experts = 3
    static let spec = TransformerSpec(family: .llama, vocabSize: 512, hiddenSize: 128, intermediateSize: 192, layerCount: 2, headCount: 4)
    static let dense = ModelGenerator.generate(spec, seed: 910)
    static let perExpert = ModelGenerator.mixtureOfExperts(dense, experts: experts, seed: 911)

    /// `values` (`rows × cols`) transposed.
    static func transposed(_ values: [Float], rows: Int, cols: Int) -> [Float] {
        (0..<(rows * cols)).map { values[($0 % rows) * cols + $0 / rows] }
    }

    /// Checks a part against the definition applied to the separate matrices it stands for.
    func expectPart(_ part: FusedPartFingerprint, equals matrices: [[Float]], rows: Int, cols: Int, _ label: String) {
        var sum = [Double](repeating: 0, count: 64 * 64)
        for matrix in matrices {
            for (cell, value) in SketchTests.referenceSketch(matrix, rows: rows, cols: cols).enumerated() { sum[cell] += value }
        }
        let scale = sum.map(abs).max()!
        let worst = sum.indices.map { abs(Double(part.sketch[$0]) - sum[$0]) }.max()!
        #expect(worst <= 1e-5 * scale, "\(label): worst cell differs by \(worst) of \(scale)")
        let values = matrices.joined().map(Double.init)
        #expect(part.count == values.count, "\(label)")
        // Rows are summed in F32 lanes (FINGERPRINT_FORMAT §4c): good to ~1e-7 of the magnitudes.
        let squares = values.reduce(0) { $0 + $1 * $1 }
        let rms = (squares / Double(values.count)).squareRoot()
        #expect(abs(part.mean - values.reduce(0, +) / Double(values.count)) < 1e-6 * rms, "\(label)")
        #expect(abs(part.sumSquares / squares - 1) < 1e-6, "\(label)")
        // And bit for bit as the format document specifies the order of additions.
        var total = 0.0, totalSquares = 0.0
        for matrix in matrices {
            for row in 0..<rows {
                var lanes = [Float](repeating: 0, count: 8), squareLanes = [Float](repeating: 0, count: 8)
                for column in 0..<cols {
                    let value = matrix[row * cols + column]
                    lanes[column % 8] += value
                    squareLanes[column % 8] += value * value
                }
                for lane in 0..<8 {
                    total += Double(lanes[lane])
                    totalSquares += Double(squareLanes[lane])
                }
            }
        }
        #expect(part.sumSquares == totalSquares && part.mean == total / Double(part.count), "\(label)")
        #expect((part.rows, part.cols) == (rows, cols), "\(label)")
        #expect(!part.lshKeys.isEmpty, "\(label)")
    }

    @Test("each part of a fused expert stack (Llama 4 halves, gpt-oss interleaved) is the sum of the split matrices' sketches",
          arguments: [false, true])
    func stackParts(interleaved: Bool) throws {
        let fused = Fixtures.fuseGateUp(Self.perExpert, experts: Self.experts, interleaved: interleaved)
        let fingerprint = try Fixtures.fingerprint(fused)
        let stacks = fingerprint.tensors.indices.filter { fingerprint.tensors[$0].name.hasSuffix("gate_up_proj") }
        #expect(stacks.count == 2)
        #expect(fingerprint.fusedParts.count == 4)
        let (inner, hidden) = (Self.spec.intermediateSize, Self.spec.hiddenSize)
        for index in stacks {
            let tensor = fingerprint.tensors[index]
            #expect(tensor.role == .mlpGateUp && tensor.sketch.count == 64 * 64, "the fused tensor keeps its own sketch")
            let layer = try #require(tensor.layer)
            for (part, source) in [(FusedProjection.Part.gate, "w1"), (.up, "w3")] {
                let entry = try #require(fingerprint.fusedParts.first { $0.tensor == index && $0.part == part })
                #expect(entry.axis == .cols && entry.layout == (interleaved ? .interleaved : .halves))
                // Stored input-major, each part is the transpose of the expert's [I, H] projection.
                let matrices = (0..<Self.experts).map { expert in
                    Self.transposed(Self.perExpert["model.layers.\(layer).block_sparse_moe.experts.\(expert).\(source).weight"]!.values,
                                    rows: inner, cols: hidden)
                }
                expectPart(entry, equals: matrices, rows: hidden, cols: inner, "\(tensor.name) \(part)")
            }
        }
        #expect(Set(fingerprint.fusedParts.flatMap(\.lshKeys)).isSubset(of: Set(fingerprint.indexKeys.map(\.value))))
    }

    @Test("a dense fused gate_up_proj (Phi-3: gate rows, then up rows) has parts equal to the gate and up projections")
    func denseParts() throws {
        let fingerprint = try Fixtures.fingerprint(Fixtures.fuseDenseGateUp(Self.dense))
        #expect(fingerprint.fusedParts.count == 2 * Self.spec.layerCount)
        for entry in fingerprint.fusedParts {
            let name = fingerprint.tensors[entry.tensor].name.replacingOccurrences(of: "gate_up_proj", with: entry.part == .gate ? "gate_proj" : "up_proj")
            #expect(entry.axis == .rows && entry.layout == .halves)
            expectPart(entry, equals: [Self.dense[name]!.values], rows: Self.spec.intermediateSize, cols: Self.spec.hiddenSize, name)
        }
    }

    @Test("latent attention's kv_b_proj: the key and value parts are the sums over heads of each head's key and value rows, found from shapes alone")
    func keyValueParts() throws {
        let model = Fixtures.latentAttention(Self.dense)
        let fingerprint = try Fixtures.fingerprint(model)
        let heads = Self.spec.headCount, width = Self.spec.hiddenSize / heads, latent = Self.spec.hiddenSize / 2
        #expect(fingerprint.fusedParts.count == 2 * Self.spec.layerCount)
        for entry in fingerprint.fusedParts {
            let tensor = fingerprint.tensors[entry.tensor]
            #expect(tensor.name.hasSuffix("self_attn.kv_b_proj.weight") && tensor.sketch.count == 64 * 64)
            #expect(entry.axis == .rows && entry.layout == .headBlocks && entry.heads == heads)
            let values = model[tensor.name]!.values
            let offset = entry.part == .key ? 0 : width
            let matrices = (0..<heads).map { head in
                Array(values[((head * 2 * width + offset) * latent)..<((head * 2 * width + offset + width) * latent)])
            }
            expectPart(entry, equals: matrices, rows: width, cols: latent, "\(tensor.name) \(entry.part)")
        }
        // Chunking does not change them; the file keeps them; a model without the latent layout has none.
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var small = FingerprintOptions()
        small.chunkBytes = 4096 + 6
        small.threads = 1
        let chunked = try Fingerprinter.fingerprint(path: try Fixtures.write(model, to: directory), options: small)
        #expect(try chunked.encoded() == fingerprint.encoded())
        #expect(try Fingerprint.decode(try fingerprint.encoded(), name: "mla.fingerprint").fingerprint.fusedParts == fingerprint.fusedParts)
        let renamedAway = ModelWeights(spec: Self.spec, tensors: model.tensors.map {
            .init(name: $0.name.replacingOccurrences(of: "kv_a_proj_with_mqa", with: "kv_a"), shape: $0.shape, values: $0.values)
        })
        #expect(try Fixtures.fingerprint(renamedAway).fusedParts.isEmpty, "without kv_a_proj_with_mqa the heads are not known")

        // Heads that do not split the tensor, heads on a gate/up part, or none on a key part: rejected.
        var noHeads = fingerprint
        noHeads.fusedParts[0].heads = nil
        var oddHeads = fingerprint
        oddHeads.fusedParts[0].heads = 3
        var gateWithHeads = try Fixtures.fingerprint(Fixtures.fuseDenseGateUp(Self.dense))
        gateWithHeads.fusedParts[0].heads = 2
        var keyAsGate = fingerprint
        keyAsGate.fusedParts[0].part = .gate
        for (broken, message) in [(noHeads, "has no heads, which do not split tensor"), (oddHeads, "has 3 heads, which do not split tensor"),
                                  (gateWithHeads, "has heads, which only a head-blocks split has"), (keyAsGate, "outside gate/up")] {
            #expect {
                _ = try Fingerprint.decode(try broken.encoded(), name: "bad.fingerprint")
            } throws: { error in
                "\(error)".contains("bad.fingerprint") && "\(error)".contains("fused part") && "\(error)".contains(message)
            }
        }
    }

    @Test("parts do not depend on chunk size or thread count, and survive the file format")
    func determinismAndFormat() throws {
        let directory = Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try Fixtures.write(Fixtures.fuseGateUp(Self.perExpert, experts: Self.experts, interleaved: true), to: directory)
        var small = FingerprintOptions()
        small.chunkBytes = 4096 + 6  // odd column offsets at every chunk
        small.threads = 1
        let a = try Fingerprinter.fingerprint(path: path, options: small)
        let b = try Fingerprinter.fingerprint(path: path)
        #expect(try a.encoded() == b.encoded())
        let decoded = try Fingerprint.decode(try a.encoded(), name: "fused.fingerprint").fingerprint
        #expect(decoded.fusedParts == a.fusedParts)
        #expect(try decoded.encoded() == a.encoded())
    }

    @Test("models without fused tensors have no parts, and a part that is not half of its tensor is rejected")
    func validation() throws {
        #expect(try Fixtures.fingerprint(Self.perExpert).fusedParts.isEmpty)
        let fingerprint = try Fixtures.fingerprint(Fixtures.fuseGateUp(Self.perExpert, experts: Self.experts, interleaved: false))
        var wrongShape = fingerprint
        wrongShape.fusedParts[0].rows += 1
        var wrongTensor = fingerprint
        wrongTensor.fusedParts[1].tensor = fingerprint.tensors.count
        var negative = fingerprint
        negative.fusedParts[2].sumSquares = -1
        for (broken, message) in [(wrongShape, "does not describe a part of tensor"), (wrongTensor, "which the file does not list"),
                                  (negative, "negative count or sum of squares")] {
            #expect {
                _ = try Fingerprint.decode(try broken.encoded(), name: "bad.fingerprint")
            } throws: { error in
                "\(error)".contains("bad.fingerprint") && "\(error)".contains("fused part") && "\(error)".contains(message)
            }
        }
    }
}
