import GRDB

// MARK: - Removing

extension Registry {
    /// Removes `NAME@VERSION` (or `NAME` when only one version is registered) with all its
    /// rows, in one transaction that also appends a `remove` entry to the log. Releases that
    /// named it as a base keep the name.
    @discardableResult
    public func remove(_ reference: String) throws -> Release {
        let parsed = try ReleaseReference(parsing: reference)
        return try write { db in
            if parsed.version == nil {
                let versions = try ReleaseStore.versions(of: parsed.name, in: db)
                if versions.count > 1 {
                    throw RegistryError.ambiguous(name: parsed.name, versions: versions.map { $0.isEmpty ? "(no version)" : $0 })
                }
            }
            let release = try Self.resolve(parsed, in: db)
            try ReleaseStore.delete(id: release.id, in: db)
            try LogStore.append([release.logChange(.remove)], keyPath: logKeyPath, in: db)
            return release
        }
    }
}
