// MARK: - Decoding stored elements to real numbers

extension DType {
    /// Decodes `output.count` elements stored at `bytes` into `Float`s.
    ///
    /// `bytes` must hold exactly the bytes of those elements, starting at an
    /// element (block) boundary. Integers convert to the nearest `Float`.
    /// Precondition: `unsupportedReason == nil`.
    public func decode(_ bytes: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) {
        let count = output.count
        precondition(byteCount(forElements: count) == bytes.count, "decode: \(bytes.count) bytes for \(count) \(name) elements")
        guard count > 0, let source = bytes.baseAddress, let target = output.baseAddress else { return }
        switch self {
        case .f32:
            target.withMemoryRebound(to: UInt8.self, capacity: count * 4) {
                $0.update(from: source.assumingMemoryBound(to: UInt8.self), count: count * 4)
            }
        case .bf16:
            for index in 0..<count {
                target[index] = FloatBits.bfloat16(source.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
            }
        case .f16:
            FloatBits.float16Table.withUnsafeBufferPointer { table in
                for index in 0..<count {
                    target[index] = table[Int(source.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))]
                }
            }
        case .f64:
            for index in 0..<count {
                target[index] = Float(source.loadUnaligned(fromByteOffset: index * 8, as: Double.self))
            }
        case .f8E4M3: decodeByTable(FloatBits.e4m3Table, source, target, count)
        case .f8E5M2: decodeByTable(FloatBits.e5m2Table, source, target, count)
        case .f8E4M3FNUZ: decodeByTable(FloatBits.e4m3fnuzTable, source, target, count)
        case .f8E5M2FNUZ: decodeByTable(FloatBits.e5m2fnuzTable, source, target, count)
        case .f8E8M0: decodeByTable(FloatBits.e8m0Table, source, target, count)
        case .f4: DecodeKernels.float4(source, target, count)
        case .i4: DecodeKernels.int4(source, target, count)
        case .bool, .u8:
            let raw = source.assumingMemoryBound(to: UInt8.self)
            for index in 0..<count { target[index] = Float(raw[index]) }
        case .i8:
            for index in 0..<count { target[index] = Float(source.load(fromByteOffset: index, as: Int8.self)) }
        case .u16: decodeInteger(UInt16.self, source, target, count)
        case .i16: decodeInteger(Int16.self, source, target, count)
        case .u32: decodeInteger(UInt32.self, source, target, count)
        case .i32: decodeInteger(Int32.self, source, target, count)
        case .u64: decodeInteger(UInt64.self, source, target, count)
        case .i64: decodeInteger(Int64.self, source, target, count)
        case .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2K, .q3K, .q4K, .q5K, .q6K, .iq4NL, .iq4XS, .mxfp4, .nvfp4, .tq1_0, .tq2_0,
             .iq1S, .iq1M, .iq2XXS, .iq2XS, .iq2S, .iq3XXS, .iq3S, .q1_0, .q2_0:
            GGMLDequantizer.dequantize(self, source, target, count: count)
        case .f6E2M3, .f6E3M2, .c64:
            preconditionFailure("decode: \(name) is not decodable: \(unsupportedReason ?? "")")
        }
    }

    /// Decodes elements into `Double`s; exact for every floating dtype, including F64.
    public func decode(_ bytes: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Double>) {
        let count = output.count
        guard count > 0, let target = output.baseAddress else { return }
        switch self {
        case .f64:
            precondition(bytes.count == count * 8)
            for index in 0..<count {
                target[index] = bytes.loadUnaligned(fromByteOffset: index * 8, as: Double.self)
            }
        case .i64:
            precondition(bytes.count == count * 8)
            for index in 0..<count { target[index] = Double(bytes.loadUnaligned(fromByteOffset: index * 8, as: Int64.self)) }
        case .u64:
            precondition(bytes.count == count * 8)
            for index in 0..<count { target[index] = Double(bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)) }
        case .i32, .u32:
            // Not through Float: 32-bit integers above 2^24 are exact in Double only.
            precondition(bytes.count == count * 4)
            for index in 0..<count {
                let raw = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
                target[index] = self == .i32 ? Double(Int32(bitPattern: raw)) : Double(raw)
            }
        default:
            let floats = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
            defer { floats.deallocate() }
            decode(bytes, into: floats)
            for index in 0..<count { target[index] = Double(floats[index]) }
        }
    }
}

@inline(__always)
private func decodeByTable(_ table: [Float], _ source: UnsafeRawPointer, _ target: UnsafeMutablePointer<Float>, _ count: Int) {
    table.withUnsafeBufferPointer { table in
        let raw = source.assumingMemoryBound(to: UInt8.self)
        for index in 0..<count { target[index] = table[Int(raw[index])] }
    }
}

@inline(__always)
private func decodeInteger<I: FixedWidthInteger>(_: I.Type, _ source: UnsafeRawPointer, _ target: UnsafeMutablePointer<Float>, _ count: Int) {
    let stride = MemoryLayout<I>.size
    for index in 0..<count {
        target[index] = Float(I(littleEndian: source.loadUnaligned(fromByteOffset: index * stride, as: I.self)))
    }
}
