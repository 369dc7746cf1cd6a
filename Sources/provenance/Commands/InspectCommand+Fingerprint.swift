import Checkpoints
import Fingerprinting
import Foundation

// MARK: - Fingerprint files

extension InspectCommand {
    /// Shows a fingerprint file: what was fingerprinted, the model, roots, profiles, keys and
    /// one line per tensor.
    func inspectFingerprint() throws {
        let data = FileManager.default.contents(atPath: path) ?? Data()
        let (fingerprint, extras) = try Fingerprint.decode(Array(data), name: path)
        if json {
            var object: [String: Any] = [:]
            if let document = extras["release"].flatMap({ try? JSONSerialization.jsonObject(with: Data($0.utf8)) }) {
                object["release"] = document
            }
            let fingerprintJSON = try Fingerprint.documentJSON(fingerprint)
            object["fingerprint"] = try JSONSerialization.jsonObject(with: Data(fingerprintJSON.utf8))
            let output = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: output, as: UTF8.self))
            return
        }
        print(FingerprintSummary.text(fingerprint, path: path, fileSize: UInt64(data.count), extras: extras, limit: limit))
    }
}

/// Readable text for a fingerprint file.
enum FingerprintSummary {
    static func text(_ fingerprint: Fingerprint, path: String, fileSize: UInt64, extras: [String: String], limit: Int) -> String {
        let header = fingerprint.header, source = fingerprint.source, structure = fingerprint.structure
        var lines: [String] = []
        lines.append("Fingerprint  \(path)  (\(CommandOutput.bytes(fileSize)))")
        lines.append("Format       \(header.format) v\(header.formatVersion), \(header.tool) \(header.toolVersion), seed \(header.seed)")
        if let release = extras["release"], let object = try? JSONSerialization.jsonObject(with: Data(release.utf8)) as? [String: Any] {
            let name = (object["name"] as? String ?? "?") + ((object["version"] as? String).map { "@" + $0 } ?? "")
            let details = ["org", "license", "released", "url"].compactMap { key in (object[key] as? String).map { "\(key) \($0)" } }
            lines.append("Release      \(name)" + (details.isEmpty ? "" : "  (" + details.joined(separator: ", ") + ")"))
        }
        lines.append("Source       \(source.format) (\(source.layout)), \(source.files.count) file\(source.files.count == 1 ? "" : "s"), "
                     + "\(CommandOutput.grouped(source.tensorCount)) tensors, \(CommandOutput.grouped(source.parameterCount)) parameters"
                     + (source.repository.map { ", Hugging Face \($0)" } ?? ""))
        for file in source.files {
            lines.append("  \(file.name)  \(CommandOutput.bytes(file.size))" + (file.sha256.map { "  sha256 \($0.hex)" } ?? ""))
        }
        var model = ["\(structure.family)", "\(structure.layerCount) layers", "hidden \(structure.hiddenSize)"]
        if let mlp = structure.intermediateSize { model.append("MLP \(mlp)") }
        if let heads = structure.headCount { model.append("\(heads) heads") }
        if let vocabulary = structure.vocabularyRows { model.append("vocabulary \(CommandOutput.grouped(vocabulary))") }
        if structure.tiedEmbeddings { model.append("tied embeddings") }
        lines.append("Model        " + model.joined(separator: ", "))
        lines.append("Roots        raw \(fingerprint.roots.raw.hex)")
        lines.append("             canonical \(fingerprint.roots.canonical.hex)")
        let kinds = Array(Set(fingerprint.profiles.map(\.kind))).sorted().joined(separator: ", ")
        let layers = Array(Set(fingerprint.profiles.map(\.layer))).sorted().map(String.init).joined(separator: ",")
        lines.append("Profiles     \(fingerprint.profiles.count) sets (\(kinds.isEmpty ? "none" : kinds)) in layers \(layers.isEmpty ? "-" : layers); "
                     + "probe: \(fingerprint.probe.kind == .embedding ? "embedding rows of \(fingerprint.probe.tokenIDs.count) token ids" : "public random vectors")")
        let sketchKeys = fingerprint.indexKeys.filter { $0.kind == "sketch" }.count
        let rounded = Dictionary(grouping: fingerprint.tensors.filter { $0.roundingEnergy != nil }, by: \.dtype)
        if !rounded.isEmpty {
            let parts = rounded.sorted { $0.key < $1.key }.map { type, tensors in
                let energy = tensors.reduce(0.0) { $0 + $1.roundingEnergy! }
                let squares = tensors.reduce(0.0) { $0 + ($1.statistics?.sumSquares ?? 0) }
                return String(format: "%@ %.2g (%d tensors)", type, squares > energy ? (energy / (squares - energy)).squareRoot() : 1, tensors.count)
            }
            lines.append("Rounding     expected relative error of the stored values: " + parts.joined(separator: ", "))
        }
        let stacks = fingerprint.tensors.filter { $0.experts != nil && !ExpertLayout.isPerHeadStack(name: $0.name) }
        let headStacks = fingerprint.tensors.filter { $0.experts != nil && ExpertLayout.isPerHeadStack(name: $0.name) }
        if !fingerprint.expertGroups.isEmpty || !stacks.isEmpty {
            var parts: [String] = []
            if !fingerprint.expertGroups.isEmpty {
                let experts = fingerprint.expertGroups.reduce(0) { $0 + $1.members.count }
                parts.append("\(fingerprint.expertGroups.count) groups of per-expert tensors (\(CommandOutput.grouped(experts)) experts)")
            }
            if !stacks.isEmpty {
                let experts = stacks.reduce(0) { $0 + ($1.experts ?? 0) }
                parts.append("\(stacks.count) stacked tensors (\(CommandOutput.grouped(experts)) experts)")
            }
            lines.append("Experts      " + parts.joined(separator: ", ") + "; one summed sketch each")
            let tabled = fingerprint.tabledTensorCount
            if tabled > 0 {
                lines.append("             \(CommandOutput.grouped(tabled)) tensors stored in expert tables (file format version 2)")
            }
        }
        if !headStacks.isEmpty {
            lines.append("Heads        \(headStacks.count) per-head stacks of latent attention's keys and values (attn_k_b, attn_v_b); one summed sketch each")
        }
        if !fingerprint.fusedParts.isEmpty {
            var kinds: [String] = []
            for (keyValue, what) in [(false, "gate/up tensors (%@), gate and up also sketched as separate matrices"),
                                     (true, "key/value tensors of latent attention (%@), keys and values also sketched as per-head stacks")] {
                let parts = fingerprint.fusedParts.filter { ($0.layout == .headBlocks) == keyValue }
                guard !parts.isEmpty else { continue }
                let splits = Set(parts.map { "\($0.layout.rawValue) along \($0.axis.rawValue)" }).sorted().joined(separator: "; ")
                kinds.append("\(Set(parts.map(\.tensor)).count) " + what.replacingOccurrences(of: "%@", with: splits))
            }
            lines.append("Fused        " + kinds.joined(separator: "; "))
        }
        lines.append("Index keys   \(fingerprint.indexKeys.count) (\(sketchKeys) sketch, \(fingerprint.indexKeys.count - sketchKeys) probe)")
        let others = extras.keys.filter { $0 != "release" }.sorted()
        if !others.isEmpty { lines.append("Metadata     " + others.joined(separator: ", ")) }
        lines.append("")
        let shown = limit > 0 ? Array(fingerprint.tensors.prefix(limit)) : fingerprint.tensors
        let rows = shown.map { tensor -> [String] in
            let canonical = tensor.canonical.sha256 == tensor.sha256 ? "= raw" : tensor.canonical.dtype + (tensor.canonical.transposed ? " ᵀ" : "")
            return [tensor.name, tensor.role.rawValue, tensor.layer.map(String.init) ?? "-", tensor.dtype,
                    "[" + tensor.shape.map(String.init).joined(separator: ", ") + "]",
                    tensor.statistics.map { String(format: "%.3g", $0.std) } ?? "-",
                    String(tensor.sha256.hex.prefix(16)), canonical]
        }
        lines.append(CommandOutput.table(["NAME", "ROLE", "LAYER", "DTYPE", "SHAPE", "STD", "SHA-256", "CANONICAL"], rows, rightAligned: [2, 5]))
        if shown.count < fingerprint.tensors.count {
            lines.append("… \(fingerprint.tensors.count - shown.count) more tensors (use --limit 0 to show all)")
        }
        return lines.joined(separator: "\n")
    }
}
