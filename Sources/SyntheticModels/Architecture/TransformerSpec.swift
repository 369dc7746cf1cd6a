/// The shape of a small transformer, enough to generate realistic tensor sets.
public struct TransformerSpec: Sendable, Hashable, Codable {
    /// Naming and layout family.
    public enum Family: String, Sendable, Codable {
        /// Hugging Face Llama naming: pre-RMSNorm, gated MLP (gate/up/down), no biases.
        case llama
        /// Hugging Face BERT naming: post-LayerNorm, MLP (intermediate/output), biases.
        case bert
    }

    public var family: Family
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var keyValueHeadCount: Int
    /// BERT only: learned absolute positions.
    public var maxPositions: Int
    /// Llama only: whether `lm_head` is tied to the embedding (then it is not stored).
    public var tiedEmbeddings: Bool

    public init(family: Family, vocabSize: Int, hiddenSize: Int, intermediateSize: Int, layerCount: Int,
                headCount: Int, keyValueHeadCount: Int? = nil, maxPositions: Int = 128, tiedEmbeddings: Bool = false) {
        self.family = family
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.keyValueHeadCount = keyValueHeadCount ?? headCount
        self.maxPositions = maxPositions
        self.tiedEmbeddings = tiedEmbeddings
    }

    public var headDimension: Int { hiddenSize / headCount }

    /// A Llama-style model of about 0.5 M parameters: fast enough for many test pairs.
    public static let tinyLlama = TransformerSpec(
        family: .llama, vocabSize: 512, hiddenSize: 64, intermediateSize: 176, layerCount: 4, headCount: 4)

    /// A BERT-style model of about 0.4 M parameters.
    public static let tinyBERT = TransformerSpec(
        family: .bert, vocabSize: 512, hiddenSize: 64, intermediateSize: 256, layerCount: 4, headCount: 4, maxPositions: 64)

    /// A Llama-style model with grouped-query attention (2 KV heads for 8 query heads).
    public static let smallLlamaGQA = TransformerSpec(
        family: .llama, vocabSize: 1024, hiddenSize: 128, intermediateSize: 352, layerCount: 6, headCount: 8, keyValueHeadCount: 2)
}
