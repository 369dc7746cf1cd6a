import Checkpoints

extension FullWeightComparison {
    /// A 2-D tensor read by rows: straight from the file when whole rows are whole storage
    /// blocks, else read whole once (up to a bound) and served from memory.
    final class MatrixRows {
        let tensor: TensorInfo
        let reader: CheckpointReader
        let rows: Int
        let columns: Int
        private let scales: ScaleFactors?
        private let rowsPerBand: Int
        private let whole: [Float]?

        init?(_ tensor: TensorInfo, in reader: CheckpointReader, bandElements: Int, maximumWholeElements: Int) throws {
            self.tensor = tensor
            self.reader = reader
            rows = tensor.shape[0]
            columns = tensor.shape[1]
            let scales = try reader.scaleFactors(of: tensor), elements = rows * columns
            self.scales = scales
            if columns % tensor.dtype.block.elements == 0 {
                rowsPerBand = max(1, bandElements / max(columns, 1))
                whole = nil
            } else {
                guard elements <= maximumWholeElements else { return nil }
                rowsPerBand = rows
                var values = [Float](repeating: 0, count: elements)
                try values.withUnsafeMutableBufferPointer { try reader.readElements(of: tensor, range: 0..<elements, into: $0, scales: scales) }
                whole = values
            }
        }

        /// Decodes one row into `output` (`columns` values).
        func read(row: Int, into output: UnsafeMutableBufferPointer<Float>) throws {
            if let whole {
                for column in 0..<columns { output[column] = whole[row * columns + column] }
            } else {
                try reader.readElements(of: tensor, range: row * columns..<(row + 1) * columns, into: output, scales: scales)
            }
        }

        /// Calls `body` with each band of whole rows in order: its first row and its values.
        func forEachBand(_ body: (Int, [Float]) throws -> Void) throws {
            if let whole { try body(0, whole); return }
            var band = [Float]()
            var row = 0
            while row < rows {
                let count = min(rowsPerBand, rows - row)
                if band.count != count * columns { band = [Float](repeating: 0, count: count * columns) }
                try band.withUnsafeMutableBufferPointer {
                    try reader.readElements(of: tensor, range: row * columns..<(row + count) * columns, into: $0, scales: scales)
                }
                try body(row, band)
                row += count
            }
        }
    }
}
