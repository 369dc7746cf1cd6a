import Checkpoints

/// Stores the checkpoint as one GGUF file (`model.gguf`) the way llama.cpp's converter does:
/// Llama names mapped to llama.cpp's with query/key rows permuted for RoPE, 2-D tensors whose
/// stored rows hold whole blocks quantized to `type`, every other tensor F32 (llama.cpp also
/// falls back when a row does not fill whole blocks). safetensors `__metadata__` is not
/// carried over. Runs last; sharded or transposed storage cannot be combined with it.
public struct GGUFExport: Perturbation {
    /// The types a matrix can be stored in.
    public static let types: [DType] = [.f32, .f16, .bf16] + GGMLQuantizer.supportedTypes

    public var type: DType
    public var step: PerturbationStep { .gguf }

    public init(type: DType) {
        self.type = type
    }

    /// Whether `entry` is stored in `type` (else F32): a 2-D floating-point tensor whose rows hold
    /// whole blocks.
    static func storesInType(_ entry: CheckpointModel.Entry, _ type: DType) -> Bool {
        entry.isFloatingPoint && entry.tensor.shape.count == 2 && entry.tensor.shape[1] % type.block.elements == 0
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
        let inType = model.entries.filter { Self.storesInType($0, type) }.count
        guard inType > 0 else {
            throw PerturbationError(attack: step.name, rule: .invalidArgument("no matrix has rows that fill whole \(type.name) blocks of \(type.block.elements) values, so nothing would be stored as \(type.name); choose a type with smaller blocks (q8_0, q4_0, mxfp4: 32 values)"))
        }
        model.ggufType = type
        let fallback = model.entries.count - inType
        let summary = "stored as one GGUF file" + (model.spec?.family == .llama ? " (llama.cpp names)" : "")
            + ": \(inType) matrices as \(type.name)" + (fallback > 0 ? ", \(fallback) other tensors as F32" : "")
        return PerturbationRecord(
            attack: step.name, functionPreserving: type == .f32, summary: summary,
            parameters: ["type": .string(type.name), "tensors_in_type": .integer(inType), "tensors_as_f32": .integer(fallback)])
    }
}
