import Foundation
import GRDB
import ProvenanceCrypto
import TransparencyLog

// MARK: - Auditing the log

extension Registry {
    /// Recomputes the log from the stored entries and checks everything that vouches for it:
    /// sequence continuity, each entry's strict decoding and position, each stored leaf hash
    /// against the entry bytes, every signed tree head (decoding, key, signature, and its
    /// root against the entries), that the latest head covers every entry, and that replaying
    /// the log gives exactly the registered releases. Reports every problem found and which
    /// entries it concerns; never throws for a tampered log (only for an unreadable registry).
    public func auditLog() throws -> LogAudit {
        try read { db in try Self.audit(in: db, keyPath: logKeyPath) }
    }

    static func audit(in db: Database, keyPath: String) throws -> LogAudit {
        var problems: [LogProblem] = []
        let publicKey: Ed25519PublicKey?
        do {
            publicKey = try LogKey.pinned(in: db)
        } catch let error as RegistryError {
            publicKey = nil
            problems.append(LogProblem(kind: .logKey, message: RegistryError.clause(error.description) + "."))
        }
        let stored = try LogStore.entries(in: db)
        if publicKey == nil, !stored.isEmpty, problems.isEmpty {
            problems.append(LogProblem(kind: .logKey, message: "The log has \(stored.count) entries but no log key is pinned (registry_info.\(LogKey.infoKey) was removed)."))
        }
        if let publicKey, FileManager.default.fileExists(atPath: keyPath), let fileKey = try? KeyFile.readPrivateKey(at: keyPath),
           fileKey.publicKey != publicKey {
            problems.append(LogProblem(kind: .logKey, message: "The log key file \(keyPath) holds key \(fileKey.publicKey.keyID.hex), but the log is pinned to key \(publicKey.keyID.hex): the pinned key was replaced (or the key file was)."))
        }

        // Entries: positions, decoding, leaf hashes. The tree is built from the rows as stored.
        var leaves: [SHA256Digest] = []
        var decoded: [(sequence: UInt64, entry: LogEntry)] = []
        var expected: Int64 = 0
        for row in stored {
            if row.sequence > expected {
                let range = row.sequence - 1 == expected ? "entry \(expected) is" : "entries \(expected)–\(row.sequence - 1) are"
                problems.append(LogProblem(kind: .missingEntries, sequence: UInt64(expected),
                                           message: "Log \(range) missing: rows were deleted from log_entries."))
            }
            expected = row.sequence + 1
            let position = UInt64(leaves.count)
            let leaf = MerkleHash.leaf(row.bytes)
            leaves.append(leaf)
            if row.leafHash != leaf.bytes {
                problems.append(LogProblem(kind: .leafHashMismatch, sequence: UInt64(row.sequence),
                                           message: "Entry \(row.sequence) was edited: its bytes hash to leaf \(leaf.hex), not to its recorded leaf hash \(Hex.encode(row.leafHash))."))
            }
            do {
                let entry = try LogEntry(encoded: row.bytes)
                if entry.sequenceNumber != UInt64(row.sequence) || entry.sequenceNumber != position {
                    problems.append(LogProblem(kind: .reorderedEntry, sequence: UInt64(row.sequence),
                                               message: "The row at sequence \(row.sequence) (position \(position)) holds entry \(entry.sequenceNumber) (\(entry.kind) \(Self.label(entry))): entries were reordered or renumbered."))
                }
                decoded.append((UInt64(row.sequence), entry))
            } catch {
                problems.append(LogProblem(kind: .malformedEntry, sequence: UInt64(row.sequence),
                                           message: "Entry \(row.sequence) was edited: it is no longer a valid log entry (\(RegistryError.clause(error.description)))."))
            }
        }

        // Signed tree heads, checked against the entries as stored.
        let tree = MerkleTree(leafHashes: leaves)
        let heads = try LogStore.storedHeads(in: db)
        var latest: SignedTreeHead?
        var lastGoodSize: UInt64 = 0
        var mismatches = 0
        for (storedSize, bytes) in heads {
            let head: SignedTreeHead
            do {
                head = try SignedTreeHead(encoded: bytes)
            } catch {
                problems.append(LogProblem(kind: .invalidHead, message: "The signed tree head stored for size \(storedSize) was altered: \(RegistryError.clause(error.description))."))
                continue
            }
            latest = head
            let size = head.treeHead.size
            if Int64(bitPattern: size) != storedSize {
                problems.append(LogProblem(kind: .invalidHead, message: "The signed tree head stored for size \(storedSize) is for size \(size): the heads were altered."))
            }
            if let publicKey {
                do {
                    try head.verify(with: publicKey)
                } catch {
                    problems.append(LogProblem(kind: .invalidHead, message: "The signed tree head of size \(size) does not verify: \(RegistryError.clause(error.description))."))
                    continue
                }
            }
            guard size <= tree.size else {
                problems.append(LogProblem(kind: .headBeyondLog, sequence: tree.size,
                                           message: "The tree head of size \(size), signed \(Self.time(head.timestamp)), covers more entries than the log holds (\(tree.size)): entries were deleted."))
                continue
            }
            let root = (try? tree.rootHash(treeSize: size)) ?? MerkleHash.emptyTree
            if root == head.treeHead.rootHash {
                lastGoodSize = max(lastGoodSize, size)
                continue
            }
            mismatches += 1
            if mismatches == 1 {
                let span = size - lastGoodSize == 1 ? "entry \(lastGoodSize) was" : "one of entries \(lastGoodSize)–\(size - 1) was"
                let earlier = lastGoodSize == 0 ? "" : ", while the head of size \(lastGoodSize) still matches"
                problems.append(LogProblem(kind: .headRootMismatch, sequence: lastGoodSize,
                                           message: "The entries no longer give the root signed at size \(size) (\(Self.time(head.timestamp)))\(earlier): \(span) edited, reordered, inserted or deleted."))
            }
        }
        if mismatches > 1 {
            problems.append(LogProblem(kind: .headRootMismatch, message: "\(mismatches - 1) later signed tree heads no longer match the entries either."))
        }
        let covered = latest?.treeHead.size ?? 0
        if tree.size > covered {
            problems.append(LogProblem(kind: .unsignedEntries, sequence: covered,
                                       message: "Entries \(covered)–\(tree.size - 1) are not covered by any signed tree head: they were added without the registry's key."))
        }

        // Replaying the log must give exactly the registered releases.
        problems += try replayProblems(decoded, in: db)
        return LogAudit(entryCount: stored.count, headCount: heads.count, latestHead: latest, publicKey: publicKey, problems: problems)
    }

    private static func replayProblems(_ entries: [(sequence: UInt64, entry: LogEntry)], in db: Database) throws -> [LogProblem] {
        struct Key: Hashable { var name: String; var version: String }
        var state: [Key: (sequence: UInt64, entry: LogEntry)] = [:]
        for item in entries {
            let key = Key(name: item.entry.releaseName, version: item.entry.releaseVersion)
            if item.entry.kind == .remove { state[key] = nil } else { state[key] = item }
        }
        var problems: [LogProblem] = []
        for release in try ReleaseStore.releases(in: db) {
            let key = Key(name: release.name, version: release.version ?? "")
            guard let (sequence, entry) = state.removeValue(forKey: key) else {
                problems.append(LogProblem(kind: .releaseNotLogged, message: "\(release.reference) (id \(release.id)) is registered, but no log entry registers it: it was added to the database without the log."))
                continue
            }
            if entry.fingerprintRoot != release.canonicalRoot {
                problems.append(LogProblem(kind: .releaseDiffersFromLog, sequence: sequence, message: "\(release.reference) has canonical root \(release.canonicalRoot.hex), but log entry \(sequence) recorded \(entry.fingerprintRoot.hex): the release was changed in the database."))
            }
            if entry.statementDigest != release.signature?.statement.digest || entry.signerKeyID != release.signature?.signerKeyID {
                problems.append(LogProblem(kind: .releaseDiffersFromLog, sequence: sequence, message: "\(release.reference)'s signed statement (\(release.signature?.statement.digest.hex ?? "none")) is not the one log entry \(sequence) recorded (\(entry.statementDigest?.hex ?? "none")): the signature was changed in the database."))
            }
        }
        for (sequence, entry) in state.values.sorted(by: { $0.sequence < $1.sequence }) {
            problems.append(LogProblem(kind: .loggedReleaseMissing, sequence: sequence, message: "Log entry \(sequence) (\(entry.kind) \(label(entry))) says it is registered, but the registry does not hold it: it was deleted without a log entry."))
        }
        return problems
    }

    static func label(_ entry: LogEntry) -> String {
        entry.releaseVersion.isEmpty ? entry.releaseName : "\(entry.releaseName)@\(entry.releaseVersion)"
    }

    /// UTC ISO-8601 of milliseconds since the epoch.
    static func time(_ milliseconds: UInt64) -> String {
        Timestamp.format(Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}
