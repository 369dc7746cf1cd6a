import Foundation
import Perturbation
import ProvenanceCrypto

/// Builds suspects under `WORK/suspects/NAME/` with the Perturbation library, and reuses a
/// suspect when its recipe, the lineage and the code that writes it are unchanged
/// (`NAME.recipe` holds the key).
final class SuspectBuilder {
    let options: EvaluationOptions
    let directory: String
    /// Changes whenever the lineage is rebuilt (SHA-256 of lineage.json).
    let lineageKey: String
    /// Changes whenever the code that builds suspects does (`writerKey()`).
    let writerKey: String
    private var loaded: [LineageModel: CheckpointModel] = [:]

    init(options: EvaluationOptions) throws {
        self.options = options
        directory = (options.work as NSString).appendingPathComponent("suspects")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let lineageFile = (options.lineage as NSString).appendingPathComponent("lineage.json")
        guard let data = FileManager.default.contents(atPath: lineageFile) else {
            throw EvaluationError("\(lineageFile) is missing: build the lineage first (make eval runs eval/train_minilm.py).")
        }
        lineageKey = SHA256.hash([UInt8](data)).hex
        writerKey = try Self.writerKey()
    }

    /// The libraries whose code decides a suspect's bytes: the attacks, the readers, writers
    /// and quantizers, the synthetic models and the seed derivation, and the recipes here.
    static let writerSources = ["Perturbation", "Checkpoints", "SyntheticModels", "ProvenanceCrypto", "provenance-eval/Suspects"]

    /// SHA-256 over the paths and contents of `writerSources`' Swift files (in path order), found
    /// from this file's compile-time path; when the sources are not there (a moved binary), the
    /// executable's own bytes, which change with any rebuild.
    static func writerKey(sourceFile: String = #filePath) throws -> String {
        let fileManager = FileManager.default
        let sources = URL(fileURLWithPath: sourceFile).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let hasher = SHA256()
        var files = 0
        for library in writerSources {
            let root = sources.appendingPathComponent(library).path
            guard let enumerator = fileManager.enumerator(atPath: root) else { continue }
            for relative in enumerator.allObjects.compactMap({ $0 as? String }).sorted() where relative.hasSuffix(".swift") {
                guard let contents = fileManager.contents(atPath: root + "/" + relative) else { continue }
                hasher.update(utf8: "\(library)/\(relative)\n")
                hasher.update([UInt8](contents))
                files += 1
            }
        }
        if files > 0 { return "sources \(hasher.finalize().hex)" }
        guard let executable = fileManager.contents(atPath: "/proc/self/exe") ?? fileManager.contents(atPath: CommandLine.arguments[0]) else {
            throw EvaluationError("neither the sources under \(sources.path) nor the executable can be read to key the suspect cache.")
        }
        return "executable \(SHA256.hash([UInt8](executable)).hex)"
    }

    /// The suspect's checkpoint directory, built if needed; `built` is false when it was reused.
    func build(_ recipe: SuspectRecipe) throws -> (path: String, built: Bool) {
        let path = (directory as NSString).appendingPathComponent(recipe.name)
        let stamp = path + ".recipe"
        let key = "\(recipe.command)\nlineage \(lineageKey)\nwriter \(writerKey)\n"
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: path), let existing = fileManager.contents(atPath: stamp), String(decoding: existing, as: UTF8.self) == key {
            return (path, false)
        }
        try? fileManager.removeItem(atPath: stamp)
        try? fileManager.removeItem(atPath: path)
        if recipe.isByteCopy {
            try copyFiles(from: recipe.source.path(options), to: path)
        } else {
            var model = try load(recipe.source)
            var plan = PerturbationPlan(seed: recipe.seed)
            for attack in recipe.attacks { plan.add(try attack.perturbation(plan: plan, load: load)) }
            let records = try plan.apply(to: &model)
            let manifest = PerturbationManifest(
                tool: "provenance-eval", seed: recipe.seed,
                input: try load(recipe.source).manifestSource(path: recipe.source.rawValue), attacks: records,
                output: .init(files: model.outputFileNames, tensors: model.entries.count,
                              parameters: model.parameterCount, dtypes: model.storedDTypeCounts))
            try model.write(to: path, overwrite: true, extraFiles: [.init(name: PerturbationManifest.fileName, bytes: try manifest.jsonBytes())])
        }
        guard fileManager.createFile(atPath: stamp, contents: Data(key.utf8)) else {
            throw EvaluationError("could not write \(stamp).")
        }
        return (path, true)
    }

    /// A lineage model in memory (read once).
    func load(_ model: LineageModel) throws -> CheckpointModel {
        if let cached = loaded[model] { return cached }
        let value = try CheckpointModel.read(from: model.path(options))
        loaded[model] = value
        return value
    }

    /// Copies the regular files of `source` (weights, config, tokenizer) byte for byte.
    private func copyFiles(from source: String, to target: String) throws {
        let fileManager = FileManager.default
        let partial = target + ".partial"
        try? fileManager.removeItem(atPath: partial)
        try fileManager.createDirectory(atPath: partial, withIntermediateDirectories: true)
        for name in try fileManager.contentsOfDirectory(atPath: source).sorted() {
            let from = (source as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: from, isDirectory: &isDirectory), !isDirectory.boolValue, !name.hasPrefix(".") else { continue }
            try fileManager.copyItem(atPath: from, toPath: (partial as NSString).appendingPathComponent(name))
        }
        try fileManager.moveItem(atPath: partial, toPath: target)
    }
}

/// A failure of the evaluation harness, as a sentence.
struct EvaluationError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
