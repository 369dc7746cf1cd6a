/// Architecture facts inferred from tensor names and shapes (and `config.json` when present).
public struct ModelStructure: Sendable, Hashable, Codable {
    /// Naming family recognised from tensor names: `llama`, `bert`, `gpt2`, `gpt-neox`, `gguf-llama`, or `unknown`.
    public var family: String
    /// Number of transformer blocks (highest layer index + 1), 0 if none found.
    public var layerCount: Int
    /// Width of the residual stream.
    public var hiddenSize: Int
    /// Width of the MLP, when found.
    public var intermediateSize: Int?
    /// Attention heads and key/value heads, only when declared in `config.json`.
    public var headCount: Int?
    public var keyValueHeadCount: Int?
    /// Rows of the token embedding (vocabulary size as stored).
    public var vocabularyRows: Int?
    /// Whether the output head shares the embedding (no separate head tensor, or identical bytes).
    public var tiedEmbeddings: Bool
    /// Name of the token-embedding tensor, when identified.
    public var embeddingTensor: String?
    /// Where each fact came from: `names`, `shapes` or `config.json`.
    public var sources: [String]

    public init(family: String, layerCount: Int, hiddenSize: Int, intermediateSize: Int?, headCount: Int?,
                keyValueHeadCount: Int?, vocabularyRows: Int?, tiedEmbeddings: Bool, embeddingTensor: String?, sources: [String]) {
        self.family = family
        self.layerCount = layerCount
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.headCount = headCount
        self.keyValueHeadCount = keyValueHeadCount
        self.vocabularyRows = vocabularyRows
        self.tiedEmbeddings = tiedEmbeddings
        self.embeddingTensor = embeddingTensor
        self.sources = sources
    }
}

/// Facts read from a Hugging Face `config.json`, all optional.
public struct ModelConfigHints: Sendable, Hashable {
    public var modelType: String?
    public var hiddenSize: Int?
    public var headCount: Int?
    public var keyValueHeadCount: Int?
    public var vocabularySize: Int?

    public init(modelType: String? = nil, hiddenSize: Int? = nil, headCount: Int? = nil,
                keyValueHeadCount: Int? = nil, vocabularySize: Int? = nil) {
        self.modelType = modelType
        self.hiddenSize = hiddenSize
        self.headCount = headCount
        self.keyValueHeadCount = keyValueHeadCount
        self.vocabularySize = vocabularySize
    }
}
