import Checkpoints
import Testing

@Suite("Encoding Floats to narrow formats: round to nearest, ties to even")
struct FloatEncodingTests {
    @Test("BF16 rounding, ties to even, overflow and NaN")
    func bfloat16() {
        let cases: KeyValuePairs<UInt32, UInt16> = [
            0x3F80_0000: 0x3F80,  // 1
            0x3F80_8000: 0x3F80,  // halfway between 0x3F80 and 0x3F81: even is 0x3F80
            0x3F81_8000: 0x3F82,  // halfway between 0x3F81 and 0x3F82: even is 0x3F82
            0x3F80_8001: 0x3F81,  // just above halfway
            0x3F80_7FFF: 0x3F80,  // just below halfway
            0xBF80_8000: 0xBF80,  // negative tie
            0x7F7F_FFFF: 0x7F80,  // largest Float rounds up to infinity
            0x7F80_0000: 0x7F80, 0xFF80_0000: 0xFF80,
            0x0000_0001: 0x0000, 0x8000_0000: 0x8000,
            0x7FC0_0000: 0x7FC0,  // quiet NaN
            0x7F80_0001: 0x7FC0,  // signalling NaN whose payload is all in the dropped half stays NaN
            0xFFC0_0000: 0xFFC0,
        ]
        for (input, expected) in cases {
            let bits = FloatEncoding.bfloat16Bits(Float(bitPattern: input))
            #expect(bits == expected, "0x\(String(input, radix: 16)) → 0x\(String(bits, radix: 16)), expected 0x\(String(expected, radix: 16))")
        }
    }

    @Test("isExactFloat16 answers as the round trip does: every F16 value, its Float neighbours, and random Floats")
    func exactFloat16() {
        func roundTrip(_ value: Float) -> Bool { FloatBits.float16(FloatEncoding.float16Bits(value)) == value }
        var checked = 0, exact = 0
        func check(_ value: Float) {
            guard !value.isNaN else { return }
            checked += 1
            if roundTrip(value) { exact += 1 }
            #expect(FloatEncoding.isExactFloat16(value) == roundTrip(value), "0x\(String(value.bitPattern, radix: 16))")
        }
        for bits in 0...UInt16.max {
            let value = FloatBits.float16(bits)
            // Every half converts back to its own bits (NaNs aside): the exact fast path included.
            if !value.isNaN { #expect(FloatEncoding.float16Bits(value) == bits, "0x\(String(bits, radix: 16))") }
            for neighbour in [value, value.nextUp, value.nextDown, value * 0.5, value * 1.5] { check(neighbour) }
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<1_000_000 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            check(Float(bitPattern: UInt32(truncatingIfNeeded: state)))
        }
        // Every non-NaN half is exact; the neighbours and random Floats mostly are not.
        #expect(exact > 63_000 && exact < checked / 2, "\(exact) of \(checked)")
    }

    @Test("eight at a time: areExactFloat16 and exactNormalFloat16Bits (±0 and exact normal halves) answer as the scalar functions do, for every mix of lanes")
    func exactFloat16Lanes() {
        // Lane values of every kind: normal halves, subnormal halves, their inexact neighbours, zero, ∞, NaN, out of range.
        let kinds: [Float] = [1, -0x1.FFCp3, 0x1p-14, 0x1p-20, 3 * 0x1p-24, 0x1p-20 + 0x1p-30, Float(1).nextUp, 0, -0.0, .infinity, .nan,
                              70000, 0x1p-26, -0x1.8p-5, 0x1.002p0]
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        for _ in 0..<20_000 {
            var lanes = SIMD8<Float>()
            for lane in 0..<8 {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                // Mostly exact normal halves (the common, fast case), now and then any other kind.
                lanes[lane] = state % 5 == 0 ? kinds[Int(state >> 8) % kinds.count] : FloatBits.float16(UInt16(truncatingIfNeeded: state >> 16) & 0x77FF)
            }
            let scalarExact = (0..<8).allSatisfy { lanes[$0].isNaN || FloatEncoding.isExactFloat16(lanes[$0]) }
            #expect(FloatEncoding.areExactFloat16(lanes) == scalarExact, "\(lanes)")
            // The fast path: every lane ±0 or an exact normal half.
            let fastPath = (0..<8).allSatisfy {
                lanes[$0] == 0 || (!lanes[$0].isNaN && FloatEncoding.isExactFloat16(lanes[$0]) && abs(lanes[$0]) >= 0x1p-14 && abs(lanes[$0]) <= 65504)
            }
            let bits = FloatEncoding.exactNormalFloat16Bits(lanes)
            #expect((bits != nil) == fastPath, "\(lanes)")
            if let bits { #expect((0..<8).allSatisfy { bits[$0] == FloatEncoding.float16Bits(lanes[$0]) }, "\(lanes)") }
        }
    }

    @Test("F16 rounding: ties to even, largest finite, overflow to infinity, subnormals and underflow")
    func float16() {
        let cases: KeyValuePairs<Float, UInt16> = [
            1: 0x3C00, -2: 0xC000, 0: 0x0000, -0.0: 0x8000,
            0x1.002p0: 0x3C00,  // 1 + 2^-11: halfway between 0x3C00 and 0x3C01, even is 0x3C00
            0x1.006p0: 0x3C02,  // 1 + 3·2^-11: halfway between 0x3C01 and 0x3C02, even is 0x3C02
            0x1.0021p0: 0x3C01,  // just above halfway
            65504: 0x7BFF,  // largest finite
            65519.99: 0x7BFF,  // below the halfway point to 2^16
            65520: 0x7C00,  // halfway: ties to even rounds to infinity
            1e6: 0x7C00, -1e6: 0xFC00,
            .infinity: 0x7C00, -.infinity: 0xFC00,
            0x1p-14: 0x0400,  // smallest normal
            0x1.FF8p-15: 0x03FF,  // largest subnormal
            0x1p-24: 0x0001,  // smallest subnormal
            -0x1p-24: 0x8001,
            0x1p-25: 0x0000,  // halfway between 0 and 2^-24: even is 0
            0x1.000002p-25: 0x0001,  // just above halfway
            0x1.8p-24: 0x0002,  // 1.5 × 2^-24: tie, even is 2
            0x1.4p-23: 0x0002,  // 2.5 × 2^-24: tie, even is 2
            0x1.Cp-23: 0x0004,  // 3.5 × 2^-24: tie, even is 4
            0x1p-26: 0x0000, -0x1p-26: 0x8000,  // underflow keeps the sign
            0x1p-149: 0x0000,  // Float subnormal input
            0x1.FFCp-15: 0x0400,  // rounds up out of the subnormal range into the smallest normal
        ]
        for (input, expected) in cases {
            let bits = FloatEncoding.float16Bits(input)
            #expect(bits == expected, "\(input) → 0x\(String(bits, radix: 16)), expected 0x\(String(expected, radix: 16))")
        }
        #expect(FloatBits.float16(FloatEncoding.float16Bits(.nan)).isNaN)
        #expect(FloatEncoding.float16Bits(Float(bitPattern: 0x7F80_0001)) & 0x7C00 == 0x7C00)
        #expect(FloatEncoding.float16Bits(Float(bitPattern: 0x7F80_0001)) & 0x03FF != 0)  // NaN stays NaN, not ∞
    }

    @Test("every non-NaN F16 and BF16 value survives decode → encode unchanged")
    func roundTrip() {
        for bits in 0...UInt16.max {
            let half = FloatBits.float16(bits)
            if !half.isNaN { #expect(FloatEncoding.float16Bits(half) == bits) }
            let brain = FloatBits.bfloat16(bits)
            if !brain.isNaN { #expect(FloatEncoding.bfloat16Bits(brain) == bits) }
        }
    }

    @Test("encode writes little-endian F32, F64, F16 and BF16")
    func encodeBytes() {
        #expect(FloatEncoding.encode([1, -2], as: .f32) == [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0])
        #expect(FloatEncoding.encode([1], as: .f64) == [0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
        #expect(FloatEncoding.encode([1, 65504], as: .f16) == [0x00, 0x3C, 0xFF, 0x7B])
        #expect(FloatEncoding.encode([1, -3.140625], as: .bf16) == [0x80, 0x3F, 0x49, 0xC0])
    }
}
