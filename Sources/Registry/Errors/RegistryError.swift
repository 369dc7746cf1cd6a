/// Something the registry refused or could not do. `description` is a sentence for the
/// terminal; each case names the registry file, release or fingerprint file involved.
public enum RegistryError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The registry file or its directory could not be created or opened.
    case cannotOpen(path: String, reason: String)
    /// The file exists but is not a provenance registry (another SQLite database, or not SQLite).
    case notARegistry(path: String, reason: String)
    /// The registry was migrated by a newer build of provenance.
    case newerSchema(path: String, unknownMigrations: [String])
    /// A release metadata field breaks a rule.
    case invalidMetadata(field: String, value: String, rule: String)
    /// A `NAME[@VERSION]` reference cannot be parsed.
    case invalidReference(String, reason: String)
    /// A release with this name and version exists and replacing was not asked for.
    case duplicateRelease(reference: String, existingID: Int64, registeredAt: String)
    /// No release matches the reference.
    case notFound(reference: String, otherVersions: [String])
    /// A destructive command named a release without a version and several versions exist.
    case ambiguous(name: String, versions: [String])
    /// A fingerprint file offered for import is malformed or inconsistent.
    case invalidFingerprintFile(file: String, reason: String)
    /// An imported file conflicts with what the registry (or another imported file) holds.
    case importConflict(file: String, reference: String, reason: String)
    /// A path given to `import` holds no fingerprint files.
    case noFingerprintFiles(path: String)
    /// A stored entry no longer matches its recorded digest.
    case corruptEntry(reference: String, reason: String)
    /// Two releases would be exported to the same file name.
    case exportNameCollision(file: String, references: [String])
    /// A file-system operation failed.
    case io(path: String, operation: String, reason: String)
    /// SQLite reported an error.
    case database(path: String, message: String)
    /// Other processes kept the registry locked through every retry.
    case busy(path: String, attempts: Int)
    /// A signed registration (an exported file or a registered release) does not verify.
    case verificationFailed(subject: String, failure: VerificationFailure)
    /// The registry's log key file is missing, unreadable, too open or not the pinned key.
    case logKey(path: String, reason: String)
    /// The log's stored state is inconsistent (run `provenance log verify` for details).
    case logCorrupt(reason: String)
    /// The log holds no entry for a registered release.
    case notInLog(reference: String)
    /// A tree head given by the user does not belong to this log or cannot be checked.
    case foreignTreeHead(reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "Cannot open the registry \(path): \(reason)."
        case let .notARegistry(path, reason):
            return "\(path) is not a provenance registry: \(reason)."
        case let .newerSchema(path, unknown):
            return "The registry \(path) was created by a newer provenance (unknown migrations: \(unknown.joined(separator: ", "))); upgrade provenance to use it."
        case let .invalidMetadata(field, value, rule):
            return "Release metadata field '\(field)' ('\(Self.clipped(value))') is invalid: \(rule)."
        case let .invalidReference(text, reason):
            return "'\(Self.clipped(text))' is not a valid release reference (NAME or NAME@VERSION): \(reason)."
        case let .duplicateRelease(reference, id, registeredAt):
            return "\(reference) is already registered (id \(id), registered \(registeredAt)); pass --replace to overwrite it."
        case let .notFound(reference, others):
            if others.isEmpty { return "No release named \(reference) is registered." }
            return "No release \(reference) is registered (registered versions: \(others.joined(separator: ", ")))."
        case let .ambiguous(name, versions):
            return "\(name) has \(versions.count) registered versions (\(versions.joined(separator: ", "))); name one as \(name)@VERSION."
        case let .invalidFingerprintFile(file, reason):
            return "\(file) was not imported: \(reason)."
        case let .importConflict(file, reference, reason):
            return "\(file) was not imported: \(reference) \(reason)."
        case let .noFingerprintFiles(path):
            return "\(path) contains no fingerprint files (*.fingerprint.safetensors)."
        case let .corruptEntry(reference, reason):
            return "The registry entry \(reference) is corrupt: \(reason)."
        case let .exportNameCollision(file, references):
            return "Releases \(references.joined(separator: " and ")) would both be exported as \(file); export them to different directories."
        case let .io(path, operation, reason):
            return "Cannot \(operation) \(path): \(reason)."
        case let .database(path, message):
            return "The registry \(path) reported an SQLite error: \(message)."
        case let .busy(path, attempts):
            return "The registry \(path) stayed locked by other processes through \(attempts) attempts; try again."
        case let .verificationFailed(subject, failure):
            return "\(subject) failed verification: \(failure)."
        case let .logKey(path, reason):
            return "The registry's log key \(path) cannot be used: \(reason)."
        case let .logCorrupt(reason):
            return "The registry's log is inconsistent: \(reason)."
        case let .notInLog(reference):
            return "The log has no entry registering \(reference) (run `provenance log verify`)."
        case let .foreignTreeHead(reason):
            return "The tree head cannot be checked against this log: \(reason)."
        }
    }

    /// A sentence (another error's description) as a clause: without its final period.
    static func clause(_ sentence: String) -> String {
        sentence.hasSuffix(".") ? String(sentence.dropLast()) : sentence
    }

    static func clipped(_ text: String) -> String {
        text.count <= 80 ? text : String(text.prefix(77)) + "…"
    }
}
