import Checkpoints
import Foundation
import SyntheticModels
import Testing

/// A micro model with its expected output, computed offline by an independent numpy
/// implementation (`Fixtures/make_reference.py`).
struct ReferenceFixture {
    var model: ModelWeights
    var tokens: [Int]
    var tokenTypes: [Int]?
    var expected: Activations

    static func load(_ name: String) throws -> ReferenceFixture {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
        let buffer = try SafetensorsBuffer(bytes: Array(try #require(FileManager.default.contents(atPath: path))), name: name)
        let meta = buffer.metadata
        func integer(_ key: String) throws -> Int { try #require(meta[key].flatMap { Int($0) }, "metadata \(key)") }
        func list(_ key: String) -> [Int]? { meta[key].map { $0.split(separator: ",").compactMap { Int($0) } } }
        let family = try #require(TransformerSpec.Family(rawValue: meta["family"] ?? ""))
        let spec = TransformerSpec(
            family: family, vocabSize: try integer("vocab_size"), hiddenSize: try integer("hidden_size"),
            intermediateSize: try integer("intermediate_size"), layerCount: try integer("layers"), headCount: try integer("heads"),
            keyValueHeadCount: try integer("key_value_heads"), maxPositions: meta["max_positions"].flatMap { Int($0) } ?? 128,
            tiedEmbeddings: meta["tied"] == "true")
        var tensors: [ModelWeights.Tensor] = []
        var expected: Activations?
        for info in buffer.tensors {
            if info.name == "expected.output" {
                var values = [Double](repeating: 0, count: info.elementCount)
                buffer.data(of: info).withUnsafeBytes { raw in values.withUnsafeMutableBufferPointer { info.dtype.decode(raw, into: $0) } }
                expected = Activations(rows: info.shape[0], columns: info.shape[1], values: values)
            } else {
                tensors.append(.init(name: info.name, shape: info.shape, values: try buffer.floats(of: info)))
            }
        }
        return ReferenceFixture(model: ModelWeights(spec: spec, tensors: tensors), tokens: try #require(list("tokens")),
                                tokenTypes: list("token_types"), expected: try #require(expected))
    }
}

@Suite("Reference forward pass")
struct ReferenceForwardTests {
    @Test("matches an independent numpy implementation", arguments: ["llama_gqa.safetensors", "llama_tied.safetensors", "bert.safetensors"])
    func matchesNumpy(fixture name: String) throws {
        let fixture = try ReferenceFixture.load(name)
        let output = try ReferenceForward.run(fixture.model, tokens: fixture.tokens, tokenTypes: fixture.tokenTypes)
        #expect(output.rows == fixture.expected.rows && output.columns == fixture.expected.columns)
        #expect(output.maximumMagnitude > 1, "the fixture should produce non-trivial outputs")
        #expect(output.maximumDifference(to: fixture.expected) < 1e-9, "max difference \(output.maximumDifference(to: fixture.expected))")
    }

    @Test("a wrong weight is caught by the numpy reference")
    func referenceDetectsChanges() throws {
        var fixture = try ReferenceFixture.load("llama_gqa.safetensors")
        var norm = try #require(fixture.model["model.layers.1.post_attention_layernorm.weight"])
        norm.values[3] += 0.01
        fixture.model["model.layers.1.post_attention_layernorm.weight"] = norm
        let output = try ReferenceForward.run(fixture.model, tokens: fixture.tokens)
        #expect(output.maximumDifference(to: fixture.expected) > 1e-4)
    }

    @Test("Llama attention is causal: a prefix gives the same logits")
    func llamaIsCausal() throws {
        let model = SimulatedTraining.fineTune(ModelGenerator.generate(.smallLlamaGQA, seed: 3), seed: 4, strength: 0.5)
        let tokens = [5, 900, 17, 17, 1023, 0, 64]
        let full = try ReferenceForward.run(model, tokens: tokens)
        let prefix = try ReferenceForward.run(model, tokens: Array(tokens.prefix(4)))
        #expect(full.rows == 7 && full.columns == 1024)
        for row in 0..<4 {
            for column in 0..<full.columns { #expect(abs(full[row, column] - prefix[row, column]) < 1e-12) }
        }
        var changed = tokens
        changed[6] = 1
        let other = try ReferenceForward.run(model, tokens: changed)
        #expect(other.row(0) == full.row(0))
        #expect(other.row(6) != full.row(6))
    }

    @Test("BERT attention is bidirectional and uses token types and positions")
    func bertIsBidirectional() throws {
        let model = SimulatedTraining.fineTune(ModelGenerator.generate(.tinyBERT, seed: 5), seed: 6, strength: 0.5)
        let tokens = [2, 40, 41, 300, 7]
        let base = try ReferenceForward.run(model, tokens: tokens)
        #expect(base.rows == 5 && base.columns == 64)
        var changed = tokens
        changed[4] = 8
        #expect(try ReferenceForward.run(model, tokens: changed).row(0) != base.row(0))
        #expect(try ReferenceForward.run(model, tokens: tokens, tokenTypes: [0, 0, 1, 1, 1]).row(0) != base.row(0))
        // Same tokens at other positions give other states.
        let shifted = try ReferenceForward.run(model, tokens: [7, 2, 40, 41, 300])
        #expect(shifted.row(1) != base.row(0))
    }

    @Test("every sample spec runs and gives finite outputs", arguments: [TransformerSpec.tinyLlama, .tinyBERT, .smallLlamaGQA])
    func samplesRun(spec: TransformerSpec) throws {
        let output = try ReferenceForward.run(ModelGenerator.generate(spec, seed: 1), tokens: [1, 2, 3])
        #expect(output.rows == 3)
        #expect(output.columns == (spec.family == .llama ? spec.vocabSize : spec.hiddenSize))
        #expect(output.values.allSatisfy { $0.isFinite })
    }

    @Test("bad inputs give typed errors")
    func errors() throws {
        let model = ModelGenerator.generate(.tinyLlama, seed: 1)
        #expect(throws: ForwardError(rule: .tokenOutOfRange(token: 512, vocabularySize: 512))) {
            try ReferenceForward.run(model, tokens: [1, 512])
        }
        var missing = model
        missing.tensors.removeAll { $0.name == "model.layers.2.mlp.up_proj.weight" }
        #expect(throws: ForwardError(tensor: "model.layers.2.mlp.up_proj.weight", rule: .missingTensor)) {
            try ReferenceForward.run(missing, tokens: [1])
        }
        var wrongSpec = model
        wrongSpec.spec.intermediateSize = 100
        #expect(throws: ForwardError(tensor: "model.layers.0.mlp.gate_proj.weight", rule: .wrongShape(expected: [100, 64], actual: [176, 64]))) {
            try ReferenceForward.run(wrongSpec, tokens: [1])
        }
        let bert = ModelGenerator.generate(.tinyBERT, seed: 1)
        #expect(throws: ForwardError(rule: .sequenceTooLong(length: 65, maximum: 64))) {
            try ReferenceForward.run(bert, tokens: Array(repeating: 1, count: 65))
        }
        #expect(throws: ForwardError.self) { try ReferenceForward.run(bert, tokens: [1, 2], tokenTypes: [0, 2]) }
        var heads = model
        heads.spec.headCount = 3
        #expect(throws: ForwardError.self) { try ReferenceForward.run(heads, tokens: [1]) }
    }
}
