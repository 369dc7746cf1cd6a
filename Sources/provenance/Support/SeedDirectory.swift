import Foundation

/// Finds the bundled `Fingerprints/` directory that seeds a new registry.
enum SeedDirectory {
    static let variable = "PROVENANCE_FINGERPRINTS"

    /// In order: `$PROVENANCE_FINGERPRINTS` (set but empty: no seeding), `./Fingerprints`,
    /// then, walking up from the executable (e.g. `.build/release/provenance`), a
    /// `Fingerprints/` next to a `Package.swift` (a source checkout) or a
    /// `share/provenance/Fingerprints/` (an installed prefix). `nil` if none exists.
    static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let value = environment[variable] {
            return value.isEmpty ? nil : value
        }
        let manager = FileManager.default
        func isDirectory(_ path: String) -> Bool {
            var flag: ObjCBool = false
            return manager.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
        }
        if isDirectory("Fingerprints") { return "Fingerprints" }
        let executable = URL(fileURLWithPath: Bundle.main.executablePath ?? CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        for _ in 0..<6 {
            let checkout = directory.appendingPathComponent("Fingerprints").path
            if isDirectory(checkout), manager.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return checkout
            }
            let installed = directory.appendingPathComponent("share/provenance/Fingerprints").path
            if isDirectory(installed) { return installed }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { break }
            directory = parent
        }
        return nil
    }
}
