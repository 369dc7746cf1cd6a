import Checkpoints
import Fingerprinting
import Foundation
import Matching
import ProvenanceCrypto

/// `provenance-bench deep`: `compare --deep` of the reader section's ~2 GiB BF16 checkpoint
/// against a copy with its hidden dimensions and every layer's MLP neurons permuted and the
/// lowest mantissa bit of half its values flipped — the worst case for the deep comparison:
/// no matrix lines up as stored and no row is an exact copy, so every row of every matrix is
/// found by its signature among all of its reference's rows. Against single-core OpenSSL
/// SHA-256 over the tensor bytes of both checkpoints. Then a copy with its residual stream
/// rotated (`RotatedCopy`): no permutation lines it up, one change of basis fitted to the
/// embeddings does.
enum DeepComparisonBenchmark: BenchmarkSection {
    static let name = "deep"
    static let summary = "compare --deep of a permuted, bit-flipped copy (every index recovered) vs single-core OpenSSL SHA-256 of both checkpoints"

    static let residentLimit: UInt64 = 256 << 20

    static func run(_ context: BenchmarkContext) throws -> BenchmarkReport {
        let synthetic = SyntheticLLMCheckpoint(architecture: context.quick ? .miniature : .tinyLlama, shardCount: 2)
        let original = try synthetic.open(in: try context.directory(for: ReaderBenchmark.name).appendingPathComponent("llama-bf16", isDirectory: true),
                                          note: context.note)
        let copyPath = try context.directory(for: name).appendingPathComponent("llama-bf16-permuted.safetensors").path
        let copy = try PermutedCopy(architecture: synthetic.architecture).open(at: copyPath, from: original, note: context.note)
        let tensorBytes = original.checkpoint.tensorBytes + copy.checkpoint.tensorBytes

        context.note("warming the page cache …")
        for reader in [original, copy] { _ = try ReaderBenchmark.pass(.read, reader, threads: 1) }
        context.note("measuring SHA-256 …")
        let hashSeconds = try [original, copy].reduce(0.0) { $0 + (try ReaderBenchmark.singleCoreSHA256($1, repetitions: context.repetitions).result.hashSeconds) }
        let shaSpeed = Measurement.gigabytesPerSecond(bytes: tensorBytes, seconds: hashSeconds)

        var table = ResultTable(columns: [
            .init(title: "measurement", numeric: false), .init(title: "seconds", numeric: true),
            .init(title: "GB/s", numeric: true), .init(title: "× SHA-256", numeric: true),
        ])
        func row(_ label: String, seconds: Double) {
            let speed = Measurement.gigabytesPerSecond(bytes: tensorBytes, seconds: seconds)
            table.append([label, Measurement.fixed(seconds, 3), Measurement.fixed(speed), Measurement.fixed(speed / shaSpeed, 2) + "×"])
        }
        row("OpenSSL SHA-256 of both checkpoints' tensor bytes (hashing time only)", seconds: hashSeconds)

        context.note("fingerprinting both (2 threads) and comparing …")
        var options = FingerprintOptions()
        options.threads = 2
        var comparison: Comparison?
        var prints: (suspect: Fingerprint, reference: Fingerprint)?
        let fingerprintSeconds = try Measurement.best(of: 1) {
            let suspect = try Fingerprinter.fingerprint(copy, options: options), reference = try Fingerprinter.fingerprint(original, options: options)
            comparison = Matcher.compare(suspect, suspectIdentity: ModelIdentity(fingerprint: suspect, label: "copy", kind: "checkpoint"),
                                         with: .init(label: "original", fingerprint: reference, kind: "checkpoint"))
            prints = (suspect, reference)
        }
        row("fingerprint both and compare (compare without --deep)", seconds: fingerprintSeconds)

        context.note("comparing the full weights, every index recovered …")
        var evidence: FullWeightEvidence?
        let deepSeconds = try Measurement.best(of: context.repetitions) {
            evidence = try FullWeightComparison.compare(suspect: copy, reference: original, comparison: comparison!,
                                                        suspectFingerprint: prints!.suspect, referenceFingerprint: prints!.reference)
        }
        row("full-weight comparison with recovered indices (the --deep part)", seconds: deepSeconds)

        context.note("settling the verdict with the figures …")
        var settled: Comparison?
        let settleSeconds = try Measurement.best(of: context.repetitions) {
            settled = Matcher.compare(prints!.suspect, suspectIdentity: ModelIdentity(fingerprint: prints!.suspect, label: "copy", kind: "checkpoint"),
                                      with: .init(label: "original", fingerprint: prints!.reference, kind: "checkpoint"), fullWeights: evidence)
        }
        row("the comparison again with the figures (--deep's verdict)", seconds: settleSeconds)

        // A rotated copy: no permutation lines its stream up, a change of basis fitted to the
        // embeddings does (d³-order work once, then d² per compared unit).
        let rotatedPath = try context.directory(for: name).appendingPathComponent("llama-bf16-rotated.safetensors").path
        let rotated = try RotatedCopy(architecture: synthetic.architecture).open(at: rotatedPath, from: original, note: context.note)
        _ = try ReaderBenchmark.pass(.read, rotated, threads: 1)
        context.note("rotated copy: fingerprinting it and comparing …")
        var rotatedComparison: Comparison?
        var rotatedPrint: Fingerprint?
        let rotatedFingerprintSeconds = try Measurement.best(of: 1) {
            let suspect = try Fingerprinter.fingerprint(rotated, options: options)
            rotatedComparison = Matcher.compare(suspect, suspectIdentity: ModelIdentity(fingerprint: suspect, label: "rotated copy", kind: "checkpoint"),
                                                with: .init(label: "original", fingerprint: prints!.reference, kind: "checkpoint"))
            rotatedPrint = suspect
        }
        row("rotated copy: fingerprint it and compare (the original's fingerprint reused)", seconds: rotatedFingerprintSeconds)
        context.note("rotated copy: comparing the full weights through a fitted rotation …")
        var rotatedEvidence: FullWeightEvidence?
        let rotatedDeepSeconds = try Measurement.best(of: context.repetitions) {
            rotatedEvidence = try FullWeightComparison.compare(suspect: rotated, reference: original, comparison: rotatedComparison!,
                                                               suspectFingerprint: rotatedPrint!, referenceFingerprint: prints!.reference)
        }
        row("rotated copy: full-weight comparison through the fitted rotation (the --deep part)", seconds: rotatedDeepSeconds)
        let rotatedSettled = Matcher.compare(rotatedPrint!, suspectIdentity: ModelIdentity(fingerprint: rotatedPrint!, label: "rotated copy", kind: "checkpoint"),
                                             with: .init(label: "original", fingerprint: prints!.reference, kind: "checkpoint"), fullWeights: rotatedEvidence)

        let pairs = evidence!.pairs
        let lined = pairs.filter { $0.recoveredIndices?.isRearranged == true }
        let minimumCosine = pairs.map(\.cosine).min() ?? 0
        var report = BenchmarkReport(title: summary)
        report.setup = [
            "original: \(original.checkpoint.files.count) shards, \(original.checkpoint.tensors.count) tensors, "
                + "\(original.checkpoint.parameterCount) BF16 parameters; copy: \(copyPath) (hidden dimensions and every layer's MLP neurons permuted, "
                + "lowest mantissa bit of about half the values flipped)",
            "verdict from the fingerprints: \(comparison!.verdict.sentence)",
            "verdict with the figures: \(settled!.verdict.sentence)",
            "rotated copy: \(rotatedPath) (norm weights folded into the matrices after them, the residual stream turned by a "
                + "sign-randomised Walsh–Hadamard rotation, stored BF16); verdict from the fingerprints: \(rotatedComparison!.verdict.sentence)",
            "rotated copy, verdict with the figures: \(rotatedSettled.verdict.sentence)",
            "\(pairs.count) matrices compared element by element, \(lined.count) lined up by "
                + "recovered indices, \(evidence!.skipped.count) skipped; least cosine \(Measurement.fixed(minimumCosine, 6))",
            "data in the page cache; deep comparison best of \(context.repetitions) runs, fingerprints 1 run; GB/s = tensor bytes of both "
                + "checkpoints (10^9) per wall-clock second",
            "OpenSSL: \(SHA256.implementationVersion); CPUs online: \(ProcessInfo.processInfo.activeProcessorCount)",
        ]
        report.table = table
        let layers = settled!.layers.filter { $0.suspectLayer != nil }
        report.targets = [.init(description: "every matrix lined up (\(pairs.count) of \(pairs.count + evidence!.skipped.count)), cosine ≥ 0.999",
                                measured: "\(lined.count) lined up, least cosine \(Measurement.fixed(minimumCosine, 6))",
                                met: evidence!.skipped.isEmpty && lined.count == pairs.count && minimumCosine >= 0.999),
                          .init(description: "--deep's verdict: derived, every layer matched (neuron profiles cover at most 8)",
                                measured: "\(settled!.verdict.kind.rawValue), \(layers.filter { $0.matchedBy != "none" }.count) of \(layers.count) layers, "
                                    + "coverage \(Measurement.fixed(settled!.verdict.coverage * 100, 0)) %",
                                met: settled!.verdict.kind == .derived && layers.allSatisfy { $0.matchedBy != "none" })]
        let rotatedPairs = rotatedEvidence!.pairs
        let turned = rotatedPairs.filter { $0.recoveredIndices?.hiddenOrder == .rotated }
        let rotatedMinimum = rotatedPairs.map(\.cosine).min() ?? 0
        let fit = turned.first?.recoveredIndices?.rotation
        let rotatedLayers = rotatedSettled.layers.filter { $0.suspectLayer != nil }
        report.targets += [.init(description: "rotated copy: every matrix lined up through one fitted rotation, cosine ≥ 0.999",
                                 measured: "\(turned.count) of \(rotatedPairs.count + rotatedEvidence!.skipped.count) lined up, least cosine "
                                     + "\(Measurement.fixed(rotatedMinimum, 6))" + (fit.map { ", held-out residual \(String(format: "%.2g", $0.heldOutResidual)) over \($0.fittedTokens) fitted tokens" } ?? ""),
                                 met: rotatedEvidence!.skipped.isEmpty && !turned.isEmpty && turned.count == rotatedPairs.count && rotatedMinimum >= 0.999),
                           .init(description: "rotated copy, --deep's verdict: derived (residual stream rotated), every layer matched",
                                 measured: "\(rotatedSettled.verdict.kind.rawValue), \(rotatedLayers.filter { $0.matchedBy != "none" }.count) of \(rotatedLayers.count) layers",
                                 met: rotatedSettled.verdict.kind == .derived && rotatedSettled.verdict.sentence.contains("residual stream rotated")
                                     && rotatedLayers.allSatisfy { $0.matchedBy != "none" })]
        report.peakResidentLimit = residentLimit
        return report
    }
}

// MARK: - The permuted copy

extension DeepComparisonBenchmark {
    /// Writes a copy of the synthetic checkpoint with the hidden dimensions and each layer's MLP
    /// neurons permuted (function-preserving for a real model: every tensor touching an axis is
    /// permuted alike) and the lowest mantissa bit of about half the BF16 values flipped.
    struct PermutedCopy {
        var architecture: SyntheticLLMCheckpoint.Architecture

        func open(at path: String, from original: CheckpointReader, note: (String) -> Void) throws -> CheckpointReader {
            if let reader = try? CheckpointReader(path: path),
               reader.checkpoint.tensors.map(\.name) == original.checkpoint.tensors.map(\.name),
               reader.checkpoint.tensors.map(\.byteCount) == original.checkpoint.tensors.map(\.byteCount) {
                return reader
            }
            note("writing a permuted copy of \(original.checkpoint.tensors.count) tensors to \(path) (once) …")
            let tensors = original.checkpoint.tensors
            var random = UInt64(0xDEE9)
            let hidden = Self.permutation(architecture.hidden, state: &random)
            let neurons = (0..<architecture.layers).map { _ in Self.permutation(architecture.intermediate, state: &random) }
            let declarations = tensors.map { SafetensorsWriter.Declaration(name: $0.name, dtype: $0.dtype, shape: $0.shape) }
            try SafetensorsWriter.write(declarations, metadata: ["format": "pt"], to: path) { index, sink in
                let tensor = tensors[index]
                var values = [UInt16](repeating: 0, count: tensor.elementCount)
                try values.withUnsafeMutableBytes { try original.readBytes(of: tensor, at: 0, into: $0) }
                let layer = tensor.name.split(separator: ".").dropFirst(2).first.flatMap { Int($0) }
                let (rows, columns) = Self.axes(tensor.name, layer: layer, hidden: hidden, neurons: neurons)
                var permuted = Self.permute(values, shape: tensor.shape, rows: rows, columns: columns)
                for index in permuted.indices { permuted[index] ^= UInt16(Self.next(&random) & 1) }
                try permuted.withUnsafeBytes { try sink($0) }
            }
            return try CheckpointReader(path: path)
        }

        /// The permutations of a tensor's rows and columns (nil: kept), by its Llama name.
        static func axes(_ name: String, layer: Int?, hidden: [Int], neurons: [[Int]]) -> (rows: [Int]?, columns: [Int]?) {
            if name.hasSuffix("norm.weight") { return (hidden, nil) }
            if name.contains("embed_tokens") || name.hasPrefix("lm_head") { return (nil, hidden) }
            guard let layer else { return (nil, nil) }
            if name.contains("gate_proj") || name.contains("up_proj") { return (neurons[layer], hidden) }
            if name.contains("down_proj") { return (hidden, neurons[layer]) }
            if name.contains("o_proj") { return (hidden, nil) }
            return (nil, hidden)  // q, k, v
        }

        /// new[i][j] = old[rows[i]][columns[j]]; a 1-D tensor is permuted by `rows`.
        static func permute(_ values: [UInt16], shape: [Int], rows: [Int]?, columns: [Int]?) -> [UInt16] {
            guard shape.count == 2 else { return rows.map { order in order.map { values[$0] } } ?? values }
            let width = shape[1]
            var result = values
            for row in 0..<shape[0] {
                let source = rows?[row] ?? row
                for column in 0..<width { result[row * width + column] = values[source * width + (columns?[column] ?? column)] }
            }
            return result
        }

        /// A seeded Fisher–Yates permutation of 0..<count (xorshift64).
        static func permutation(_ count: Int, state: inout UInt64) -> [Int] {
            var order = Array(0..<count)
            for index in stride(from: count - 1, to: 0, by: -1) { order.swapAt(index, Int(next(&state) % UInt64(index + 1))) }
            return order
        }

        /// One xorshift64 step.
        static func next(_ state: inout UInt64) -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
    }
}
