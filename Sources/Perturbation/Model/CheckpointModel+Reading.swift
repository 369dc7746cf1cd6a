import Checkpoints
import Foundation
import SyntheticModels

// MARK: - Reading

extension CheckpointModel {
    /// Files copied next to the weights when present: the model config and tokenizer files
    /// (a copier ships them; the model card and other weight formats are left behind).
    public static let companionFileNames: [String] = [
        "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
        "added_tokens.json", "vocab.txt", "vocab.json", "merges.txt", "tokenizer.model", "spiece.model",
        "sentencepiece.bpe.model", "modules.json", "sentence_bert_config.json", "config_sentence_transformers.json",
        "recipe.yaml",
    ]

    /// Largest companion file copied (tokenizer files are a few MB).
    static let companionSizeLimit = 256 << 20

    /// Reads every tensor of the safetensors checkpoint at `path` (file, directory, shard
    /// index or Hugging Face cache entry) as `Float`s, keeping names, shapes, order and dtypes,
    /// plus `config.json` and tokenizer files found next to it; infers the architecture.
    /// Scaled weights are read as their values: a weight with square block factors keeps its
    /// FP8 storage and block (its factors are chosen again when written), any other scaled
    /// weight is stored as F32, which holds its values exactly; factor tensors are not entries.
    public static func read(from path: String) throws(PerturbationError) -> CheckpointModel {
        let reader: CheckpointReader
        do {
            reader = try CheckpointReader(path: path)
        } catch {
            throw PerturbationError(rule: .checkpoint(error))
        }
        let checkpoint = reader.checkpoint
        var entries: [Entry] = []
        entries.reserveCapacity(checkpoint.tensors.count)
        for info in checkpoint.tensors where info.scaledWeight == nil {
            let file = reader.displayName(ofFile: info.fileIndex)
            do {
                try info.requireDecodable(file: file)
            } catch {
                throw PerturbationError(rule: .checkpoint(error))
            }
            var values = [Float](repeating: 0, count: info.elementCount)
            do {
                try values.withUnsafeMutableBufferPointer { output in
                    try reader.readChunks(of: info) { chunk in
                        chunk.decode(into: UnsafeMutableBufferPointer(rebasing: output[chunk.firstElement..<(chunk.firstElement + chunk.elementCount)]))
                    }
                }
            } catch let error as CheckpointError {
                throw PerturbationError(rule: .checkpoint(error))
            } catch {
                throw PerturbationError(file: file, tensor: info.name, rule: .io(operation: "read", message: "\(error)"))
            }
            var entry = Entry(tensor: ModelWeights.Tensor(name: info.name, shape: info.shape, values: values), storageDType: info.dtype)
            if let packing = info.packing, packing.order.isBitsAndBytes {
                // bitsandbytes NF4 (or FP4): written back as NF4 (values on an NF4 block grid re-quantize to themselves).
                entry.isFloatingPoint = true
                entry.scaleBlock = info.scale?.blockColumns
                entry.codePacking = .bitsandbytesNF4
            } else if let packing = info.packing, packing.order.isGPTQ || packing.order == .awq, info.shape.count == 2 {
                // GPTQ and AWQ deliver the transposed weight [K, N]: back to PyTorch's [N, K], exactly, as F32.
                entry = Entry(tensor: ModelWeights.Tensor(name: info.name, shape: [info.shape[1], info.shape[0]],
                                                          values: TensorMath.transposed(values, rows: info.shape[0], columns: info.shape[1])),
                              storageDType: .f32)
            } else if let scale = info.scale {
                entry.isFloatingPoint = true
                if scale.biases != nil {
                    // MLX: 4-bit written back the same way (values on a group's grid re-quantize to themselves), other widths as F32.
                    if info.dtype == .i4, info.shape.count == 2 {
                        entry.scaleBlock = scale.blockColumns
                        entry.affineBiases = true
                    } else {
                        entry.storageDType = .f32
                    }
                } else if info.dtype == .i8, info.shape.count == 2, scale.multiplier != nil, scale.granularity == .row {
                    // bitsandbytes LLM.int8: written back the same way (a row's codes re-quantize to themselves).
                    entry.scaleBlock = info.shape[1]
                } else if info.dtype == .f8E4M3, info.shape.count == 2, scale.blockRows == scale.blockColumns {
                    entry.scaleBlock = scale.blockRows
                } else if info.dtype == .f4, info.shape.count == 2, scale.blockColumns == NVFP4Encoding.block, scale.global?.divides == false {
                    // ModelOpt NVFP4: written back the same way.
                    entry.scaleBlock = NVFP4Encoding.block
                } else if info.dtype == .i4, info.shape.count == 2, scale.blockRows == 1, info.shape[1] % scale.blockColumns == 0,
                          scale.columnGroupIndex == nil {
                    // Packed INT4 per group or row, symmetric or with zero points: written back the same way
                    // (activation-ordered groups would not re-quantize to themselves in contiguous ones: F32).
                    entry.scaleBlock = scale.blockColumns
                    entry.asymmetric = scale.zeroPoints != nil
                } else {
                    entry.storageDType = .f32
                }
            }
            entries.append(entry)
        }

        var companions: [CompanionFile] = []
        var config: JSONValue?
        var configBytes: [UInt8] = []
        for name in companionFileNames {
            let filePath = (checkpoint.rootDirectory as NSString).appendingPathComponent(name)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: filePath),
                  (attributes[.type] as? FileAttributeType) == .typeRegular || (attributes[.type] as? FileAttributeType) == .typeSymbolicLink,
                  let size = attributes[.size] as? Int, size <= companionSizeLimit,
                  let data = FileManager.default.contents(atPath: filePath) else { continue }
            let bytes = [UInt8](data)
            if name == "config.json", let parsed = try? StrictJSONParser.parse(bytes), case .object = parsed {
                config = parsed
                configBytes = bytes
            } else {
                companions.append(CompanionFile(name: name, bytes: bytes))
            }
        }

        var metadata: [String: String] = [:]
        for file in checkpoint.files { metadata.merge(file.metadata) { first, _ in first } }
        var model = CheckpointModel(entries: entries, spec: nil, architectureNote: nil, metadata: metadata,
                                    shardCount: checkpoint.files.count, config: config, companionFiles: companions)
        switch ArchitectureInference.infer(entries, config: config) {
        case .success(let spec): model.spec = spec
        case .failure(let failure): model.architectureNote = failure.reason
        }
        if let config { model.configSource = (config, configBytes) }
        return model
    }
}
