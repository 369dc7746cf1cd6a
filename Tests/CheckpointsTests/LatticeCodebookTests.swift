@testable import Checkpoints
import Testing

@Suite("Lattice codebooks of the IQ1, IQ2 and IQ3 types")
struct LatticeCodebookTests {
    static let codebooks: [(DType, LatticeCodebook, rows: Int, width: Int)] = [
        (.iq2XXS, .iq2XXS, 256, 8), (.iq2XS, .iq2XS, 512, 8), (.iq2S, .iq2S, 1024, 8),
        (.iq3XXS, .iq3XXS, 256, 4), (.iq3S, .iq3S, 512, 4), (.iq1S, .iq1S, 2048, 8),
    ]

    @Test("every decoded row equals gguf-py's decoding of its table", arguments: 0..<codebooks.count)
    func rowsMatchReference(_ index: Int) throws {
        let (dtype, codebook, rows, width) = Self.codebooks[index]
        #expect(codebook.rows == rows && codebook.width == width, "\(dtype.name)")
        let expected = try FormatFixtures.bytes("GGML/\(dtype.name).grid.i8").map { Float(Int8(bitPattern: $0)) }
        #expect(expected.count == rows * width)
        let mismatches = zip(codebook.values, expected).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        #expect(mismatches.isEmpty, "\(dtype.name): first mismatching values at \(mismatches.prefix(4))")
        #expect(codebook.values.count == expected.count)
    }

    @Test("rows are distinct, so every index decodes to its own point")
    func rowsAreDistinct() {
        for (dtype, codebook, _, width) in Self.codebooks {
            let rows = Set((0..<codebook.rows).map { Array(codebook.values[$0 * width..<($0 + 1) * width]) })
            #expect(rows.count == codebook.rows, "\(dtype.name)")
        }
    }
}
