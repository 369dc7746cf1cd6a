import Foundation
import GRDB
import ProvenanceCrypto
import TransparencyLog

// MARK: - Reading the log

extension Registry {
    /// Every log entry (decoded strictly), the latest signed tree head (its signature
    /// checked with the pinned log key) and the log key. Throws `logCorrupt` when the stored
    /// log cannot be read as such; `auditLog()` then says what is wrong.
    public func log() throws -> LogSnapshot {
        try read { db in try Self.snapshot(in: db) }
    }

    static func snapshot(in db: Database) throws -> LogSnapshot {
        let publicKey = try LogKey.pinned(in: db)
        let entries = try LogStore.entries(in: db).map { stored in
            let entry: LogEntry
            do throws(LogError) {
                entry = try LogEntry(encoded: stored.bytes)
            } catch {
                throw RegistryError.logCorrupt(reason: "the entry stored at sequence \(stored.sequence) does not decode (\(RegistryError.clause(error.description))); run `provenance log verify`")
            }
            return LoggedEntry(entry: entry, encoded: stored.bytes, leafHash: MerkleHash.leaf(stored.bytes))
        }
        let head = try LogStore.latestHead(in: db)
        if let head {
            guard let publicKey else { throw RegistryError.logCorrupt(reason: "signed tree heads exist but no log key is pinned") }
            do throws(LogError) {
                try head.verify(with: publicKey)
            } catch {
                throw RegistryError.logCorrupt(reason: "the latest signed tree head does not verify (\(RegistryError.clause(error.description))); run `provenance log verify`")
            }
        }
        return LogSnapshot(entries: entries, head: head, publicKey: publicKey)
    }

    /// The log's Merkle tree, checked against the latest signed head: the entries must give
    /// its size and root. Leaf hashes are recomputed from the entry bytes.
    static func checkedTree(_ snapshot: LogSnapshot) throws -> (tree: MerkleTree, head: SignedTreeHead, key: Ed25519PublicKey) {
        guard let head = snapshot.head, let key = snapshot.publicKey else {
            throw RegistryError.logCorrupt(reason: "the log is empty: nothing has been registered since the log started")
        }
        for (index, logged) in snapshot.entries.enumerated() where logged.sequence != UInt64(index) {
            throw RegistryError.logCorrupt(reason: "the entry at position \(index) is entry \(logged.sequence); run `provenance log verify`")
        }
        let tree = MerkleTree(leafHashes: snapshot.entries.map(\.leafHash))
        guard tree.treeHead == head.treeHead else {
            throw RegistryError.logCorrupt(reason: "the \(tree.size) stored entries give root \(tree.rootHash.hex), not the latest signed tree head (size \(head.treeHead.size), root \(head.treeHead.rootHash.hex)); run `provenance log verify`")
        }
        return (tree, head, key)
    }

    // MARK: - Proofs

    /// The inclusion proof of the entry that registered `reference` (`NAME@VERSION`, or the
    /// latest version of `NAME`): the latest `register`, `replace` or `import` entry for that
    /// name and version, proved against the latest signed tree head. The entry must record
    /// the release's canonical root and statement digest.
    public func inclusionProof(for reference: String) throws -> LogInclusion {
        let parsed = try ReleaseReference(parsing: reference)
        return try read { db in
            let release = try Self.resolve(parsed, in: db)
            let snapshot = try Self.snapshot(in: db)
            let (tree, head, key) = try Self.checkedTree(snapshot)
            let version = release.version ?? ""
            guard let logged = snapshot.entries.last(where: { $0.entry.releaseName == release.name && $0.entry.releaseVersion == version }),
                  logged.entry.kind != .remove else {
                throw RegistryError.notInLog(reference: release.reference.description)
            }
            guard logged.entry.fingerprintRoot == release.canonicalRoot,
                  logged.entry.statementDigest == release.signature?.statement.digest else {
                throw RegistryError.logCorrupt(reason: "log entry \(logged.sequence) for \(release.reference) records root \(logged.entry.fingerprintRoot.hex) and statement \(logged.entry.statementDigest?.hex ?? "none"), but the registry holds root \(release.canonicalRoot.hex) and statement \(release.signature?.statement.digest.hex ?? "none"); run `provenance log verify`")
            }
            let proof: InclusionProof
            do throws(LogError) {
                proof = try tree.inclusionProof(leafIndex: logged.sequence)
                try proof.verify(leafHash: logged.leafHash, treeHead: head.treeHead)
            } catch {
                throw RegistryError.logCorrupt(reason: RegistryError.clause(error.description))
            }
            return LogInclusion(release: release, entry: logged, proof: proof, head: head, publicKey: key)
        }
    }

    /// Proves that the log only grew since `oldHead`, a head this registry signed earlier:
    /// checks its signature with the log key, then the consistency proof from its size to the
    /// latest signed head. A log that shrank or was rewritten gives a result with `problem`
    /// set; a head from another log (other key, bad signature) is an error.
    public func consistencyProof(from oldHead: SignedTreeHead) throws -> LogConsistency {
        try read { db in
            let snapshot = try Self.snapshot(in: db)
            let (tree, head, key) = try Self.checkedTree(snapshot)
            guard oldHead.keyID == key.keyID else {
                throw RegistryError.foreignTreeHead(reason: "it is signed by key \(oldHead.keyID.hex), not by this registry's log key \(key.keyID.hex)")
            }
            do throws(LogError) {
                try oldHead.verify(with: key)
            } catch {
                throw RegistryError.foreignTreeHead(reason: RegistryError.clause(error.description))
            }
            var result = LogConsistency(oldHead: oldHead, newHead: head, publicKey: key, proof: nil, problem: nil)
            let oldSize = oldHead.treeHead.size
            guard oldSize <= tree.size else {
                result.problem = "the log now holds \(tree.size) entries, fewer than the \(oldSize) of the old head: entries were deleted"
                return result
            }
            do throws(LogError) {
                let proof = try tree.consistencyProof(oldSize: oldSize)
                result.proof = proof
                let rootThen = try tree.rootHash(treeSize: oldSize)
                if rootThen != oldHead.treeHead.rootHash {
                    result.problem = "the first \(oldSize) entries now give root \(rootThen.hex), but the old head signed \(oldHead.treeHead.rootHash.hex): the log was rewritten, not only appended to"
                    return result
                }
                try proof.verify(old: oldHead.treeHead, new: head.treeHead)
            } catch {
                result.problem = RegistryError.clause(error.description)
            }
            return result
        }
    }
}
