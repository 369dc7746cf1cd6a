// MARK: - Format details

extension Checkpoint {
    /// The model architecture the checkpoint declares (GGUF `general.architecture`), if any.
    public var architecture: String? { gguf?.architecture }

    /// The vocabulary size the checkpoint declares (GGUF tokenizer token count), if any.
    public var vocabularySize: Int? { gguf?.vocabularySize }

    /// The block-quantized dtypes among the tensors (e.g. `[Q4_K, Q6_K]`), in `DType` order;
    /// empty for unquantized checkpoints.
    public var quantizationTypes: [DType] {
        let present = Set(tensors.lazy.map(\.dtype).filter(\.isBlockQuantized))
        return DType.allCases.filter(present.contains)
    }

    /// Whether any tensor's name was mapped from a stored name, or its rows are reordered on read.
    public var hasRemappedTensors: Bool {
        tensors.contains { $0.storedName != nil || $0.rowPermutation != nil }
    }
}
