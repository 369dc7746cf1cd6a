import ArgumentParser
import Foundation
import ProvenanceCrypto

/// `provenance keygen [-o DIR]`: an Ed25519 key pair for signing registrations.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen", abstract: "Create an Ed25519 key pair for signing registrations.",
        discussion: """
            Writes DIR/NAME.pem (unencrypted PKCS#8 private key, mode 0600) and DIR/NAME.pub.pem \
            (public key), and prints the key id (SHA-256 of the raw public key). Existing files \
            are never overwritten. Sign a registration with `provenance register … --sign DIR/NAME.pem`.
            """)

    @Option(name: .shortAndLong, help: ArgumentHelp("The directory to write to (created if needed).", valueName: "dir"))
    var output: String = "."

    @Option(name: .long, help: ArgumentHelp("The key files' base name.", valueName: "name"))
    var name: String = "provenance-signing-key"

    func validate() throws {
        if name.isEmpty || name.contains("/") || name.hasPrefix(".") {
            throw ValidationError("--name must be a plain file name (no '/', not starting with '.').")
        }
    }

    func run() throws {
        do {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw UsageError("cannot create the directory \(output): \(error.localizedDescription)")
        }
        let privatePath = (output as NSString).appendingPathComponent(name + ".pem")
        let publicPath = (output as NSString).appendingPathComponent(name + ".pub.pem")
        let key = try Ed25519PrivateKey.generate()
        try KeyFile.writeKeyPair(key, privateKeyPath: privatePath, publicKeyPath: publicPath)
        print("private key  \(privatePath)  (mode 0600; keep it secret, it signs in your name)")
        print("public key   \(publicPath)")
        print("key id       \(key.publicKey.keyID.hex)")
    }
}
