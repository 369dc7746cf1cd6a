/// Version information printed by `--version` and embedded in fingerprints and reports.
enum ToolInfo {
    static let version = "0.1.0"
}
