import Foundation
import ProvenanceCrypto
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fresh directory under the system temporary directory, removed by `cleanUp()`.
private struct ScratchDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("keyfile-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func cleanUp() { try? FileManager.default.removeItem(atPath: path) }

    /// Names in the directory (to check that no temporary file was left behind).
    func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: path).sorted() }
}

private func permissionBits(_ path: String) -> UInt32 {
    var info = stat()
    guard stat(path, &info) == 0 else { return 0xFFFF }
    return UInt32(info.st_mode) & 0o7777
}

private func failure(_ body: () throws(CryptoError) -> Void) -> CryptoError? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

// Serialized because two tests change the process-wide umask (only to values that keep
// owner access, so concurrently running suites are unaffected).
@Suite("Key files: PEM on disk, mode 0600, never overwritten", .serialized)
struct KeyFileTests {
    @Test("private key file has mode 0600 even under a permissive umask; public key 0644; both read back")
    func writeAndRead() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let key = try Ed25519PrivateKey.generate()
        let privatePath = scratch.file("signing.key")
        let publicPath = scratch.file("signing.pub")

        let previousMask = umask(0)
        defer { umask(previousMask) }
        try KeyFile.writePrivateKey(key, to: privatePath)
        try KeyFile.writePublicKey(key.publicKey, to: publicPath)
        #expect(permissionBits(privatePath) == 0o600)
        #expect(permissionBits(publicPath) == 0o644)

        let readKey = try KeyFile.readPrivateKey(at: privatePath)
        #expect(readKey.rawRepresentation == key.rawRepresentation)
        #expect(try KeyFile.readPublicKey(at: publicPath) == key.publicKey)
        #expect(try String(contentsOfFile: privatePath, encoding: .utf8) == key.pemRepresentation)
        #expect(try scratch.contents() == ["signing.key", "signing.pub"], "no temporary files are left behind")
    }

    @Test("modes are exact under a strict umask too (077 would otherwise make the public key 0600)")
    func strictUmask() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let previousMask = umask(0o077)
        defer { umask(previousMask) }
        let key = try Ed25519PrivateKey.generate()
        try KeyFile.writePrivateKey(key, to: scratch.file("k"))
        try KeyFile.writePublicKey(key.publicKey, to: scratch.file("k.pub"))
        #expect(permissionBits(scratch.file("k")) == 0o600)
        #expect(permissionBits(scratch.file("k.pub")) == 0o644)
    }

    @Test("refuses to overwrite an existing file, directory or dangling symlink, leaving it untouched")
    func refuseOverwrite() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let first = try Ed25519PrivateKey.generate()
        let second = try Ed25519PrivateKey.generate()
        let path = scratch.file("signing.key")
        try KeyFile.writePrivateKey(first, to: path)

        let error = failure { () throws(CryptoError) in try KeyFile.writePrivateKey(second, to: path) }
        #expect(error == CryptoError(file: path, rule: .fileExists))
        #expect(error?.description == "\(path) already exists; refusing to overwrite a key file.")
        #expect(try KeyFile.readPrivateKey(at: path).rawRepresentation == first.rawRepresentation)
        #expect(failure { () throws(CryptoError) in try KeyFile.writePublicKey(second.publicKey, to: path) }?.rule == .fileExists)

        let dangling = scratch.file("dangling.key")
        #expect(symlink(scratch.file("nowhere"), dangling) == 0)
        #expect(failure { () throws(CryptoError) in try KeyFile.writePrivateKey(second, to: dangling) }?.rule == .fileExists)
        #expect(!FileManager.default.fileExists(atPath: scratch.file("nowhere")), "the symlink target was not created")

        #expect(failure { () throws(CryptoError) in try KeyFile.writePrivateKey(second, to: scratch.path) }?.rule == .fileExists)
        #expect(try scratch.contents() == ["dangling.key", "signing.key"])
    }

    @Test("writeKeyPair refuses before writing anything when either file exists")
    func keyPair() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let key = try Ed25519PrivateKey.generate()
        try KeyFile.writeKeyPair(key, privateKeyPath: scratch.file("a.key"), publicKeyPath: scratch.file("a.pub"))
        #expect(permissionBits(scratch.file("a.key")) == 0o600)
        #expect(try KeyFile.readPublicKey(at: scratch.file("a.pub")) == key.publicKey)

        _ = FileManager.default.createFile(atPath: scratch.file("b.pub"), contents: Data("keep".utf8))
        let error = failure { () throws(CryptoError) in
            try KeyFile.writeKeyPair(key, privateKeyPath: scratch.file("b.key"), publicKeyPath: scratch.file("b.pub"))
        }
        #expect(error == CryptoError(file: scratch.file("b.pub"), rule: .fileExists))
        #expect(!FileManager.default.fileExists(atPath: scratch.file("b.key")), "no private key was written")
        #expect(try String(contentsOfFile: scratch.file("b.pub"), encoding: .utf8) == "keep")
    }

    @Test("reading names the file: missing, oversized, a directory, not a key, the wrong half")
    func readErrors() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.cleanUp() }
        let missing = scratch.file("missing.key")
        guard case .io(let operation, let code, _)? = failure({ () throws(CryptoError) in _ = try KeyFile.readPrivateKey(at: missing) })?.rule else {
            Issue.record("reading a missing file did not give an I/O error")
            return
        }
        #expect(operation == "open" && code == ENOENT)

        let large = scratch.file("large.key")
        _ = FileManager.default.createFile(atPath: large, contents: Data(count: Int(KeyFile.sizeLimit) + 1))
        #expect(failure { () throws(CryptoError) in _ = try KeyFile.readPrivateKey(at: large) }
            == CryptoError(file: large, rule: .fileTooLarge(size: KeyFile.sizeLimit + 1, limit: KeyFile.sizeLimit)))

        #expect(failure { () throws(CryptoError) in _ = try KeyFile.readPublicKey(at: scratch.path) }
            == CryptoError(file: scratch.path, rule: .notRegularFile))

        let notKey = scratch.file("notes.txt")
        _ = FileManager.default.createFile(atPath: notKey, contents: Data("just some text\n".utf8))
        let error = failure { () throws(CryptoError) in _ = try KeyFile.readPrivateKey(at: notKey) }
        #expect(error?.file == notKey)
        guard case .invalidPEM(.privateKey, _)? = error?.rule else {
            Issue.record("a text file was not rejected as invalid PEM: \(String(describing: error))")
            return
        }
        #expect(error?.description.hasPrefix("\(notKey) is not a PEM-encoded private key") == true)

        let key = try Ed25519PrivateKey.generate()
        let publicPath = scratch.file("k.pub")
        try KeyFile.writePublicKey(key.publicKey, to: publicPath)
        #expect(failure { () throws(CryptoError) in _ = try KeyFile.readPrivateKey(at: publicPath) }?.file == publicPath)
    }
}
