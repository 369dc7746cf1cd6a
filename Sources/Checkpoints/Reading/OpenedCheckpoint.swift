/// What a format-specific loader hands `CheckpointReader`: the open files and their description.
struct OpenedCheckpoint {
    var files: [ReadOnlyFile]
    var checkpoint: Checkpoint

    var parts: ([ReadOnlyFile], Checkpoint) { (files, checkpoint) }
}
