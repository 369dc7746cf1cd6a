import Foundation
import ProvenanceCrypto
import Testing

/// RFC 8032 §7.1 test vectors: secret key, public key, message, signature (hex).
private let rfc8032Vectors: [(name: String, secret: String, public: String, message: String, signature: String)] = [
    ("TEST 1",
     "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
     "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("TEST 2",
     "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
     "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("TEST 3",
     "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
     "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
]

/// PKCS#8 and SPKI PEM of the RFC 8032 TEST 1 key, as written by `openssl pkey`.
private let test1PrivatePEM = """
    -----BEGIN PRIVATE KEY-----
    MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g
    -----END PRIVATE KEY-----

    """
private let test1PublicPEM = """
    -----BEGIN PUBLIC KEY-----
    MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=
    -----END PUBLIC KEY-----

    """

/// Keys of other types, made with `openssl genpkey`.
private let p256PrivatePEM = """
    -----BEGIN PRIVATE KEY-----
    MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQglRbUp4ejWyFOlLVY
    Wa/oFzGj/kZmu9/5Dsi512athUihRANCAATeSNpsjmGz7IHXjsUvBk1TVylPodBC
    rMg/defLf/R8NcfqJ9cnZSvPEvR2VrJHUIdUUW1LEFoVObFvgC5UUFDP
    -----END PRIVATE KEY-----

    """
private let x25519PublicPEM = """
    -----BEGIN PUBLIC KEY-----
    MCowBQYDK2VuAyEA86g9E9CJXXRWQKm5971tj5SIYSCU9i7pyD5Q0zy02G4=
    -----END PUBLIC KEY-----

    """
private let encryptedEd25519PEM = """
    -----BEGIN ENCRYPTED PRIVATE KEY-----
    MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAjUo7dr2rD6RwICCAAw
    DAYIKoZIhvcNAgkFADAdBglghkgBZQMEAQIEEOQNNsyAPusUCTh583jzfxkEQFV1
    l81vJc6alV1JtVTNr4jMT03n/FkogKlSwLRRnZyNg6hy22Jx4ohL+BtlQv0YmSTf
    HBkGYncmUFkMEPuJSHg=
    -----END ENCRYPTED PRIVATE KEY-----

    """

private func bytes(_ hex: String) -> [UInt8] {
    Hex.decode(hex)!
}

private func rule(_ body: () throws(CryptoError) -> Void) -> CryptoError.Rule? {
    do {
        try body()
        return nil
    } catch {
        return error.rule
    }
}

@Suite("Ed25519 through OpenSSL EVP")
struct Ed25519Tests {
    @Test("RFC 8032 §7.1 vectors: public key and signature bytes match exactly", arguments: rfc8032Vectors.indices)
    func rfc8032(index: Int) throws {
        let vector = rfc8032Vectors[index]
        let key = try Ed25519PrivateKey(rawRepresentation: bytes(vector.secret))
        #expect(key.publicKey.hex == vector.public, "\(vector.name) public key")
        #expect(key.rawRepresentation == bytes(vector.secret), "\(vector.name) secret export")
        let message = bytes(vector.message)
        let signature = key.signature(for: message)
        #expect(signature.hex == vector.signature, "\(vector.name) signature")
        // Verify with a public key imported from raw bytes, independent of the private key.
        let imported = try Ed25519PublicKey(rawRepresentation: bytes(vector.public))
        #expect(imported.isValidSignature(try Ed25519Signature(hex: vector.signature), for: message))
    }

    @Test("sign/verify round trip on a generated key; signing is deterministic")
    func roundTrip() throws {
        let key = try Ed25519PrivateKey.generate()
        let message = Array("provenance statement".utf8)
        let signature = key.signature(for: message)
        #expect(signature.rawRepresentation.count == 64)
        #expect(key.publicKey.isValidSignature(signature, for: message))
        try key.publicKey.verify(signature, for: message)
        #expect(key.signature(for: message) == signature)
        #expect(!key.publicKey.isValidSignature(signature, for: Array("provenance statemenT".utf8)))
        let other = try Ed25519PrivateKey.generate()
        #expect(other.publicKey != key.publicKey, "two generated keys differ")
    }

    @Test("every single-byte change of message, signature or public key fails verification")
    func singleByteTampering() throws {
        let key = try Ed25519PrivateKey(rawRepresentation: bytes(rfc8032Vectors[2].secret))
        let message = Array((0..<48).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 5) })
        let signature = key.signature(for: message)
        let publicKey = key.publicKey.rawRepresentation
        #expect(key.publicKey.isValidSignature(signature, for: message))

        for position in message.indices {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var tampered = message
                tampered[position] ^= flip
                #expect(!key.publicKey.isValidSignature(signature, for: tampered), "message byte \(position) ^ \(flip)")
            }
        }
        for position in signature.rawRepresentation.indices {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var tampered = signature.rawRepresentation
                tampered[position] ^= flip
                let changed = try Ed25519Signature(rawRepresentation: tampered)
                #expect(!key.publicKey.isValidSignature(changed, for: message), "signature byte \(position) ^ \(flip)")
                #expect(rule { () throws(CryptoError) in try key.publicKey.verify(changed, for: message) } == .signatureMismatch)
            }
        }
        for position in publicKey.indices {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var tampered = publicKey
                tampered[position] ^= flip
                // Some altered encodings are not curve points at all; both outcomes must reject.
                if let changed = try? Ed25519PublicKey(rawRepresentation: tampered) {
                    #expect(!changed.isValidSignature(signature, for: message), "public key byte \(position) ^ \(flip)")
                }
            }
        }
        // Dropping or appending a byte is also a different message.
        #expect(!key.publicKey.isValidSignature(signature, for: Array(message.dropLast())))
        #expect(!key.publicKey.isValidSignature(signature, for: message + [0]))
    }

    @Test("a signature by another key is rejected")
    func wrongKey() throws {
        let signer = try Ed25519PrivateKey.generate()
        let other = try Ed25519PrivateKey.generate()
        let message = Array("release acme/model-7b".utf8)
        let signature = signer.signature(for: message)
        #expect(!other.publicKey.isValidSignature(signature, for: message))
        #expect(rule { () throws(CryptoError) in try other.publicKey.verify(signature, for: message) } == .signatureMismatch)
    }

    @Test("PEM: known encodings of the TEST 1 key, and round trips")
    func pem() throws {
        let key = try Ed25519PrivateKey(rawRepresentation: bytes(rfc8032Vectors[0].secret))
        #expect(key.pemRepresentation == test1PrivatePEM)
        #expect(key.publicKey.pemRepresentation == test1PublicPEM)

        let parsed = try Ed25519PrivateKey(pemRepresentation: test1PrivatePEM)
        #expect(parsed.rawRepresentation == key.rawRepresentation)
        #expect(parsed.publicKey == key.publicKey)
        let parsedPublic = try Ed25519PublicKey(pemRepresentation: test1PublicPEM)
        #expect(parsedPublic == key.publicKey)

        let generated = try Ed25519PrivateKey.generate()
        let reread = try Ed25519PrivateKey(pemRepresentation: generated.pemRepresentation)
        #expect(reread.rawRepresentation == generated.rawRepresentation)
        let message = Array("m".utf8)
        #expect(try Ed25519PublicKey(pemRepresentation: generated.publicKey.pemRepresentation)
            .isValidSignature(reread.signature(for: message), for: message))
    }

    @Test("key id is SHA-256 of the raw public key, the same however the key was loaded")
    func keyID() throws {
        let vector = rfc8032Vectors[0]
        let fromSecret = try Ed25519PrivateKey(rawRepresentation: bytes(vector.secret)).publicKey
        let fromRaw = try Ed25519PublicKey(hex: vector.public)
        let fromPEM = try Ed25519PublicKey(pemRepresentation: test1PublicPEM)
        #expect(fromSecret.keyID == SHA256.hash(bytes(vector.public)))
        #expect(fromRaw.keyID == fromSecret.keyID)
        #expect(fromPEM.keyID == fromSecret.keyID)
        #expect(fromSecret.keyID != (try Ed25519PublicKey(hex: rfc8032Vectors[1].public)).keyID)
        #expect(fromSecret.keyID.hex.count == 64)
    }

    @Test("malformed keys and signatures get typed errors with sentences")
    func rejections() throws {
        #expect(rule { () throws(CryptoError) in _ = try Ed25519PrivateKey(rawRepresentation: [UInt8](repeating: 1, count: 31)) }
            == .badKeyLength(role: .privateKey, expected: 32, got: 31))
        #expect(rule { () throws(CryptoError) in _ = try Ed25519PublicKey(rawRepresentation: [UInt8](repeating: 1, count: 33)) }
            == .badKeyLength(role: .publicKey, expected: 32, got: 33))
        #expect(rule { () throws(CryptoError) in _ = try Ed25519Signature(rawRepresentation: [UInt8](repeating: 0, count: 63)) }
            == .badSignatureLength(expected: 64, got: 63))
        #expect(rule { () throws(CryptoError) in _ = try Ed25519Signature(hex: "zz") } == .invalidHex(what: "signature"))
        #expect(rule { () throws(CryptoError) in _ = try Ed25519PublicKey(hex: "0g" + String(repeating: "0", count: 62)) }
            == .invalidHex(what: "public key"))

        // Wrong key types.
        #expect(rule { () throws(CryptoError) in _ = try Ed25519PrivateKey(pemRepresentation: p256PrivatePEM) }
            == .wrongKeyType(expected: "Ed25519", found: "EC"))
        #expect(rule { () throws(CryptoError) in _ = try Ed25519PublicKey(pemRepresentation: x25519PublicPEM) }
            == .wrongKeyType(expected: "Ed25519", found: "X25519"))
        // Encrypted keys are refused without prompting for a passphrase.
        #expect(rule { () throws(CryptoError) in _ = try Ed25519PrivateKey(pemRepresentation: encryptedEd25519PEM) }
            == .encryptedPrivateKey)

        // Not PEM, damaged PEM, the wrong half of the pair.
        for (text, role) in [("", CryptoError.KeyRole.privateKey), ("hello", .privateKey), ("hello", .publicKey)] {
            let failure = rule { () throws(CryptoError) in
                if role == .privateKey { _ = try Ed25519PrivateKey(pemRepresentation: text) } else { _ = try Ed25519PublicKey(pemRepresentation: text) }
            }
            guard case .invalidPEM(let expected, _)? = failure else {
                Issue.record("'\(text)' as \(role.rawValue) gave \(String(describing: failure))")
                continue
            }
            #expect(expected == role)
        }
        let damaged = test1PrivatePEM.replacingOccurrences(of: "MC4CAQAw", with: "MC4C!QAw")
        guard case .invalidPEM(.privateKey, _)? = rule({ () throws(CryptoError) in _ = try Ed25519PrivateKey(pemRepresentation: damaged) }) else {
            Issue.record("damaged PEM was accepted")
            return
        }
        #expect(rule { () throws(CryptoError) in _ = try Ed25519PublicKey(pemRepresentation: test1PrivatePEM) }
            == .invalidPEM(expected: .publicKey, detail: "it holds a private key; pass the public key file"))
        #expect(rule { () throws(CryptoError) in _ = try Ed25519PrivateKey(pemRepresentation: test1PublicPEM) }
            == .invalidPEM(expected: .privateKey, detail: "it holds a public key; pass the private key file"))

        let message = CryptoError(file: "keys/signing.key", rule: .wrongKeyType(expected: "Ed25519", found: "EC")).description
        #expect(message == "keys/signing.key holds a key of type EC, but an Ed25519 key is required.")
    }
}
