/// Opens PyTorch checkpoints (work in progress).
enum PyTorchCheckpointLoader {
    static func open(_ located: CheckpointLocator.Located, userPath: String) throws(CheckpointError) -> OpenedCheckpoint {
        throw CheckpointError(file: userPath, rule: .unrecognizedFile)
    }
}
