import Fingerprinting
import Foundation
@testable import Matching

/// Comparison and scan results built directly (no engine run), realistic in shape:
/// several layers, profiles, heatmaps and curves. `hostile` puts markup, pipes, backticks,
/// newlines, control characters and `javascript:` URLs into every user-supplied string.
enum ResultFixtures {
    static let script = "<script>alert(1)</script>"

    struct Names {
        var suspectLabel: String
        var referenceLabel: String
        var license: String
        var url: String
        var homepage: String
        var fileName: String
        var tensorPrefix: String
        var command: String
        var metadataKey: String

        static let plain = Names(
            suspectLabel: "downloads/chat-model", referenceLabel: "acme/chat@1.1", license: "apache-2.0",
            url: "https://huggingface.co/acme/chat", homepage: "https://acme.example/models/chat", fileName: "model.safetensors",
            tensorPrefix: "model.layers", command: "provenance compare downloads/chat-model acme-chat.fingerprint --report report.html",
            metadataKey: "org")

        static let hostile = Names(
            suspectLabel: "evil/\(script)",
            referenceLabel: "| pipes | and `backticks` & **stars** [x](javascript:alert(1))",
            license: "| pipes |\nnew line & <b>bold</b> ]]> \u{0}\u{1B}",
            url: "javascript:alert(1)",
            homepage: "https://example.org/a_(b)|c?q=\"x\"&y=<z>",
            fileName: "model`.safe|tensors\n<img src=x onerror=alert(1)>",
            tensorPrefix: "model.`layers`|x\n# heading",
            command: "provenance compare '\(script)' | tee `x` \"$HOME\"\n```\nrm -rf / # </pre> ]]>",
            metadataKey: "org <i>&amp;</i> | key")
    }

    // MARK: - Identities

    static func structure(layers: Int, vocabulary: Int) -> ModelStructure {
        ModelStructure(family: "llama", layerCount: layers, hiddenSize: 64, intermediateSize: 176, headCount: 4,
                       keyValueHeadCount: 4, vocabularyRows: vocabulary, tiedEmbeddings: false,
                       embeddingTensor: "model.embed_tokens.weight", sources: ["names", "shapes"])
    }

    static func identity(label: String, kind: String, metadata: [String: String], files: [(String, UInt64, String?)],
                         layers: Int, vocabulary: Int, dtypes: [String], seed: UInt8) -> ModelIdentity {
        let structure = structure(layers: layers, vocabulary: vocabulary)
        let entries: [ModelIdentity.File] = files.map { ModelIdentity.File(name: $0.0, size: $0.1, sha256: $0.2) }
        let parameters: Int = 70_000 * layers + 2 * 64 * vocabulary
        let tensorCount: Int = 9 * layers + 3
        // ModelIdentity only has an initializer from a Fingerprint: build it through its Codable form.
        let fields = IdentityFields(
            label: label, kind: kind, metadata: metadata, files: entries, parameterCount: parameters, tensorCount: tensorCount,
            structure: structure, rawRoot: hex(seed, 1), canonicalRoot: hex(seed, 2), dtypes: dtypes)
        return try! JSONDecoder().decode(ModelIdentity.self, from: JSONEncoder().encode(fields))
    }

    /// Mirrors ModelIdentity's coding keys.
    struct IdentityFields: Encodable {
        var label: String
        var kind: String
        var metadata: [String: String]
        var files: [ModelIdentity.File]
        var parameterCount: Int
        var tensorCount: Int
        var structure: ModelStructure
        var rawRoot: String
        var canonicalRoot: String
        var dtypes: [String]
    }

    /// A deterministic 64-digit hex string.
    static func hex(_ a: UInt8, _ b: UInt8) -> String {
        (0..<32).map { (i: Int) -> String in
            let mixed: Int = Int(a) * 31 + Int(b) * 17 + i * 7
            let byte = UInt8(truncatingIfNeeded: mixed)
            let text = String(byte, radix: 16)
            return text.count == 1 ? "0" + text : text
        }.joined()
    }

    // MARK: - Comparison

    /// A derived copy: 3 suspect layers taken from reference layers 0, 1, 3 (reference layer 2
    /// dropped), layer 1 neuron-permuted, BF16, noise, 64 appended vocabulary rows.
    static func comparison(_ names: Names = .plain, referenceLabel: String? = nil, verdict kind: Verdict.Kind = .derived,
                           log10P: Double = -2174.3) -> Comparison {
        let referenceLabel = referenceLabel ?? names.referenceLabel
        let suspect = identity(
            label: names.suspectLabel, kind: "checkpoint", metadata: [:],
            files: [(names.fileName, 1_234_567, hex(9, 9)), ("config.json", 612, hex(8, 8))],
            layers: 3, vocabulary: 576, dtypes: ["BF16"], seed: 3)
        let reference = identity(
            label: referenceLabel, kind: "release",
            metadata: [names.metadataKey: "ACME Labs", "license": names.license, "url": names.url,
                       "homepage": names.homepage, "released": "2024-05-01"],
            files: [("model-00001-of-00002.safetensors", 1_000_000, hex(1, 1)), ("model-00002-of-00002.safetensors", 640_000, hex(2, 2)),
                    ("config.json", 612, hex(8, 8))],
            layers: 4, vocabulary: 512, dtypes: ["F32"], seed: 5)

        let layerMap = [0: 0, 1: 1, 2: 3]
        let roles = [("self_attn.q_proj.weight", "attention.q"), ("self_attn.k_proj.weight", "attention.k"),
                     ("self_attn.v_proj.weight", "attention.v"), ("self_attn.o_proj.weight", "attention.o"),
                     ("mlp.gate_proj.weight", "mlp.gate"), ("mlp.up_proj.weight", "mlp.up"), ("mlp.down_proj.weight", "mlp.down")]
        var tensors: [TensorMatch] = [
            TensorMatch(suspectTensor: "model.embed_tokens.weight", referenceTensor: "model.embed_tokens.weight", role: "embedding",
                        suspectLayer: nil, referenceLayer: nil, parameters: 576 * 64, transposed: false, cosine: 0.99912,
                        z: 143.2, log10P: -4451.9, comparisons: 2, exact: nil, normRatio: 1.03, significant: true),
        ]
        for (suspectLayer, referenceLayer) in layerMap.sorted(by: { $0.key < $1.key }) {
            for (index, (suffix, role)) in roles.enumerated() {
                let permuted = suspectLayer == 1 && role.hasPrefix("mlp")
                let parameters = role.hasPrefix("mlp") ? 64 * 176 : 64 * 64
                let cosine = permuted ? 0.0031 : 0.99874 - Double(index) * 0.0002
                tensors.append(TensorMatch(
                    suspectTensor: "\(names.tensorPrefix).\(suspectLayer).\(suffix)",
                    referenceTensor: permuted ? nil : "model.layers.\(referenceLayer).\(suffix)",
                    role: role, suspectLayer: suspectLayer, referenceLayer: permuted ? nil : referenceLayer,
                    parameters: parameters, transposed: suffix.contains("o_proj"), cosine: cosine,
                    z: permuted ? 0.2 : 63.9, log10P: permuted ? 0 : -884.6 + Double(index),
                    comparisons: 28, exact: suspectLayer == 0 && index == 0 ? "canonical" : nil,
                    normRatio: suffix.contains("q_proj") ? 1.5 : 1.0, significant: !permuted))
            }
        }
        tensors.append(TensorMatch(
            suspectTensor: "lm_head.weight", referenceTensor: "lm_head.weight", role: "head", suspectLayer: nil, referenceLayer: nil,
            parameters: 576 * 64, transposed: false, cosine: 0.99903, z: 141.0, log10P: -4380.2, comparisons: 2, exact: nil,
            normRatio: 1.0, significant: true))

        let layers: [LayerMatch] = [
            LayerMatch(suspectLayer: nil, group: "embeddings", referenceLayer: nil, tensors: 1, parameters: 576 * 64,
                       meanCosine: 0.99912, log10P: -4451.9, matchedBy: "sketch"),
            LayerMatch(suspectLayer: 0, group: "layer 0", referenceLayer: 0, tensors: 7, parameters: 70_000,
                       meanCosine: 0.99861, log10P: -6180.4, matchedBy: "sketch"),
            LayerMatch(suspectLayer: 1, group: "layer 1", referenceLayer: 1, tensors: 7, parameters: 70_000,
                       meanCosine: 0.2893, log10P: -3600.0, matchedBy: "sketch"),
            LayerMatch(suspectLayer: 2, group: "layer 2", referenceLayer: 3, tensors: 7, parameters: 70_000,
                       meanCosine: 0.99858, log10P: -6177.0, matchedBy: "sketch"),
            LayerMatch(suspectLayer: nil, group: "head", referenceLayer: nil, tensors: 1, parameters: 576 * 64,
                       meanCosine: 0.99903, log10P: -4380.2, matchedBy: "sketch"),
        ]
        let profiles: [ProfileMatch] = [
            ProfileMatch(kind: "mlp", suspectLayer: 0, referenceLayer: 0, suspectTensor: "\(names.tensorPrefix).0.mlp.up_proj.weight",
                         referenceTensor: "model.layers.0.mlp.up_proj.weight", matchedNeurons: 64, inputAgreement: 0.997,
                         crossCheck: 0.9981, nullMean: 0.0042, nullStd: 0.0121, z: 82.1, log10P: -88.7, permutationPValue: 1e-4,
                         identityFraction: 1.0, comparisons: 1),
            ProfileMatch(kind: "mlp", suspectLayer: 1, referenceLayer: 1, suspectTensor: "\(names.tensorPrefix).1.mlp.up_proj.weight",
                         referenceTensor: "model.layers.1.mlp.up_proj.weight", matchedNeurons: 64, inputAgreement: 0.995,
                         crossCheck: 0.9963, nullMean: 0.0038, nullStd: 0.0119, z: 83.4, log10P: -88.7, permutationPValue: 1e-4,
                         identityFraction: 0.0156, comparisons: 1),
            ProfileMatch(kind: "mlp", suspectLayer: 2, referenceLayer: 3, suspectTensor: "\(names.tensorPrefix).2.mlp.up_proj.weight",
                         referenceTensor: "model.layers.3.mlp.up_proj.weight", matchedNeurons: 64, inputAgreement: 0.996,
                         crossCheck: 0.9977, nullMean: 0.0040, nullStd: 0.0120, z: 82.8, log10P: -88.7, permutationPValue: 1e-4,
                         identityFraction: 0.98, comparisons: 4),
            ProfileMatch(kind: "attention", suspectLayer: 2, referenceLayer: 2, suspectTensor: "\(names.tensorPrefix).2.self_attn.v_proj.weight",
                         referenceTensor: "model.layers.2.self_attn.v_proj.weight", matchedNeurons: 64, inputAgreement: 0.41,
                         crossCheck: 0.0121, nullMean: 0.0041, nullStd: 0.0118, z: 0.68, log10P: -0.31, permutationPValue: 0.49,
                         identityFraction: 0.0, comparisons: 4),
        ]
        let heatmaps = ["attention", "mlp.in", "mlp.out"].enumerated().map { offset, family in
            Heatmap(family: family, suspectLayers: [0, 1, 2], referenceLayers: [0, 1, 2, 3], cosines: (0..<3).map { s in
                (0..<4).map { r in
                    if layerMap[s] == r { return family != "attention" && s == 1 ? 0.0042 : 0.9987 - Double(offset) * 0.0003 }
                    return 0.001 * Double((s * 7 + r * 3 + offset) % 9)
                }
            })
        }
        let stdCurve: (Double) -> [Double?] = { scale in (0..<4).map { 0.02 + 0.003 * Double($0) * scale } }
        let curves = [
            StatisticCurve(role: "attention.q", statistic: "std", suspect: [0.0201, 0.0231, 0.0262, nil],
                           reference: stdCurve(1.0), correlation: 0.9991),
            StatisticCurve(role: "mlp.down", statistic: "std", suspect: [0.0190, nil, 0.0251, nil],
                           reference: [0.0188, 0.0219, 0.0230, 0.0249], correlation: nil),
        ]
        let alignment = AlignmentSummary(
            renamed: names == .plain ? 0 : 22, transposed: 3,
            rescaled: ["\(names.tensorPrefix).0.self_attn.q_proj.weight ×1.5", "\(names.tensorPrefix).2.self_attn.q_proj.weight ×1.5"],
            permutedLayers: [1], layerMap: ["0": 0, "1": 1, "2": 3], droppedReferenceLayers: [2], unmatchedSuspectLayers: [],
            reordered: false, suspectVocabularyRows: 576, referenceVocabularyRows: 512)
        let verdict = Verdict(
            kind: kind,
            sentence: kind == .independent
                ? "No significant evidence that the suspect comes from \(referenceLabel) (p = 0.41)."
                : "Derived from \(referenceLabel) (permuted, rescaled, weights changed): p = 1e-2175, estimated cosine 0.9986, 94% of weights matched.",
            log10P: log10P, pValue: "1e-2175", estimatedCosine: kind == .independent ? 0.0021 : 0.99861, coverage: kind == .independent ? 0 : 0.9412,
            evidence: kind == .independent ? [] : [
                "Layer 1 MLP neurons permuted (cross-check T 0.996, identity fraction 2%).",
                "Reference layer 2 dropped; suspect layers 0, 1, 2 map to reference layers 0, 1, 3.",
                "64 vocabulary rows appended to \(names.tensorPrefix == "model.layers" ? "model.embed_tokens.weight" : names.tensorPrefix).",
            ])
        return Comparison(
            suspect: suspect, reference: reference, verdict: verdict,
            exact: ExactEvidence(suspectFiles: 2, identicalFiles: 1, suspectTensors: 30, sharedRawTensors: 0, sharedCanonicalTensors: 1,
                                 rawRootEqual: false, canonicalRootEqual: false, expertRootEqual: false, canonicalCoverage: 0.0195),
            tensors: tensors, layers: layers, profiles: profiles, heatmaps: heatmaps, curves: curves, alignment: alignment,
            method: method(names))
    }

    static func method(_ names: Names) -> MethodInfo {
        MethodInfo(tool: "provenance", toolVersion: "0.1.0", fingerprintFormat: 1, seed: "provenance-sketch-v1",
                   threshold: 1e-6, tensorThreshold: 1e-4, command: names.command)
    }

    /// No layers, profiles, heatmaps or curves, no recorded command: every "nothing here" branch.
    static func sparseComparison() -> Comparison {
        var result = comparison(verdict: .independent, log10P: -0.38)
        result.tensors = []
        result.layers = []
        result.profiles = []
        result.heatmaps = []
        result.curves = []
        result.method.command = nil
        result.suspect.files = []
        result.suspect.metadata = [:]
        result.alignment = AlignmentSummary(renamed: 0, transposed: 0, rescaled: [], permutedLayers: [], layerMap: [:],
                                            droppedReferenceLayers: [], unmatchedSuspectLayers: [], reordered: false,
                                            suspectVocabularyRows: nil, referenceVocabularyRows: nil)
        return result
    }

    // MARK: - Scans

    /// The release, its public base and an unrelated model: attributed to the release.
    static func scan(_ names: Names = .plain) -> ScanResult {
        let release = comparison(names)
        var base = comparison(names, referenceLabel: names == .plain ? "acme/base@1.0" : "base \(script)", log10P: -2050.8)
        base.verdict.sentence = "Derived from \(base.reference.label): p = 1e-2050, estimated cosine 0.9941, 94% of weights matched."
        let independent = comparison(names, referenceLabel: names == .plain ? "other/indie@2.0" : "indie | `x`", verdict: .independent, log10P: -0.38)
        let attribution = Attribution(
            verdict: .derived, nearest: release.reference.label,
            sentence: release.verdict.sentence + " Also related, but farther: \(base.reference.label).",
            components: [.init(label: release.reference.label, weight: nil, layers: nil)],
            relations: [
                .init(from: base.reference.label, toward: release.reference.label, beta: 0.997, method: "sketch deltas",
                      conclusion: "the suspect carries \(release.reference.label)'s changes relative to \(base.reference.label): \(release.reference.label) is nearer"),
                .init(from: release.reference.label, toward: base.reference.label, beta: 0.003, method: "sketch deltas",
                      conclusion: "the suspect does not carry \(base.reference.label)'s changes relative to \(release.reference.label)"),
            ])
        return ScanResult(suspect: release.suspect, candidates: [release, base, independent], attribution: attribution, method: method(names))
    }

    /// A linear merge of two releases: both components get a full section.
    static func mergeScan() -> ScanResult {
        let a = comparison(referenceLabel: "acme/chat@1.1", log10P: -900)
        let b = comparison(referenceLabel: "zeta/coder@3.0", log10P: -850)
        return ScanResult(
            suspect: a.suspect, candidates: [a, b],
            attribution: Attribution(
                verdict: .merge, nearest: nil, sentence: "Linear merge: ≈0.60 × acme/chat@1.1 + 0.40 × zeta/coder@3.0.",
                components: [.init(label: "acme/chat@1.1", weight: 0.6, layers: nil), .init(label: "zeta/coder@3.0", weight: 0.4, layers: [0, 1, 2])],
                relations: [.init(from: "acme/chat@1.1", toward: "zeta/coder@3.0", beta: 0.4, method: "sketch deltas",
                                  conclusion: "the suspect lies between acme/chat@1.1 and zeta/coder@3.0")]),
            method: method(.plain))
    }

    /// Nothing related.
    static func independentScan() -> ScanResult {
        let only = comparison(referenceLabel: "other/indie@2.0", verdict: .independent, log10P: -0.38)
        return ScanResult(
            suspect: only.suspect, candidates: [only],
            attribution: Attribution(verdict: .independent, nearest: nil,
                                     sentence: "No registered release is related: all 1 candidates compared were independent.",
                                     components: [], relations: []),
            method: method(.plain))
    }
}

extension ResultFixtures.Names: Equatable {}
