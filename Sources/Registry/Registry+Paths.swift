import Foundation

// MARK: - Default location

extension Registry {
    /// Environment variable naming the registry file.
    public static let pathVariable = "PROVENANCE_REGISTRY"

    /// The registry file to use: `explicit` (e.g. `--registry`), else `$PROVENANCE_REGISTRY`,
    /// else `$XDG_DATA_HOME/provenance/registry.sqlite` (XDG: only if absolute), else
    /// `~/.local/share/provenance/registry.sqlite`.
    public static func defaultPath(explicit: String? = nil,
                                   environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let path = environment[pathVariable], !path.isEmpty { return path }
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") {
            return data + "/provenance/registry.sqlite"
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/share/provenance/registry.sqlite"
    }

    /// `user@host` of the current process, for `registered_by`.
    public static func defaultRegisteredBy(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let user = environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? NSUserName()
        let host = ProcessInfo.processInfo.hostName
        return "\(user)@\(host)"
    }
}
