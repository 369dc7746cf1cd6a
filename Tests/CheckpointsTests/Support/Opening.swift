import Checkpoints
import CheckpointFixtures

/// The error that opening `path` throws, or `nil` if it opens.
func openingError(_ path: String) -> CheckpointError? {
    do {
        _ = try CheckpointReader(path: path)
        return nil
    } catch {
        return error
    }
}

/// Every tensor's bytes, read through `readChunks`, keyed by name.
func readAllTensorBytes(_ reader: CheckpointReader, chunkBytes: Int = CheckpointReader.defaultChunkBytes) throws -> [String: [UInt8]] {
    var result: [String: [UInt8]] = [:]
    for tensor in reader.checkpoint.tensors {
        var bytes: [UInt8] = []
        try reader.readChunks(of: tensor, chunkBytes: chunkBytes) { bytes += $0.bytes }
        result[tensor.name] = bytes
    }
    return result
}
