// Throughput of GGML dequantization and of streaming GGUF/PyTorch tensors (page cache warm).
// Best of 3 runs. Run: swift run -c release format-benchmark [megabytes-per-tensor]
import Checkpoints
import Foundation

@discardableResult
func measure(_ label: String, values: Int, repeats: Int = 3, _ body: () throws -> Void) rethrows -> Double {
    var best = Double.infinity
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    let rate = Double(values) / best / 1e6
    print(label.padding(toLength: 36, withPad: " ", startingAt: 0) + String(format: "%8.0f M values/s  (%.4f s)", rate, best))
    return best
}

// `format-benchmark convert MODEL.safetensors`: re-encode a real checkpoint as GGUF Q8_0 and as
// PyTorch, then time opening and streaming every tensor of each copy.
if CommandLine.arguments.count > 2, CommandLine.arguments[1] == "convert" {
    let source = try CheckpointReader(path: CommandLine.arguments[2])
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("format-convert-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let gguf = directory.appendingPathComponent("model-Q8_0.gguf").path
    let torch = directory.appendingPathComponent("pytorch_model.bin").path
    try CheckpointConversion.writeGGUF(from: source, to: gguf)
    try CheckpointConversion.writePyTorch(from: source, to: torch)
    // The PyTorch copy must hold exactly the source's values; the Q8_0 copy approximately.
    let copies = [try CheckpointReader(path: torch), try CheckpointReader(path: gguf)]
    for (copy, label) in zip(copies, ["PyTorch", "GGUF Q8_0"]) {
        var worst = 0.0
        for tensor in source.checkpoint.tensors {
            let other = copy.checkpoint.tensor(named: tensor.name)!
            var a = [Float](repeating: 0, count: tensor.elementCount), b = a
            try a.withUnsafeMutableBufferPointer { try source.readElements(of: tensor, range: 0..<tensor.elementCount, into: $0) }
            try b.withUnsafeMutableBufferPointer { try copy.readElements(of: other, range: 0..<other.elementCount, into: $0) }
            let scale = Double(a.map { abs($0) }.max() ?? 1)
            let difference = zip(a, b).map { Double(abs($0 - $1)) }.max() ?? 0
            worst = max(worst, scale > 0 ? difference / scale : difference)
        }
        print(String(format: "%@ copy: largest difference %.2e of a tensor's largest magnitude", label, worst))
    }
    for path in [CommandLine.arguments[2], gguf, torch] {
        var reader: CheckpointReader?
        let openStart = DispatchTime.now().uptimeNanoseconds
        reader = try CheckpointReader(path: path)
        let openSeconds = Double(DispatchTime.now().uptimeNanoseconds - openStart) / 1e9
        let checkpoint = reader!.checkpoint
        try measure("\(checkpoint.format.rawValue) \(checkpoint.parameterCountByDType.keys.map(\.name).sorted().joined(separator: "+"))",
                    values: checkpoint.parameterCount) {
            for tensor in checkpoint.tensors {
                var sink = [Float](repeating: 0, count: min(tensor.elementCount, 4 << 20))
                try reader!.readChunks(of: tensor) { chunk in
                    sink.withUnsafeMutableBufferPointer { chunk.decode(into: UnsafeMutableBufferPointer(rebasing: $0[0..<chunk.elementCount])) }
                }
            }
        }
        print(String(format: "  opened %d tensors in %.4f s, file %.1f MB", checkpoint.tensors.count, openSeconds,
                     Double(checkpoint.files.reduce(0) { $0 + $1.size }) / 1e6))
    }
    exit(0)
}

let megabytes = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 64 : 64
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("format-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }

// 1. In-memory dequantization, every type, on random blocks with finite scales.
print("Dequantization (in memory, \(megabytes) MB of blocks per type)")
/// SplitMix64: fast and seeded (SystemRandomNumberGenerator makes a system call per value, which
/// made generating the inputs take minutes).
struct BenchmarkRandom: RandomNumberGenerator {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
var generator = BenchmarkRandom()
for dtype in DType.allCases where dtype.isBlockQuantized {
    let blocks = megabytes << 20 / dtype.block.bytes
    var bytes = (0..<blocks * dtype.block.bytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
    // Keep half-float scales finite: clear the top exponent bit of every byte pair's high byte.
    for index in stride(from: 1, to: bytes.count, by: 2) { bytes[index] &= 0x3F }
    let count = blocks * dtype.block.elements
    var output = [Float](repeating: 0, count: count)
    measure(dtype.name, values: count) {
        bytes.withUnsafeBytes { raw in output.withUnsafeMutableBufferPointer { dtype.decode(raw, into: $0) } }
    }
}

// 2. Streaming from files: a Q4_K-sized F32 matrix quantized to Q8_0, plain and RoPE-permuted rows.
let columns = 4096
let rows = max(128, (megabytes << 20) / 4 / columns / 128 * 128)
let values = (0..<rows * columns).map { _ in Float.random(in: -1...1, using: &generator) }
var metadata = GGUFMetadata()
metadata["general.architecture"] = .string("llama")
metadata["llama.attention.head_count"] = .uint32(UInt32(rows / 128))
let ggufPath = directory.appendingPathComponent("bench.gguf").path
try GGUFWriter.write([
    .init(name: "blk.0.attn_q.weight", shape: [rows, columns], values: values, as: .q8_0),
    .init(name: "blk.0.attn_v.weight", shape: [rows, columns], values: values, as: .q8_0),
], metadata: metadata, to: ggufPath)
let torchPath = directory.appendingPathComponent("pytorch_model.bin").path
try PyTorchWriter.write([.init(name: "w", shape: [rows, columns], values: values, as: .bf16)], to: torchPath)

print("Streaming decode from file (\(rows) × \(columns), page cache warm, 4 MiB chunks)")
let gguf = try CheckpointReader(path: ggufPath)
let torch = try CheckpointReader(path: torchPath)
// One output buffer for every measurement: up to two values per stored byte (4-bit codes), or a
// delivered byte per value (MLX's odd widths). Allocating it per call measured the allocator:
// 32 MB of fresh zeroed pages each time, or not, depending on what glibc had cached (3× apart).
let sink = UnsafeMutableBufferPointer<Float>.allocate(capacity: 2 * CheckpointReader.defaultChunkBytes)
sink.initialize(repeating: 0)
let stream = { (reader: CheckpointReader, tensor: TensorInfo) throws in
    try reader.readChunks(of: tensor) { chunk in
        chunk.decode(into: UnsafeMutableBufferPointer(rebasing: sink[0..<chunk.elementCount]))
    }
}
let q = gguf.checkpoint.tensor(named: "model.layers.0.self_attn.q_proj.weight")!
let v = gguf.checkpoint.tensor(named: "model.layers.0.self_attn.v_proj.weight")!
try measure("GGUF Q8_0, rows as stored", values: rows * columns) { try stream(gguf, v) }
try measure("GGUF Q8_0, RoPE rows un-permuted", values: rows * columns) { try stream(gguf, q) }
try measure("PyTorch BF16", values: rows * columns) { try stream(torch, torch.checkpoint.tensors[0]) }

// 3. GPTQ and AWQ 4-bit weights of the same shape (stored as the transpose, [columns, rows]):
//    words unpacked to row-major codes, then (code − zero) × scale per group of 128 input rows;
//    MLX 4- and 6-bit (code × scale + bias per group of 64 along the row); compressed-tensors'
//    packed INT4 (codes already row-major, symmetric) for comparison.
func littleEndian<I: FixedWidthInteger>(_ values: [I]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) } }
let (inFeatures, outFeatures) = (columns, rows)
let groups = inFeatures / 128
let randomWords = (0..<(inFeatures * outFeatures / 8)).map { _ in UInt32.random(in: 0...UInt32.max, using: &generator) }
let zeroWords = (0..<(groups * outFeatures / 8)).map { _ in UInt32.random(in: 0...UInt32.max, using: &generator) }
let groupScales = (0..<(groups * outFeatures)).map { _ in Float.random(in: 0.001...0.01, using: &generator) }
let shuffledGroups = (0..<inFeatures).map { Int32(($0 * 37 + 11) % inFeatures / 128) }
let packedPath = directory.appendingPathComponent("packed.safetensors").path
try SafetensorsWriter.write([
    .init(name: "gptq.qweight", dtype: .i32, shape: [inFeatures / 8, outFeatures], bytes: littleEndian(randomWords)),
    .init(name: "gptq.qzeros", dtype: .i32, shape: [groups, outFeatures / 8], bytes: littleEndian(zeroWords)),
    .init(name: "gptq.scales", shape: [groups, outFeatures], values: groupScales, as: .f16),
    .init(name: "gptq.g_idx", dtype: .i32, shape: [inFeatures], bytes: littleEndian(shuffledGroups)),
    .init(name: "awq.qweight", dtype: .i32, shape: [inFeatures, outFeatures / 8], bytes: littleEndian(randomWords)),
    .init(name: "awq.qzeros", dtype: .i32, shape: [groups, outFeatures / 8], bytes: littleEndian(zeroWords)),
    .init(name: "awq.scales", shape: [groups, outFeatures], values: groupScales, as: .f16),
    .init(name: "int4.weight_packed", dtype: .i32, shape: [outFeatures, inFeatures / 8], bytes: littleEndian(randomWords)),
    .init(name: "int4.weight_scale", shape: [outFeatures, groups], values: groupScales, as: .bf16),
    // MLX affine, groups of 64 (mlx_lm's default): 4-bit codes as stored, 6-bit codes from each row's bit stream.
    .init(name: "mlx4.weight", dtype: .u32, shape: [outFeatures, inFeatures / 8], bytes: littleEndian(randomWords)),
    .init(name: "mlx4.scales", shape: [outFeatures, inFeatures / 64], values: groupScales + groupScales, as: .bf16),
    .init(name: "mlx4.biases", shape: [outFeatures, inFeatures / 64], values: groupScales + groupScales, as: .bf16),
    .init(name: "mlx6.weight", dtype: .u32, shape: [outFeatures, inFeatures * 6 / 32], bytes: littleEndian(randomWords + randomWords).prefix(outFeatures * inFeatures * 6 / 8).map { $0 }),
    .init(name: "mlx6.scales", shape: [outFeatures, inFeatures / 64], values: groupScales + groupScales, as: .bf16),
    .init(name: "mlx6.biases", shape: [outFeatures, inFeatures / 64], values: groupScales + groupScales, as: .bf16),
], to: packedPath)
let packed = try CheckpointReader(path: packedPath)
print("Streaming decode of 4-bit weights (\(outFeatures) × \(inFeatures), groups of 128, page cache warm, 4 MiB chunks)")
let reference = try measure("compressed-tensors packed INT4", values: rows * columns) { try stream(packed, packed.checkpoint.tensor(named: "int4.weight")!) }
for (label, name) in [("GPTQ 4-bit (g_idx shuffled)", "gptq.weight"), ("AWQ 4-bit", "awq.weight")] {
    let seconds = try measure(label, values: rows * columns) { try stream(packed, packed.checkpoint.tensor(named: name)!) }
    print(String(format: "  %.2f× the time of packed INT4 over the same bytes (unpacking the words, zero points)", seconds / reference))
}
for (label, name, why) in [("MLX 4-bit affine", "mlx4.weight", "biases"), ("MLX 6-bit affine", "mlx6.weight", "unpacking the bit streams, biases")] {
    let seconds = try measure(label, values: rows * columns) { try stream(packed, packed.checkpoint.tensor(named: name)!) }
    print(String(format: "  %.2f× the time of packed INT4 for the same values (%@)", seconds / reference, why))
}
