import ArgumentParser
import Checkpoints
import Fingerprinting
import Foundation
import ProvenanceCrypto

/// `provenance inspect PATH`: what a checkpoint holds.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show the files, tensors, dtypes and metadata of a checkpoint, or the contents of a fingerprint file.",
        discussion: """
            PATH may be a .safetensors file, a directory of them, a sharded checkpoint \
            (directory or its model.safetensors.index.json), a GGUF file or split set \
            (NAME-00001-of-0000N.gguf), a PyTorch pytorch_model.bin/.pt (or its \
            pytorch_model.bin.index.json) or a Hugging Face cache entry \
            (models--ORG--NAME or one of its snapshots). PyTorch pickles are read \
            without running them; anything but tensor data is refused.
            """
    )

    @Argument(help: "The checkpoint to inspect.")
    var path: String

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false

    @Flag(name: .long, help: "Compute the SHA-256 of every file (reads all bytes).")
    var hash = false

    @Option(name: .long, help: "Show at most this many tensors in the text table (0 = all).")
    var limit = 0

    func run() throws {
        if Fingerprint.isFingerprintFile(path) {
            try inspectFingerprint()
            return
        }
        let reader = try CheckpointReader(path: path)
        let checkpoint = reader.checkpoint
        var digests: [String?] = Array(repeating: nil, count: checkpoint.files.count)
        if hash {
            for index in checkpoint.files.indices {
                let hasher = SHA256()
                try reader.readFileChunks(fileIndex: index) { hasher.update($0) }
                digests[index] = hasher.finalize().hex
            }
        }
        let summary = CheckpointSummary(checkpoint, fileDigests: digests)
        if json {
            print(try CommandOutput.json(summary))
        } else {
            print(summary.text(limit: limit))
        }
    }
}

/// The JSON shape of `inspect --json` for a checkpoint.
struct CheckpointSummary: Encodable {
    struct File: Encodable {
        var name: String
        var size: UInt64
        var sha256: String?
        var metadata: [String: String]
    }
    struct Tensor: Encodable {
        var name: String
        var dtype: String
        var shape: [Int]
        var file: String
        var offset: UInt64
        var bytes: UInt64
        /// The name stored in the file when `name` was mapped from it (GGUF).
        var storedName: String?
        /// How rows are reordered on read (e.g. `llama-rope`), if they are.
        var rowPermutation: String?
        /// For a scaled weight: the tensor of scale factors and what one factor covers.
        var scaledBy: String?
        var scaleGranularity: String?
        /// For a GPTQ, AWQ or bitsandbytes weight: the packing (`gptq`, `awq`, `bitsandbytes-nf4`…), the zero-point tensor and, for
        /// GPTQ, the tensor naming each row's group.
        var packing: String?
        var zeroPoints: String?
        var groupIndex: String?
        /// For a bitsandbytes weight: the codebook tensor (`quant_map`).
        var codebook: String?
        /// A constant the factors are multiplied by (bitsandbytes LLM.int8: 1/127).
        var factorMultiplier: Float?
        /// For an MLX weight: the tensor of biases added after scaling.
        var biases: String?
        /// The stored code of zero when it is not the dtype's own (compressed-tensors' 8-bit codes: 128).
        var codeCentre: Int?
        /// The algorithm that chose the codes, as llm-compressor's recipe.yaml names it (`gptq`, `awq`, `round-to-nearest`).
        var quantizer: String?
        /// For a tensor of scale factors: the weight it scales.
        var scales: String?
    }

    var kind = "checkpoint"
    var path: String
    var format: String
    var layout: String
    var repository: String?
    var revision: String?
    var files: [File]
    var tensorCount: Int
    var parameterCount: Int
    var parametersByDType: [String: Int]
    var tensorBytes: UInt64
    var indexMetadata: [String: String]
    var architecture: String?
    var vocabularySize: Int?
    var quantizationTypes: [String]
    var gguf: GGUFSummary?
    var tensors: [Tensor]

    init(_ checkpoint: Checkpoint, fileDigests: [String?]) {
        path = checkpoint.path
        format = checkpoint.format.rawValue
        layout = checkpoint.layout.rawValue
        repository = checkpoint.huggingFaceRepository
        revision = checkpoint.huggingFaceRevision
        files = zip(checkpoint.files, fileDigests).map { File(name: $0.name, size: $0.size, sha256: $1, metadata: $0.metadata) }
        tensorCount = checkpoint.tensors.count
        parameterCount = checkpoint.parameterCount
        parametersByDType = Dictionary(uniqueKeysWithValues: checkpoint.parameterCountByDType.map { ($0.key.name, $0.value) })
        tensorBytes = checkpoint.tensorBytes
        indexMetadata = checkpoint.indexMetadata
        architecture = checkpoint.architecture
        vocabularySize = checkpoint.vocabularySize
        quantizationTypes = checkpoint.quantizationTypes.map(\.name)
        gguf = checkpoint.gguf.map(GGUFSummary.init)
        tensors = checkpoint.tensors.map {
            Tensor(name: $0.name, dtype: $0.dtype.name, shape: $0.shape, file: checkpoint.files[$0.fileIndex].name,
                   offset: $0.offset, bytes: $0.byteCount, storedName: $0.storedName, rowPermutation: $0.rowPermutation?.kind.rawValue,
                   scaledBy: $0.scale?.name, scaleGranularity: $0.scale?.description, packing: $0.packing?.order.rawValue,
                   zeroPoints: $0.scale?.zeroPoints?.location.name, groupIndex: ($0.scale?.groupIndex ?? $0.scale?.columnGroupIndex)?.name,
                   codebook: $0.scale?.codebook?.name, factorMultiplier: $0.scale?.multiplier, biases: $0.scale?.biases?.name,
                   codeCentre: $0.scale?.codeCentre, quantizer: $0.scale?.quantizer?.rawValue, scales: $0.scaledWeight)
        }
    }

    func text(limit: Int) -> String {
        var lines: [String] = []
        lines.append("Checkpoint   \(path)")
        var formatLine = "Format       \(format)\(gguf.map { " v\($0.version)" } ?? "") (\(layout))"
        if let repository { formatLine += ", Hugging Face \(repository)" + (revision.map { "@\($0.prefix(12))" } ?? "") }
        lines.append(formatLine)
        lines.append("Files        \(files.count)")
        for file in files {
            var line = "  \(file.name)  \(CommandOutput.bytes(file.size))"
            if let sha = file.sha256 { line += "  sha256 \(sha)" }
            lines.append(line)
        }
        lines.append("Tensors      \(CommandOutput.grouped(tensorCount))")
        let byType = parametersByDType.sorted { $0.value > $1.value }
            .map { "\($0.key) \(CommandOutput.grouped($0.value))" }.joined(separator: ", ")
        lines.append("Parameters   \(CommandOutput.grouped(parameterCount)) (\(byType))")
        lines.append("Tensor data  \(CommandOutput.bytes(tensorBytes))")
        lines += formatDetailLines()
        let scaled = tensors.filter { $0.scaledBy != nil }
        if !scaled.isEmpty {
            let kinds = Dictionary(grouping: scaled) { tensor in
                // The width where the dtype does not tell it (U8 codes of 2-, 3- and 8-bit GPTQ, MLX's odd widths).
                let format = tensor.packing.flatMap(CodePacking.Order.init(rawValue:)).map { "\($0.formatName) \($0.statedBits.map { "\($0)-bit " } ?? "")\(tensor.dtype)" }
                    ?? (tensor.factorMultiplier != nil ? "bitsandbytes LLM.int8 \(tensor.dtype)" : tensor.biases != nil ? "MLX \(tensor.dtype)" : tensor.dtype)
                // GPTQ's layout groups the rows of its [K, N] codes; compressed-tensors' the columns of [R, C].
                let gptq = tensor.packing.flatMap(CodePacking.Order.init(rawValue:))?.isGPTQ == true
                let groups = tensor.groupIndex == nil ? "" : gptq ? " (rows grouped by g_idx)" : " (columns grouped by g_idx)"
                let zeros = (tensor.zeroPoints == nil ? "" : " and zero points") + groups
                let codebook = (tensor.codebook == nil ? "" : " and a 16-value codebook") + (tensor.biases == nil ? "" : " and biases")
                return "\(format) with \(tensor.scaleGranularity ?? "?") scale factors\(zeros)\(codebook)"
            }.sorted { $0.key < $1.key }.map { "\($0.value.count) \($0.key)" }
            // How values come from codes, for each kind present.
            var rules: [String] = []
            if scaled.contains(where: { $0.zeroPoints == nil && $0.codebook == nil && $0.factorMultiplier == nil && $0.biases == nil && $0.codeCentre == nil }) {
                rules.append("codes × factors")
            }
            for centre in Set(scaled.filter { $0.zeroPoints == nil }.compactMap(\.codeCentre)).sorted() { rules.append("(code − \(centre)) × factor") }
            if scaled.contains(where: { $0.biases != nil }) { rules.append("code × factor + bias") }
            if scaled.contains(where: { $0.factorMultiplier != nil }) { rules.append("code × factor / 127") }
            if scaled.contains(where: { $0.zeroPoints != nil }) { rules.append("(code − zero) × factor") }
            if scaled.contains(where: { $0.codebook != nil }) { rules.append("codebook[code] × factor") }
            let rule = rules.joined(separator: ", or ")
            lines.append("Scaled       \(kinds.joined(separator: ", ")) (values are \(rule); factor tensors marked *)")
            let quantizers = Set(scaled.compactMap(\.quantizer)).sorted()
            if !quantizers.isEmpty { lines.append("Quantizer    \(quantizers.joined(separator: ", ")) (llm-compressor's recipe.yaml)") }
        }
        let metadata = gguf != nil ? [] : files.flatMap { file in file.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } }
        if !metadata.isEmpty { lines.append("Metadata     \(Array(Set(metadata)).sorted().joined(separator: ", "))") }
        if !indexMetadata.isEmpty {
            lines.append("Index        \(indexMetadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))")
        }
        lines.append("")
        let shown = limit > 0 ? Array(tensors.prefix(limit)) : tensors
        let multiFile = files.count > 1
        let mapped = tensors.contains { $0.storedName != nil }
        let header = ["NAME", "DTYPE", "SHAPE"] + (multiFile ? ["FILE"] : []) + ["OFFSET", "BYTES"] + (mapped ? ["STORED AS"] : [])
        let rows = shown.map { tensor in
            [tensor.scales == nil ? tensor.name : tensor.name + " *", tensor.dtype, "[" + tensor.shape.map(String.init).joined(separator: ", ") + "]"]
                + (multiFile ? [tensor.file] : []) + [String(tensor.offset), CommandOutput.grouped(Int(tensor.bytes))]
                + (mapped ? [storedDescription(tensor)] : [])
        }
        let numeric: Set<Int> = multiFile ? [4, 5] : [3, 4]
        lines.append(CommandOutput.table(header, rows, rightAligned: numeric))
        if shown.count < tensors.count {
            lines.append("… \(tensors.count - shown.count) more tensors (use --limit 0 to show all)")
        }
        return lines.joined(separator: "\n")
    }
}
