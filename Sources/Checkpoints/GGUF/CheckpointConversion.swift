/// Re-encodes a checkpoint as GGUF (quantized, llama.cpp-style) or as a PyTorch `torch.save`
/// archive: the copies a provenance tool must attribute to their original. For tests and
/// demos; each tensor is held in memory while it is converted.
public enum CheckpointConversion {
    public struct GGUFOptions: Sendable {
        /// Type of 2-D floating-point tensors whose rows hold whole blocks of it: F32, F16, BF16 or a
        /// `GGMLQuantizer.supportedTypes` type.
        public var matrixType: DType
        /// Types tried in order for a matrix whose rows do not hold whole `matrixType` blocks
        /// (llama.cpp's fallbacks); when none fits, `otherType`.
        public var matrixFallbacks: [DType]
        /// Type of every other tensor (llama.cpp keeps norms and biases in F32).
        public var otherType: DType
        /// `general.architecture`. For `llama`, names are converted to llama.cpp's and query/key
        /// rows permuted for RoPE as `convert_hf_to_gguf.py` does, using the head counts.
        public var architecture: String?
        public var headCount: Int?
        public var headCountKV: Int?
        /// Further metadata, written after the keys above.
        public var metadata: GGUFMetadata
        /// Whether per-expert matrices of a mixture-of-experts layer are written as one rank-3
        /// stack per layer and role (`blk.N.ffn_up_exps.weight`), as `convert_hf_to_gguf.py` does.
        public var stackExperts: Bool

        public init(matrixType: DType = .q8_0, matrixFallbacks: [DType] = [], otherType: DType = .f32, architecture: String? = nil,
                    headCount: Int? = nil, headCountKV: Int? = nil, metadata: GGUFMetadata = GGUFMetadata(), stackExperts: Bool = true) {
            self.matrixType = matrixType
            self.matrixFallbacks = matrixFallbacks
            self.otherType = otherType
            self.architecture = architecture
            self.headCount = headCount
            self.headCountKV = headCountKV
            self.metadata = metadata
            self.stackExperts = stackExperts
        }

        /// The type a tensor is written in: for a 2-D floating-point tensor (or a rank-3 stack of
        /// experts), the first of
        /// `matrixType` and `matrixFallbacks` whose blocks its rows fill; otherwise (and when
        /// none fits) `otherType`.
        public func storedType(shape: [Int], isFloatingPoint: Bool) -> DType {
            guard isFloatingPoint, shape.count == 2 || shape.count == 3 else { return otherType }
            return ([matrixType] + matrixFallbacks).first { shape[shape.count - 1] % $0.block.elements == 0 } ?? otherType
        }
    }

    /// Writes every tensor of `reader`'s checkpoint to a GGUF file at `path` (a scaled weight as
    /// its values; its factor tensor is not written). A fused gate/up stack of experts
    /// (`FusedProjection`: Llama 4, gpt-oss) is split into `blk.N.ffn_gate_exps.weight` and
    /// `blk.N.ffn_up_exps.weight`, `[E, I, H]` (gpt-oss's `[E, 2I]` biases likewise, `[E, I]`
    /// each), and their `[E, I, H]` `experts.down_proj` stack
    /// is written as `blk.N.ffn_down_exps.weight`, `[E, H, I]`, as `convert_hf_to_gguf.py` does.
    /// Granite 4.0's `shared_mlp.input_linear` `[2I, H]` becomes `ffn_gate(_shexp)`/`ffn_up(_shexp)`.
    /// For `deepseek2`, latent attention's `kv_b_proj` (`LatentAttention`) is written as the
    /// converter writes it: `blk.N.attn_k_b.weight` `[H, L, n]` (each head's key rows transposed)
    /// and `blk.N.attn_v_b.weight` `[H, v, L]`. State-space layers are stored as the converter
    /// stores them (`stateSpaceStored`: `A_log` as `−exp(A_log)`, Mamba-2's reshapes).
    public static func writeGGUF(from reader: CheckpointReader, to path: String, options: GGUFOptions = GGUFOptions()) throws {
        var metadata = GGUFMetadata()
        if let architecture = options.architecture {
            metadata["general.architecture"] = .string(architecture)
            if let heads = options.headCount { metadata["\(architecture).attention.head_count"] = .uint32(UInt32(heads)) }
            if let heads = options.headCountKV ?? options.headCount { metadata["\(architecture).attention.head_count_kv"] = .uint32(UInt32(heads)) }
        }
        for entry in options.metadata.entries { metadata[entry.key] = entry.value }
        let architecture = options.architecture ?? ""
        var tensors: [GGUFWriter.Tensor] = []
        // Per-expert matrices, by the group they are stacked into (written where the first one was).
        var stacks: [String: [(expert: Int, shape: [Int], values: [Float])]] = [:]
        var stackOrder: [(position: Int, group: String)] = []
        let keyValueSplits = architecture == "deepseek2" ? LatentAttention.keyValueSplits(reader.checkpoint.tensors) : [:]
        // Granite 4.0 names its shared MLP's parts as a shared expert's beside routed experts, as the dense MLP's otherwise.
        let hasExperts = reader.checkpoint.tensors.contains { ExpertLayout.stackedExpertCount(of: $0) != nil }
        let stateSpaceGroups = options.metadata["\(architecture).ssm.group_count"]?.integer ?? 1
        for (index, tensor) in reader.checkpoint.tensors.enumerated() where tensor.scaledWeight == nil {
            var values = try readFloats(reader, tensor)
            let name = GGUFNameMapping.ggufName(forHuggingFaceName: tensor.name, architecture: architecture) ?? tensor.name
            if let permuted = GGUFNameMapping.permutedRows(ofGGUFName: name, architecture: architecture) {
                let rows = tensor.shape.first ?? 1
                let permutation: RowPermutation?
                do {
                    permutation = try GGUFNameMapping.rowPermutation(
                        permuted, architecture: architecture, rows: rows, headCount: options.headCount ?? 0, headCountKV: options.headCountKV ?? options.headCount)
                } catch {
                    preconditionFailure("writeGGUF: \(tensor.name) needs head counts that split its rows (\(error))")
                }
                if let permutation {
                    let rowLength = values.count / rows
                    var stored = values
                    for storedRow in 0..<rows {
                        let source = permutation.row(forStoredRow: storedRow) * rowLength
                        stored.replaceSubrange(storedRow * rowLength..<(storedRow + 1) * rowLength, with: values[source..<source + rowLength])
                    }
                    values = stored
                }
            }
            let isFloatingPoint = tensor.dtype.isFloatingPoint || tensor.scale != nil
            if tensor.shape.count == 3, let split = FusedProjection.split(of: tensor), let layer = ExpertLayout.layerIndex(name: tensor.name) {
                // llama.cpp writes a fused stack's parts as separate stacks, output-major.
                let (shape, parts) = Self.splitFused(values, shape: tensor.shape, split: split)
                for (part, values) in parts {
                    tensors.append(.init(name: "blk.\(layer).ffn_\(part.rawValue)_exps.weight", shape: shape, values: values,
                                         as: options.storedType(shape: shape, isFloatingPoint: true)))
                }
                continue
            }
            if tensor.shape.count == 2, let split = FusedProjection.split(of: tensor), tensor.name.hasSuffix("_bias"),
               let layer = ExpertLayout.layerIndex(name: tensor.name) {
                // gpt-oss's [E, 2I] expert biases: llama.cpp writes the gate and up columns as two [E, I] biases.
                let (rows, cols) = (tensor.shape[0], tensor.shape[1])
                var parts: [FusedProjection.Part: [Float]] = [:]
                for row in 0..<rows {
                    for col in 0..<cols { parts[split.locate(col, length: cols).part, default: []].append(values[row * cols + col]) }
                }
                for part in split.parts {
                    tensors.append(.init(name: "blk.\(layer).ffn_\(part.rawValue)_exps.bias", shape: [rows, cols / 2], values: parts[part] ?? [], as: options.otherType))
                }
                continue
            }
            if tensor.shape.count == 2, tensor.name.hasSuffix("shared_mlp.input_linear.weight"), let split = FusedProjection.split(of: tensor),
               let layer = ExpertLayout.layerIndex(name: tensor.name) {
                // Granite 4.0: gate rows, then up rows — one "expert" of splitFused's stacks.
                let (stacked, parts) = Self.splitFused(values, shape: [1] + tensor.shape, split: split)
                let shape = Array(stacked.dropFirst())
                for (part, values) in parts {
                    tensors.append(.init(name: "blk.\(layer).ffn_\(part.rawValue)\(hasExperts ? "_shexp" : "").weight", shape: shape, values: values,
                                         as: options.storedType(shape: shape, isFloatingPoint: true)))
                }
                continue
            }
            if tensor.name.hasSuffix("shared_mlp.output_linear.weight"), name == tensor.name, let layer = ExpertLayout.layerIndex(name: tensor.name) {
                // Granite 4.0's dense MLP down projection (the converter's ffn_down; ffn_down_shexp beside experts, mapped by name).
                tensors.append(.init(name: "blk.\(layer).ffn_down.weight", shape: tensor.shape, values: values,
                                     as: options.storedType(shape: tensor.shape, isFloatingPoint: true)))
                continue
            }
            if let split = keyValueSplits[index], let layer = ExpertLayout.layerIndex(name: tensor.name) {
                for (part, shape, values) in Self.splitKeyValue(values, shape: tensor.shape, split: split) {
                    tensors.append(.init(name: "blk.\(layer).attn_\(part == .key ? "k" : "v")_b.weight", shape: shape, values: values,
                                         as: options.storedType(shape: shape, isFloatingPoint: true)))
                }
                continue
            }
            if tensor.shape.count == 3, tensor.dtype.isFloatingPoint, tensor.scale == nil, tensor.name.hasSuffix("experts.down_proj"), let layer = ExpertLayout.layerIndex(name: tensor.name) {
                // Llama 4's and gpt-oss's BF16 input-major [E, I, H] stack: llama.cpp transposes each expert (gpt-oss's MXFP4 blocks are output-major already).
                let shape = [tensor.shape[0], tensor.shape[2], tensor.shape[1]]
                tensors.append(.init(name: "blk.\(layer).ffn_down_exps.weight", shape: shape, values: Self.transposeExperts(values, shape: tensor.shape),
                                     as: options.storedType(shape: shape, isFloatingPoint: true)))
                continue
            }
            if options.stackExperts, isFloatingPoint, tensor.shape.count == 2,
               let group = ExpertLayout.groupName(name: name), let expert = ExpertLayout.expertIndex(name: name) {
                if stacks[group] == nil { stackOrder.append((tensors.count, group)) }
                stacks[group, default: []].append((expert, tensor.shape, values))
                continue
            }
            if let stored = Self.stateSpaceStored(huggingFaceName: tensor.name, ggufName: name, shape: tensor.shape, values: values,
                                                  architecture: architecture, groups: stateSpaceGroups) {
                // The converter keeps names without `.weight` (decays, skips), norms and convolutions in F32.
                let matrix = name.hasSuffix(".weight") && !name.hasSuffix("_norm.weight") && !name.contains("conv1d")
                tensors.append(.init(name: name, shape: stored.shape, values: stored.values,
                                     as: matrix ? options.storedType(shape: stored.shape, isFloatingPoint: true) : options.otherType))
                continue
            }
            tensors.append(.init(name: name, shape: tensor.shape, values: values,
                                 as: options.storedType(shape: tensor.shape, isFloatingPoint: isFloatingPoint)))
        }
        for (position, group) in stackOrder.reversed() {
            let experts = stacks[group]!.sorted { $0.expert < $1.expert }
            let shape = experts[0].shape
            precondition(experts.allSatisfy { $0.shape == shape }, "writeGGUF: the experts of \(group) differ in shape")
            let values = experts.flatMap(\.values)
            let stackShape = [experts.count] + shape
            tensors.insert(.init(name: ExpertLayout.stackName(forGroup: group), shape: stackShape, values: values,
                                 as: options.storedType(shape: stackShape, isFloatingPoint: true)), at: position)
        }
        try GGUFWriter.write(tensors, metadata: metadata, to: path)
    }

    /// Each expert's matrix of an `[E, r, c]` stack transposed: `[E, c, r]`.
    static func transposeExperts(_ values: [Float], shape: [Int]) -> [Float] {
        let (experts, rows, cols) = (shape[0], shape[1], shape[2])
        var transposed = [Float](repeating: 0, count: values.count)
        for expert in 0..<experts {
            let base = expert * rows * cols
            for row in 0..<rows {
                for col in 0..<cols { transposed[base + col * rows + row] = values[base + row * cols + col] }
            }
        }
        return transposed
    }

    /// The key and value parts of latent attention's `[H·(n+v), L]` `kv_b_proj` as llama.cpp
    /// stores them: keys `[H, L, n]` (each head's n rows transposed), values `[H, v, L]`.
    static func splitKeyValue(_ values: [Float], shape: [Int], split: FusedProjection) -> [(FusedProjection.Part, [Int], [Float])] {
        let latent = shape[1], block = split.keyRows + split.valueRows
        let heads = shape[0] / block
        var keyStack: [Float] = [], valueStack: [Float] = []
        keyStack.reserveCapacity(heads * split.keyRows * latent)
        valueStack.reserveCapacity(heads * split.valueRows * latent)
        for head in 0..<heads {
            let base = head * block * latent
            valueStack.append(contentsOf: values[(base + split.keyRows * latent)..<(base + block * latent)])
            keyStack.append(contentsOf: transposeExperts(Array(values[base..<(base + split.keyRows * latent)]), shape: [1, split.keyRows, latent]))
        }
        return [(.key, [heads, latent, split.keyRows], keyStack), (.value, [heads, split.valueRows, latent], valueStack)]
    }

    /// The gate and up parts of a fused stack of experts (`[E, rows, cols]`), each of the returned
    /// shape `[E, I, H]` (output rows first, as `convert_hf_to_gguf.py` writes
    /// `ffn_gate_exps`/`ffn_up_exps`).
    static func splitFused(_ values: [Float], shape: [Int], split: FusedProjection) -> (shape: [Int], parts: [(FusedProjection.Part, [Float])]) {
        let (experts, rows, cols) = (shape[0], shape[1], shape[2])
        let fusedLength = split.axis == .rows ? rows : cols
        let width = split.axis == .rows ? cols : rows
        var parts: [[Float]] = [[], []]
        for part in parts.indices { parts[part].reserveCapacity(values.count / 2) }
        for expert in 0..<experts {
            let base = expert * rows * cols
            for slot in 0..<2 {
                let wanted = split.parts[slot]
                for fused in 0..<fusedLength where split.locate(fused, length: fusedLength).part == wanted {
                    // One output row of the part: a stored row (rows axis) or a stored column.
                    for position in 0..<width {
                        parts[slot].append(split.axis == .rows ? values[base + fused * cols + position] : values[base + position * cols + fused])
                    }
                }
            }
        }
        return ([experts, fusedLength / 2, width], [(split.parts[0], parts[0]), (split.parts[1], parts[1])])
    }

    /// Writes every tensor of `reader`'s checkpoint as `torch.save(state_dict)` would. Tensors
    /// keep their dtype when torch has a storage for it (bytes copied), else become F32 — a
    /// scaled weight then as its values, without its factor tensor.
    public static func writePyTorch(from reader: CheckpointReader, to path: String) throws {
        var tensors: [PyTorchWriter.Tensor] = []
        let tensorsByName = Dictionary(reader.checkpoint.tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for tensor in reader.checkpoint.tensors {
            if let weight = tensor.scaledWeight.flatMap({ tensorsByName[$0] }), PyTorchWriter.storageTypeNames[weight.dtype] == nil { continue }
            if PyTorchWriter.storageTypeNames[tensor.dtype] != nil {
                var bytes = [UInt8](repeating: 0, count: Int(tensor.deliveredByteCount))
                try bytes.withUnsafeMutableBytes { try reader.readBytes(of: tensor, at: 0, into: $0) }
                tensors.append(.init(name: tensor.name, dtype: tensor.dtype, shape: tensor.shape, bytes: bytes))
            } else {
                tensors.append(.init(name: tensor.name, shape: tensor.shape, values: try readFloats(reader, tensor)))
            }
        }
        try PyTorchWriter.write(tensors, to: path)
    }

    private static func readFloats(_ reader: CheckpointReader, _ tensor: TensorInfo) throws -> [Float] {
        try tensor.requireDecodable(file: reader.displayName(ofFile: tensor.fileIndex))
        var values = [Float](repeating: 0, count: tensor.elementCount)
        try reader.readChunks(of: tensor) { chunk in
            values.withUnsafeMutableBufferPointer { all in
                chunk.decode(into: UnsafeMutableBufferPointer(rebasing: all[chunk.firstElement..<chunk.firstElement + chunk.elementCount]))
            }
        }
        return values
    }
}
