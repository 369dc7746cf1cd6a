import ProvenanceCrypto

/// Band keys for registry look-up (format version 1).
///
/// SimHash: the sign bits of 64 public ±1 projections of a vector, cut into 4 bands of 16
/// bits; each band becomes a key: the first 8 bytes (big-endian) of
/// `SHA-256("provenance-lsh-v1" ‖ 0x00 ‖ kind ‖ 0x00 ‖ class ‖ 0x00 ‖ band ‖ bits₁₆BE)`.
/// Two tensors whose sketches have cosine ρ share a given band with probability
/// (1 − arccos(ρ)/π)^16.
public enum LocalitySensitiveKeys {
    public static let bands = 4
    public static let bitsPerBand = 16
    static let planeCount = bands * bitsPerBand

    /// Keys of a matrix sketch, taken in canonical orientation (tall; both orientations
    /// when square) after removing the tensor's mean. `nil` if the tensor is too small.
    static func sketchKeys(sketch: [Float], rows: Int, cols: Int, mean: Double, signs: SignTable, seed: PublicSeed) -> [UInt64] {
        guard rows >= 16, cols >= 16, sketch.count == SketchGeometry.side * SketchGeometry.side else { return [] }
        return keys(centeredSketch: SketchMath.centered(sketch, rows: rows, cols: cols, mean: mean, signs: signs), rows: rows, cols: cols, seed: seed)
    }

    /// Keys of an already centred sketch of a rows × cols matrix (stored orientation), as
    /// `sketchKeys` computes them after centring: what a matrix with that sketch would be
    /// indexed under. Used to query the registry with the part of a suspect that its nearest
    /// candidate does not explain (a merge donor).
    public static func keys(centeredSketch: [Float], rows: Int, cols: Int, seed: PublicSeed) -> [UInt64] {
        guard rows >= 16, cols >= 16, centeredSketch.count == SketchGeometry.side * SketchGeometry.side else { return [] }
        let planes = seed.signs(label: "lsh-sketch", count: planeCount * centeredSketch.count)
        let shapeClass = "\(max(rows, cols))x\(min(rows, cols))"
        var keys: [UInt64] = []
        if rows >= cols { keys += bandKeys(centeredSketch, planes: planes, kind: "sketch", shapeClass: shapeClass) }
        if rows <= cols { keys += bandKeys(SketchMath.transposed(centeredSketch), planes: planes, kind: "sketch", shapeClass: shapeClass) }
        return keys
    }

    /// Keys of the probe Gram matrix (strict upper triangle, centred).
    static func probeKeys(gram: [Float], seed: PublicSeed) -> [UInt64] {
        let values = probeBandValues(gram: gram, seed: seed)
        return values.indices.map { key(kind: "probe", shapeClass: probeShapeClass, band: $0, value: values[$0]) }
    }

    /// Multi-probe look-up keys for a probe Gram (Lv et al., "Multi-probe LSH", VLDB 2007): the
    /// keys of every band value within Hamming distance `distance` (≥ 1) of the Gram's own, its
    /// own excluded — what a registered model whose Gram drifted by a few sign bits per band is
    /// indexed under (a width-pruned or heavily retrained copy). Band `b` of the result lists
    /// its variants in order of distance, then of flipped bit positions.
    public static func nearProbeKeys(gram: [Float], seed: PublicSeed, distance: Int) -> [UInt64] {
        let values = probeBandValues(gram: gram, seed: seed)
        var keys: [UInt64] = []
        for (band, value) in values.enumerated() {
            for mask in hammingMasks(distance: distance) {
                keys.append(key(kind: "probe", shapeClass: probeShapeClass, band: band, value: value ^ mask))
            }
        }
        return keys
    }

    /// Band values (before hashing) within `distance` flips of one value, as XOR masks: every
    /// non-zero 16-bit mask with at most `distance` bits set.
    public static func hammingMasks(distance: Int) -> [UInt16] {
        var masks: [UInt16] = []
        func extend(_ mask: UInt16, from bit: Int, remaining: Int) {
            guard remaining > 0 else { return }
            for position in bit..<bitsPerBand {
                let next = mask | (1 << UInt16(position))
                masks.append(next)
                extend(next, from: position + 1, remaining: remaining - 1)
            }
        }
        extend(0, from: 0, remaining: distance)
        return masks.sorted { ($0.nonzeroBitCount, $0) < ($1.nonzeroBitCount, $1) }
    }

    static var probeShapeClass: String { "t\(ProbeBasis.tokenCount)" }

    /// The four 16-bit band values of a probe Gram's SimHash.
    static func probeBandValues(gram: [Float], seed: PublicSeed) -> [UInt16] {
        let t = ProbeBasis.tokenCount
        var vector: [Float] = []
        for a in 0..<t { for b in (a + 1)..<t { vector.append(gram[a * t + b]) } }
        let mean = vector.reduce(0, +) / Float(vector.count)
        vector = vector.map { $0 - mean }
        let planes = seed.signs(label: "lsh-probe", count: planeCount * vector.count)
        return bandValues(vector, planes: planes)
    }

    static func bandKeys(_ vector: [Float], planes: [Float], kind: String, shapeClass: String) -> [UInt64] {
        let values = bandValues(vector, planes: planes)
        return values.indices.map { key(kind: kind, shapeClass: shapeClass, band: $0, value: values[$0]) }
    }

    /// The SimHash sign bits of `vector` against `planes`, cut into `bands` values of `bitsPerBand` bits.
    static func bandValues(_ vector: [Float], planes: [Float]) -> [UInt16] {
        let dimension = vector.count
        var bits = [Bool](repeating: false, count: planeCount)
        for plane in 0..<planeCount {
            var dot = 0.0
            for index in 0..<dimension { dot += Double(planes[plane * dimension + index] * vector[index]) }
            bits[plane] = dot >= 0
        }
        return (0..<bands).map { band in
            var value: UInt16 = 0
            for bit in 0..<bitsPerBand where bits[band * bitsPerBand + bit] { value |= 1 << UInt16(15 - bit) }
            return value
        }
    }

    /// `SHA-256("provenance-lsh-v1" ‖ 0x00 ‖ kind ‖ 0x00 ‖ class ‖ 0x00 ‖ band ‖ value₁₆BE)`, first 8 bytes.
    static func key(kind: String, shapeClass: String, band: Int, value: UInt16) -> UInt64 {
        let hasher = SHA256()
        hasher.update(utf8: "provenance-lsh-v1")
        hasher.update([0])
        hasher.update(utf8: kind)
        hasher.update([0])
        hasher.update(utf8: shapeClass)
        hasher.update([0, UInt8(band), UInt8(value >> 8), UInt8(value & 0xFF)])
        return hasher.finalize().prefix64
    }
}
