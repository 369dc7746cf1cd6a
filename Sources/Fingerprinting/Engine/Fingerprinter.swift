import Checkpoints
import Dispatch
import ProvenanceCrypto

/// Computes fingerprints of checkpoints.
public enum Fingerprinter {
    /// The tool name and version recorded in every fingerprint.
    public static let toolName = "provenance"
    public static let toolVersion = "0.1.0"

    /// Fingerprints the checkpoint at `path`.
    public static func fingerprint(path: String, options: FingerprintOptions = FingerprintOptions()) throws -> Fingerprint {
        try fingerprint(CheckpointReader(path: path), options: options)
    }

    /// Fingerprints an opened checkpoint: one streaming pass, tensors and files in parallel.
    public static func fingerprint(_ reader: CheckpointReader, options: FingerprintOptions = FingerprintOptions()) throws -> Fingerprint {
        let checkpoint = reader.checkpoint
        let hints = options.configHints ?? ConfigHintsReader.read(near: checkpoint)
        let roles = RoleInference(tensors: checkpoint.tensors, hints: hints)
        let hidden = roles.structure.hiddenSize
        let seed = options.seed

        var maximumDimension = 1
        for tensor in checkpoint.tensors {
            let experts = ExpertLayout.stackedExpertCount(of: tensor)
            if let view = SketchGeometry.matrixView(tensor.shape, experts: experts) { maximumDimension = max(maximumDimension, view.rows, view.cols) }
        }
        let signs = SignTable(seed: seed, count: maximumDimension)
        let keyValueSplits = LatentAttention.keyValueSplits(checkpoint.tensors)

        var plan = ProfilePlan(tensors: checkpoint.tensors, roles: roles.assignments, hidden: hidden)
        let basis = try probeBasis(reader, structure: roles.structure, seed: seed)
        if basis == nil { plan = ProfilePlan() }
        // Without names, an untied head and the token embedding look alike: standalone profiles
        // are also taken through the other candidate (`.alt`), so one of the two probes is right.
        var alternativeProbe: ProbeBasis?
        if !plan.standalone.isEmpty, basis?.kind == .embedding,
           let embedding = roles.structure.embeddingTensor,
           let embeddingIndex = checkpoint.tensors.firstIndex(where: { $0.name == embedding }),
           roles.assignments[embeddingIndex].basis == "shape",
           let head = checkpoint.tensors.indices.first(where: { roles.assignments[$0].role == .outputHead && checkpoint.tensors[$0].shape == checkpoint.tensors[embeddingIndex].shape }) {
            alternativeProbe = try probeBasis(reader, tensor: checkpoint.tensors[head], hidden: hidden, seed: seed)
        }
        let alternative = alternativeProbe
        for (matrix, norm) in plan.gammaSources {
            let tensor = checkpoint.tensors[norm]
            guard tensor.dtype.unsupportedReason == nil, CanonicalEncoding.isFloatLike(tensor) else { continue }
            var gamma = [Float](repeating: 0, count: tensor.elementCount)
            try gamma.withUnsafeMutableBufferPointer { try reader.readElements(of: tensor, range: 0..<tensor.elementCount, into: $0) }
            plan.matrices[matrix]?.gamma = gamma.map { $0.isFinite ? $0 : 0 }
        }

        // Jobs: every tensor, and every file's whole-file digest; biggest first.
        enum Job { case tensor(Int), file(Int) }
        var jobs: [(job: Job, cost: UInt64)] = checkpoint.tensors.indices.map { (.tensor($0), checkpoint.tensors[$0].byteCount) }
        if options.fileDigests {
            jobs += checkpoint.files.indices.map { (.file($0), checkpoint.files[$0].size) }
        }
        jobs.sort { $0.cost > $1.cost }
        let total = jobs.reduce(0) { $0 + $1.cost }

        let tensorResults = Locked([Int: TensorResult]())
        let fileDigests = Locked([Int: SHA256Digest]())
        let failure = Locked<(any Error)?>(nil)
        let nextJob = Locked(0)
        let done = Locked<UInt64>(0)
        let progress = options.progress
        let report: @Sendable (UInt64) -> Void = { bytes in
            let value = done.withLock { $0 += bytes; return $0 }
            progress?(FingerprintProgress(bytesDone: value, bytesTotal: total))
        }
        let sharedJobs = jobs.map(\.job)
        let workers = max(1, min(options.threads, jobs.count))
        let frozenPlan = plan
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                if failure.withLock({ $0 != nil }) { return }
                let index: Int = nextJob.withLock { value in defer { value += 1 }; return value }
                guard index < sharedJobs.count else { return }
                do {
                    switch sharedJobs[index] {
                    case .file(let fileIndex):
                        let hasher = SHA256()
                        try reader.readFileChunks(fileIndex: fileIndex, chunkBytes: options.chunkBytes) { bytes in
                            hasher.update(bytes)
                            report(UInt64(bytes.count))
                        }
                        let digest = hasher.finalize()
                        fileDigests.withLock { $0[fileIndex] = digest }
                    case .tensor(let tensorIndex):
                        var profiles: [ProfileRequest] = []
                        if let basis {
                            if let matrix = frozenPlan.matrices[tensorIndex] {
                                profiles.append(ProfileRequest(key: matrix.axis.rawValue, axis: matrix.axis, gamma: matrix.gamma, basis: basis))
                            }
                            for axis in frozenPlan.standalone[tensorIndex] ?? [] {
                                profiles.append(ProfileRequest(key: axis.rawValue, axis: axis, gamma: nil, basis: basis))
                                if let alternative {
                                    profiles.append(ProfileRequest(key: axis.rawValue + ".alt", axis: axis, gamma: nil, basis: alternative))
                                }
                            }
                        }
                        let job = TensorJob(
                            reader: reader, tensor: checkpoint.tensors[tensorIndex],
                            role: roles.assignments[tensorIndex].role, signs: signs, seed: seed,
                            chunkBytes: options.chunkBytes, profiles: profiles, keyValueSplit: keyValueSplits[tensorIndex], reportBytes: report)
                        let result = try job.run()
                        tensorResults.withLock { $0[tensorIndex] = result }
                    }
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                    return
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }

        let results = tensorResults.withLock { $0 }
        let digests = fileDigests.withLock { $0 }
        return assemble(checkpoint: checkpoint, roles: roles, results: results, fileDigests: digests,
                        plan: plan, basis: basis, signs: signs, seed: seed)
    }

    // MARK: - Probe

    private static func probeBasis(_ reader: CheckpointReader, structure: ModelStructure, seed: PublicSeed) throws -> ProbeBasis? {
        let hidden = structure.hiddenSize
        guard hidden > 0 else { return nil }
        if let name = structure.embeddingTensor, let tensor = reader.checkpoint.tensor(named: name),
           let basis = try probeBasis(reader, tensor: tensor, hidden: hidden, seed: seed) {
            return basis
        }
        return ProbeBasis.random(hidden: hidden, seed: seed)
    }

    /// The probe made of rows of `tensor` (a vocabulary × hidden table), if it is one.
    private static func probeBasis(_ reader: CheckpointReader, tensor: TensorInfo, hidden: Int, seed: PublicSeed) throws -> ProbeBasis? {
        if tensor.shape.count == 2, tensor.shape[1] == hidden, tensor.dtype.unsupportedReason == nil,
           CanonicalEncoding.isFloatLike(tensor),
           let ids = ProbeBasis.tokenIDs(vocabularyRows: tensor.shape[0], seed: seed) {
            var vectors = [Float](repeating: 0, count: ids.count * hidden)
            let scales = try reader.scaleFactors(of: tensor)
            try vectors.withUnsafeMutableBufferPointer { buffer in
                for (row, id) in ids.enumerated() {
                    let slice = UnsafeMutableBufferPointer(rebasing: buffer[(row * hidden)..<((row + 1) * hidden)])
                    try reader.readElements(of: tensor, range: (id * hidden)..<((id + 1) * hidden), into: slice, scales: scales)
                }
            }
            // Non-finite probe values would poison every profile.
            vectors = vectors.map { $0.isFinite ? $0 : 0 }
            return ProbeBasis(kind: .embedding, tokenIDs: ids, hidden: hidden, vectors: vectors)
        }
        return nil
    }

    // MARK: - Assembly

    private static func assemble(
        checkpoint: Checkpoint, roles: RoleInference, results: [Int: TensorResult], fileDigests: [Int: SHA256Digest],
        plan: ProfilePlan, basis: ProbeBasis?, signs: SignTable, seed: PublicSeed
    ) -> Fingerprint {
        var tensors: [TensorFingerprint] = []
        var fusedParts: [FusedPartFingerprint] = []
        for (index, tensor) in checkpoint.tensors.enumerated() {
            let result = results[index]!
            for var part in result.fusedParts {
                part.tensor = index
                fusedParts.append(part)
            }
            let assignment = roles.assignments[index]
            tensors.append(TensorFingerprint(
                name: tensor.name, dtype: tensor.dtype.name, shape: tensor.shape, file: tensor.fileIndex,
                role: assignment.role, layer: assignment.layer, roleBasis: assignment.basis,
                sha256: result.sha256, canonical: result.canonical, statistics: result.statistics, valueGrid: result.valueGrid,
                roundingEnergy: result.roundingEnergy,
                scale: tensor.scale.map {
                    TensorFingerprint.Scaling(tensor: $0.name, block: [$0.blockRows, $0.blockColumns], granularity: $0.granularity,
                                              zeroPoints: $0.zeroPoints?.location.name, groupIndex: ($0.groupIndex ?? $0.columnGroupIndex)?.name,
                                              packing: tensor.packing?.order.rawValue, biases: $0.biases?.name,
                                              quantizer: $0.quantizer?.rawValue)
                },
                experts: ExpertLayout.stackedExpertCount(of: tensor), expertDigests: result.expertDigests,
                sketch: result.sketch, lshKeys: result.lshKeys))
        }
        let expertGroups = ExpertGrouping.fold(&tensors, signs: signs, seed: seed)
        var structure = roles.structure
        if let embedding = structure.embeddingTensor, let head = tensors.first(where: { $0.role == .outputHead }),
           let embeddingPrint = tensors.first(where: { $0.name == embedding }), head.canonical.sha256 == embeddingPrint.canonical.sha256 {
            structure.tiedEmbeddings = true
        }

        var profiles: [NeuronProfileSet] = []
        for group in plan.groups {
            guard let inputAxis = plan.matrices[group.input]?.axis, let pairedAxis = plan.matrices[group.paired]?.axis,
                  let input = results[group.input]?.profiles[inputAxis.rawValue],
                  let paired = results[group.paired]?.profiles[pairedAxis.rawValue] else { continue }
            profiles.append(NeuronProfileSelection.select(
                kind: group.kind, layer: group.layer,
                inputTensor: checkpoint.tensors[group.input].name, pairedTensor: checkpoint.tensors[group.paired].name,
                input: input, paired: paired))
        }
        for suffix in ["", ".alt"] {
            for index in plan.standalone.keys.sorted() {
                for axis in plan.standalone[index]! {
                    guard let values = results[index]?.profiles[axis.rawValue + suffix] else { continue }
                    profiles.append(NeuronProfileSelection.standalone(
                        kind: "matrix." + axis.rawValue + suffix, tensor: checkpoint.tensors[index].name, profiles: values))
                }
            }
        }

        let probe = Fingerprint.Probe(kind: basis?.kind ?? .random, tokenIDs: basis?.tokenIDs ?? [], gram: basis?.gram ?? [])
        var keys = Set((tensors.map(\.lshKeys) + expertGroups.map(\.lshKeys) + fusedParts.map(\.lshKeys)).joined()
            .map { IndexKey(kind: "sketch", value: $0) })
        if basis?.kind == .embedding {
            keys.formUnion(LocalitySensitiveKeys.probeKeys(gram: probe.gram, seed: seed).map { IndexKey(kind: "probe", value: $0) })
        }

        let header = Fingerprint.Header(
            format: FingerprintFormat.name, formatVersion: FingerprintFormat.version, tool: toolName, toolVersion: toolVersion,
            seed: seed.text, sketchSide: SketchGeometry.side, probeTokens: ProbeBasis.tokenCount,
            profileNeurons: ProfilePlan.neuronLimit, lshBands: LocalitySensitiveKeys.bands,
            lshBandBits: LocalitySensitiveKeys.bitsPerBand)
        let source = Fingerprint.Source(
            format: checkpoint.format.rawValue, layout: checkpoint.layout.rawValue,
            files: checkpoint.files.enumerated().map { .init(name: $1.name, size: $1.size, sha256: fileDigests[$0]) },
            tensorCount: checkpoint.tensors.count, parameterCount: checkpoint.parameterCount,
            repository: checkpoint.huggingFaceRepository, revision: checkpoint.huggingFaceRevision)
        let roots = RootDigest.roots(of: tensors)
        return Fingerprint(header: header, source: source, structure: structure, roots: roots, tensors: tensors,
                           probe: probe, profiles: profiles, indexKeys: keys.sorted(), expertGroups: expertGroups, fusedParts: fusedParts)
    }
}

/// Name-free root digests over tensor digests.
public enum RootDigest {
    /// `SHA-256("provenance-root-v1" ‖ 0x00 ‖ label ‖ 0x00 ‖ d₁ ‖ d₂ ‖ …)` with the 32-byte
    /// digests sorted bytewise (duplicates kept). Independent of names, order and sharding.
    public static func compute(label: String, _ digests: [SHA256Digest]) -> SHA256Digest {
        let hasher = SHA256()
        hasher.update(utf8: "provenance-root-v1")
        hasher.update([0])
        hasher.update(utf8: label)
        hasher.update([0])
        for digest in digests.sorted() { hasher.update(digest.bytes) }
        return hasher.finalize()
    }

    /// Both roots of a fingerprint's tensors: raw over every stored tensor; canonical over every
    /// tensor but scale factors, which are part of how a weight is stored, not values of the
    /// model (the weight's canonical digest covers them).
    public static func roots(of tensors: [TensorFingerprint]) -> Fingerprint.Roots {
        Fingerprint.Roots(
            raw: compute(label: "raw", tensors.map(\.sha256)),
            canonical: compute(label: "canonical", tensors.filter { $0.role != .quantizationScale }.map(\.canonical.sha256)))
    }
}
