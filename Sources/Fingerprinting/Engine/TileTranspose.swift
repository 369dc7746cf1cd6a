/// In-register transposes of full 8 × 8 tiles of 16-bit and 32-bit elements: the
/// unpack-low/high network (16-, 32-, then 64-bit interleaves) that SSE2 runs as a couple of
/// dozen shuffles instead of 64 scalar loads and strided stores. Used by
/// `CanonicalPass.transpose` for every full tile; edge tiles stay scalar.
enum TileTranspose {
    /// Transposes the 8 × 8 tile of 16-bit elements at `source` (row stride `sourceStride`
    /// elements) into `target` (row stride `targetStride`).
    @inline(__always)
    static func tile16(_ source: UnsafeRawPointer, sourceStride: Int, _ target: UnsafeMutableRawPointer, targetStride: Int) {
        func row(_ r: Int) -> SIMD8<UInt16> { source.loadUnaligned(fromByteOffset: r * sourceStride * 2, as: SIMD8<UInt16>.self) }
        let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3), r4 = row(4), r5 = row(5), r6 = row(6), r7 = row(7)
        let t0 = low16(r0, r1), t1 = high16(r0, r1), t2 = low16(r2, r3), t3 = high16(r2, r3)
        let t4 = low16(r4, r5), t5 = high16(r4, r5), t6 = low16(r6, r7), t7 = high16(r6, r7)
        let u0 = low32(t0, t2), u1 = high32(t0, t2), u2 = low32(t1, t3), u3 = high32(t1, t3)
        let u4 = low32(t4, t6), u5 = high32(t4, t6), u6 = low32(t5, t7), u7 = high32(t5, t7)
        let columns = [low64(u0, u4), high64(u0, u4), low64(u1, u5), high64(u1, u5),
                       low64(u2, u6), high64(u2, u6), low64(u3, u7), high64(u3, u7)]
        for c in 0..<8 {
            target.storeBytes(of: columns[c], toByteOffset: c * targetStride * 2, as: SIMD8<UInt16>.self)
        }
    }

    /// Transposes the 8 × 8 tile of 32-bit elements as four 4 × 4 blocks.
    @inline(__always)
    static func tile32(_ source: UnsafeRawPointer, sourceStride: Int, _ target: UnsafeMutableRawPointer, targetStride: Int) {
        for blockRow in stride(from: 0, to: 8, by: 4) {
            for blockColumn in stride(from: 0, to: 8, by: 4) {
                let from = source + (blockRow * sourceStride + blockColumn) * 4
                func row(_ r: Int) -> SIMD4<UInt32> { from.loadUnaligned(fromByteOffset: r * sourceStride * 4, as: SIMD4<UInt32>.self) }
                let r0 = row(0), r1 = row(1), r2 = row(2), r3 = row(3)
                let t0 = low32(r0, r1), t1 = high32(r0, r1), t2 = low32(r2, r3), t3 = high32(r2, r3)
                let to = target + (blockColumn * targetStride + blockRow) * 4
                to.storeBytes(of: low64(t0, t2), toByteOffset: 0, as: SIMD4<UInt32>.self)
                to.storeBytes(of: high64(t0, t2), toByteOffset: targetStride * 4, as: SIMD4<UInt32>.self)
                to.storeBytes(of: low64(t1, t3), toByteOffset: 2 * targetStride * 4, as: SIMD4<UInt32>.self)
                to.storeBytes(of: high64(t1, t3), toByteOffset: 3 * targetStride * 4, as: SIMD4<UInt32>.self)
            }
        }
    }

    // MARK: - Interleaves (punpckl/h)

    @inline(__always)
    private static func low16(_ a: SIMD8<UInt16>, _ b: SIMD8<UInt16>) -> SIMD8<UInt16> {
        SIMD8(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3])
    }

    @inline(__always)
    private static func high16(_ a: SIMD8<UInt16>, _ b: SIMD8<UInt16>) -> SIMD8<UInt16> {
        SIMD8(a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7])
    }

    @inline(__always)
    private static func low32<V: SIMD>(_ a: V, _ b: V) -> V where V.Scalar: FixedWidthInteger {
        let x = unsafeBitCast(a, to: SIMD4<UInt32>.self), y = unsafeBitCast(b, to: SIMD4<UInt32>.self)
        return unsafeBitCast(SIMD4(x[0], y[0], x[1], y[1]), to: V.self)
    }

    @inline(__always)
    private static func high32<V: SIMD>(_ a: V, _ b: V) -> V where V.Scalar: FixedWidthInteger {
        let x = unsafeBitCast(a, to: SIMD4<UInt32>.self), y = unsafeBitCast(b, to: SIMD4<UInt32>.self)
        return unsafeBitCast(SIMD4(x[2], y[2], x[3], y[3]), to: V.self)
    }

    @inline(__always)
    private static func low64<V: SIMD>(_ a: V, _ b: V) -> V where V.Scalar: FixedWidthInteger {
        let x = unsafeBitCast(a, to: SIMD2<UInt64>.self), y = unsafeBitCast(b, to: SIMD2<UInt64>.self)
        return unsafeBitCast(SIMD2(x[0], y[0]), to: V.self)
    }

    @inline(__always)
    private static func high64<V: SIMD>(_ a: V, _ b: V) -> V where V.Scalar: FixedWidthInteger {
        let x = unsafeBitCast(a, to: SIMD2<UInt64>.self), y = unsafeBitCast(b, to: SIMD2<UInt64>.self)
        return unsafeBitCast(SIMD2(x[1], y[1]), to: V.self)
    }
}
