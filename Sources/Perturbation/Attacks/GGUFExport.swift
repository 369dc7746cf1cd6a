import Checkpoints

/// Stores the checkpoint as one GGUF file (`model.gguf`) the way llama.cpp's tools do: Llama
/// names mapped to llama.cpp's with query/key rows permuted for RoPE, weight matrices quantized
/// to `type`, every other tensor (norms, biases, integer buffers) F32. A matrix whose rows do not
/// hold whole blocks of `type` takes the type llama.cpp's quantizer falls back to
/// (`convert_incompatible_tensor`: Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0, Q2_K/Q3_K/IQ1–IQ3 →
/// IQ4_NL), and F16 when that does not fit either. safetensors `__metadata__` is not carried
/// over. Runs last; sharded or transposed storage cannot be combined with it.
public struct GGUFExport: Perturbation {
    /// The types a matrix can be stored in.
    public static let types: [DType] = [.f32, .f16, .bf16] + GGMLQuantizer.supportedTypes

    public var type: DType
    public var step: PerturbationStep { .gguf }

    public init(type: DType) {
        self.type = type
    }

    /// The types tried, in order, for a matrix whose rows do not hold whole blocks of `type`:
    /// llama.cpp's `llama_tensor_get_type` fallbacks as of its commit 0c1e570 (2026-10; Q2_K and
    /// Q3_K fell back to IQ4_NL before, now to Q4_0 like the ternary types and Q2_0).
    public static func fallbacks(for type: DType) -> [DType] {
        switch type {
        case .f32, .f16, .bf16: []
        case .q4K: [.q5_0, .f16]
        case .q5K: [.q5_1, .f16]
        case .q6K: [.q8_0, .f16]
        case .q2K, .q3K, .tq1_0, .tq2_0, .q2_0: [.q4_0, .f16]
        case .iq2XXS, .iq2XS, .iq2S, .iq3XXS, .iq3S, .iq1S, .iq1M, .iq4XS: [.iq4NL, .f16]
        default: [.f16]
        }
    }

    /// The conversion options for `type`: its fallbacks for matrices, F32 for everything else.
    public static func conversionOptions(for type: DType) -> CheckpointConversion.GGUFOptions {
        CheckpointConversion.GGUFOptions(matrixType: type, matrixFallbacks: fallbacks(for: type), otherType: .f32)
    }

    /// The type `entry` is stored in: F32 unless it is a 2-D floating-point tensor, else the first
    /// of `type` and its fallbacks whose blocks its rows fill.
    public static func storedType(of entry: CheckpointModel.Entry, as type: DType) -> DType {
        conversionOptions(for: type).storedType(shape: entry.tensor.shape, isFloatingPoint: entry.isFloatingPoint)
    }

    public func apply(to model: inout CheckpointModel) throws(PerturbationError) -> PerturbationRecord {
        guard Self.types.contains(type) else {
            throw PerturbationError(attack: step.name, rule: .invalidArgument("\(type.name) is not a type this tool writes to GGUF; choose one of \(Self.types.map(\.name).joined(separator: ", "))"))
        }
        guard model.shardCount == 1 else {
            throw PerturbationError(attack: step.name, rule: .invalidArgument("a GGUF output is one file, so it cannot also be split into \(model.shardCount) safetensors shards"))
        }
        guard !model.entries.contains(where: \.storedTransposed) else {
            throw PerturbationError(attack: step.name, rule: .invalidArgument("GGUF keeps matrices in llama.cpp's layout, so it cannot be combined with transposed storage"))
        }
        model.ggufType = type
        let matrices = model.entries.filter { $0.isFloatingPoint && $0.tensor.shape.count == 2 }
        var counts: [DType: Int] = [:]
        for entry in matrices { counts[Self.storedType(of: entry, as: type), default: 0] += 1 }
        let others = model.entries.count - matrices.count
        var parts = ["\(counts[type] ?? 0) matrices as \(type.name)"]
        for fallback in Self.fallbacks(for: type) + [.f32] where (counts[fallback] ?? 0) > 0 && fallback != type {
            parts.append("\(counts[fallback]!) as \(fallback.name) (rows not whole \(type.name) blocks)")
        }
        if others > 0 { parts.append("\(others) other tensors as F32") }
        let summary = "stored as one GGUF file" + (model.spec?.family == .llama ? " (llama.cpp names)" : "") + ": " + parts.joined(separator: ", ")
        var parameters: [String: ManifestValue] = ["type": .string(type.name), "other_tensors_as_f32": .integer(others)]
        parameters["matrices"] = .map(Dictionary(uniqueKeysWithValues: counts.map { ($0.key.name, String($0.value)) }))
        return PerturbationRecord(attack: step.name, functionPreserving: type == .f32, summary: summary, parameters: parameters)
    }
}
