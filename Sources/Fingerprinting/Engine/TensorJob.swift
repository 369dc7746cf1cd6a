import Checkpoints
import ProvenanceCrypto

/// Fingerprints one tensor: one streaming pass over its bytes (raw digest, statistics,
/// sketch, neuron profile, exactness tracking), plus a second pass only when the canonical
/// encoding differs from the stored one.
struct TensorJob {
    let reader: CheckpointReader
    let tensor: TensorInfo
    let role: TensorRole
    let signs: SignTable
    let seed: PublicSeed
    let chunkBytes: Int
    /// Neuron profiles to take of this matrix, by key (axis, probe).
    let profiles: [ProfileRequest]
    /// The split of a fused tensor that its name and shape alone do not reveal (latent
    /// attention's `kv_b_proj`, `LatentAttention`); `nil` to take `FusedProjection.split(of:)`.
    var keyValueSplit: FusedProjection? = nil
    let reportBytes: (UInt64) -> Void

    func run() throws -> TensorResult {
        let dtype = tensor.dtype
        let decodable = dtype.unsupportedReason == nil
        // A scaled weight's values are its codes times its factors: floats whatever the codes are.
        let scales = try reader.scaleFactors(of: tensor)
        let floatLike = CanonicalEncoding.isFloatLike(tensor)
        let experts = ExpertLayout.stackedExpertCount(of: tensor)
        let view = SketchGeometry.matrixView(tensor.shape, experts: experts)
        let fused = floatLike ? keyValueSplit ?? FusedProjection.split(of: tensor) : nil
        let transposed = floatLike ? try canonicalTransposition(scales: scales) : false

        let rawHasher = SHA256()
        var statistics = decodable ? StatisticsAccumulator(count: tensor.elementCount) : nil
        var tracker = ExactnessTracker(stored: scales == nil ? dtype : .f32)
        var grid = ValueGrid(stored: dtype)
        var roundingEnergy: Double? = dtype.hasRoundingGrid || scales != nil ? 0 : nil
        let fixedCanonical = scales == nil ? CanonicalEncoding.fixedDType(for: dtype) : nil
        // F8/F4 are canonical in BF16: hash that encoding during the first pass.
        let inlineCanonical: SHA256? = floatLike && !transposed && fixedCanonical != nil && fixedCanonical != dtype ? SHA256() : nil
        let canonicalBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: ElementBlocks.elementsPerBlock * 2, alignment: 64)
        defer { canonicalBuffer.deallocate() }
        var sketch: SketchAccumulator?
        var fusedParts: FusedPartsAccumulator?
        var profileAccumulators: [ProfileAccumulator] = []
        var doubles: [Double] = []

        let result: (sketch: [Float], profiles: [[Float]]) = try signs.values.withUnsafeBufferPointer { signBuffer in
            // A stack of experts is viewed as one expert: the accumulator sums their sketches.
            // Scale-factor companions are never evidence (their weight is): no sketch, which for a
            // quantized model's thousands of [G, N] scale grids was most of the fingerprint.
            if floatLike, let view, tensor.scaledWeight == nil { sketch = SketchAccumulator(rows: view.rows, cols: view.cols, signs: signBuffer) }
            if let fused, let view { fusedParts = FusedPartsAccumulator(split: fused, rows: view.rows, cols: view.cols, signs: signBuffer) }
            if floatLike, let view, tensor.shape.count == 2 {
                profileAccumulators = profiles.map {
                    ProfileAccumulator(rows: view.rows, cols: view.cols, axis: $0.axis, basis: $0.basis, gamma: $0.gamma)
                }
            }
            var blocks = decodable ? ElementBlocks(dtype: dtype, scales: scales) : nil
            var firstElement = 0
            var zeroed: [Float] = []
            func addEvidence(_ values: UnsafeBufferPointer<Float>) {
                sketch?.add(values)
                fusedParts?.add(values)
                for index in profileAccumulators.indices { profileAccumulators[index].add(values) }
            }
            func process(_ raw: UnsafeRawBufferPointer, _ values: UnsafeBufferPointer<Float>) {
                defer { firstElement += values.count }
                let nansBefore = statistics?.nanCount ?? 0
                let nonFiniteBefore = statistics?.nonFiniteCount ?? 0
                statistics?.add(values)
                if let energy = roundingEnergy {
                    roundingEnergy = energy + (scales?.roundingEnergy(ofCodes: raw, dtype: dtype, firstElement: firstElement)
                        ?? dtype.expectedRoundingEnergy(ofBlocks: raw))
                }
                guard floatLike else { return }
                if scales == nil, (statistics?.nanCount ?? 0) > nansBefore { tracker.observeNaNs(raw: raw) }
                // Sketches and profiles count non-finite values as 0: one NaN would poison a whole sketch cell.
                if (statistics?.nonFiniteCount ?? 0) > nonFiniteBefore {
                    zeroed.removeAll(keepingCapacity: true)
                    zeroed.append(contentsOf: values.lazy.map { $0.isFinite ? $0 : 0 })
                    zeroed.withUnsafeBufferPointer(addEvidence)
                } else {
                    addEvidence(values)
                }
                if scales == nil { grid.observe(values) }
                if dtype == .f64 {
                    doubles.removeAll(keepingCapacity: true)
                    doubles.append(contentsOf: repeatElement(0, count: values.count))
                    doubles.withUnsafeMutableBufferPointer { dtype.decode(raw, into: $0) }
                    doubles.withUnsafeBufferPointer { tracker.observe($0) }
                } else if fixedCanonical == nil {
                    tracker.observe(values)
                }
                if let inlineCanonical {
                    CanonicalEncoding.encode(values, as: .bf16, into: canonicalBuffer.baseAddress!)
                    inlineCanonical.update(UnsafeRawBufferPointer(rebasing: canonicalBuffer[0..<(values.count * 2)]))
                }
            }
            try reader.readChunks(of: tensor, chunkBytes: chunkBytes, withScales: false) { chunk in
                rawHasher.update(chunk.bytes)
                blocks?.feed(chunk.bytes, process)
                reportBytes(UInt64(chunk.bytes.count))
            }
            blocks?.finish(process)
            return (sketch?.finish() ?? [], profileAccumulators.map { $0.finish() })
        }

        let rawDigest = rawHasher.finalize()
        let canonicalDType = floatLike ? tracker.decision : dtype
        let canonicalShape = transposed ? [tensor.shape[1], tensor.shape[0]] : tensor.shape
        let canonicalDigest: SHA256Digest
        if !floatLike || (canonicalDType == dtype && !transposed && !tracker.nonCanonicalNaN) {
            canonicalDigest = rawDigest
        } else if let inlineCanonical {
            canonicalDigest = inlineCanonical.finalize()
        } else {
            canonicalDigest = try CanonicalPass(reader: reader, tensor: tensor, scales: scales, chunkBytes: chunkBytes)
                .digest(as: canonicalDType, transposed: transposed,
                        storedIsCanonical: canonicalDType == dtype && !tracker.nonCanonicalNaN)
        }

        let stats = statistics?.finish()
        // Weight matrices whose values lie on a float grid narrower than F32 (F16, BF16, FP8
        // precision): rounding to it is expected to have cost Σ spacing²/12, spacing 2^(e − m) at
        // each value's binade 2^e, estimated from the statistics sample (docs/FINGERPRINT_FORMAT.md
        // §5). Not for norms and biases, whose values (ones, zeros) are often narrow without rounding.
        if roundingEnergy == nil, scales == nil, floatLike, role.isWeightMatrix, tensor.shape.count >= 2, !dtype.isBlockQuantized, dtype != .f64,
           let bits = grid.roundedFractionBits, let stats,
           let ratio = statistics?.gridSpacingRatio(fractionBits: bits, minimumExponent: ValueGrid.minimumNormalExponent(dtype)) {
            roundingEnergy = ratio / 12 * stats.sumSquares
        }
        // Infinite or NaN scales predict nothing (and would not fit the JSON document).
        if let energy = roundingEnergy, !energy.isFinite { roundingEnergy = nil }
        var sketchValues = result.sketch
        if view?.rows == 1 { sketchValues = Array(sketchValues.prefix(SketchGeometry.side)) }
        var keys: [UInt64] = []
        if role.isWeightMatrix, let view, tensor.shape.count >= 2, let stats {
            // A stack's sketch sums its experts, so its constant offset is the mean times their count.
            keys = LocalitySensitiveKeys.sketchKeys(sketch: sketchValues, rows: view.rows, cols: view.cols,
                                                    mean: stats.mean * Double(experts ?? 1), signs: signs, seed: seed)
        }
        var parts: [FusedPartFingerprint] = []
        if let fused, let view, role.isWeightMatrix, let finished = fusedParts?.finish() {
            let heads = fused.layout == .headBlocks ? fused.stackedMatrices(rows: view.rows) : nil
            parts = finished.map { part in
                let (rows, cols) = fused.partView(part.part, rows: view.rows, cols: view.cols)
                // As for a stack, the sum of the experts' (or heads') sketches is offset by the mean times their count.
                let keys = LocalitySensitiveKeys.sketchKeys(sketch: part.sketch, rows: rows, cols: cols,
                                                            mean: part.mean * Double((experts ?? 1) * (heads ?? 1)), signs: signs, seed: seed)
                // `tensor` is this tensor's index, which the assembly sets.
                return FusedPartFingerprint(tensor: 0, part: part.part, axis: fused.axis, layout: fused.layout, heads: heads, rows: rows, cols: cols,
                                            count: part.count, mean: part.mean, sumSquares: part.sumSquares, sketch: part.sketch, lshKeys: keys)
            }
        }
        return TensorResult(
            sha256: rawDigest,
            canonical: .init(sha256: canonicalDigest, dtype: canonicalDType.name, shape: canonicalShape, transposed: transposed),
            // A scaled weight's codes lie on its stored type's grid; its factors hide that from the values.
            statistics: stats, valueGrid: scales != nil ? dtype.name : floatLike && dtype != .f64 ? grid.name : nil,
            roundingEnergy: roundingEnergy, sketch: sketchValues, lshKeys: keys,
            expertDigests: try experts.flatMap(expertDigests), fusedParts: parts,
            profiles: Dictionary(uniqueKeysWithValues: zip(profiles.map(\.key), result.profiles)))
    }

    /// Whether the canonical orientation of this tensor is its transpose.
    private func canonicalTransposition(scales: ScaleFactors?) throws -> Bool {
        guard tensor.shape.count == 2 else { return false }
        let rows = tensor.shape[0], cols = tensor.shape[1]
        // Packed/quantized rows must start on a storage block to be read column-wise.
        if tensor.dtype.block.elements > 1 && cols % tensor.dtype.block.elements != 0 { return false }
        if rows > cols { return false }
        if rows < cols { return true }
        return try SquareOrientation(reader: reader, tensor: tensor, scales: scales).isTransposed()
    }
}

/// One neuron profile to take of a matrix.
struct ProfileRequest: Sendable {
    /// Identifies the result: the neuron axis, plus `.alt` for the alternative probe.
    var key: String
    var axis: ProfileAccumulator.NeuronAxis
    var gamma: [Float]?
    var basis: ProbeBasis
}
