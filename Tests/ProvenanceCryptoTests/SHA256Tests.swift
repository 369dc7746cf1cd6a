import ProvenanceCrypto
import Testing

@Suite("SHA-256 through OpenSSL EVP")
struct SHA256Tests {
    @Test("FIPS 180-2 test vectors")
    func knownVectors() {
        #expect(SHA256.hash(utf8: "").hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hash(utf8: "abc").hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash(utf8: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").hex
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test("incremental updates equal one-shot hashing; finalize resets")
    func incremental() {
        let message = Array((0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let hasher = SHA256()
        var index = 0
        for size in [1, 63, 64, 65, 1000, 4096] where index < message.count {
            let end = min(message.count, index + size)
            hasher.update(message[index..<end])
            index = end
        }
        hasher.update(message[index...])
        #expect(hasher.finalize() == SHA256.hash(message))
        #expect(hasher.finalize() == SHA256.hash([UInt8]()))
    }

    @Test("copy() reads a running digest without disturbing it")
    func copyState() {
        let hasher = SHA256()
        hasher.update(utf8: "ab")
        let snapshot = hasher.copy()
        hasher.update(utf8: "c")
        #expect(snapshot.finalize() == SHA256.hash(utf8: "ab"))
        #expect(hasher.finalize() == SHA256.hash(utf8: "abc"))
    }

    @Test("hex round trip and ordering")
    func hexAndOrder() throws {
        let digest = SHA256.hash(utf8: "abc")
        #expect(SHA256Digest(hex: digest.hex) == digest)
        #expect(SHA256Digest(hex: digest.hex.uppercased()) == digest)
        #expect(SHA256Digest(hex: "zz") == nil)
        #expect(SHA256Digest(hex: String(repeating: "g", count: 64)) == nil)
        let low = try #require(SHA256Digest(hex: String(repeating: "0", count: 63) + "1"))
        let high = try #require(SHA256Digest(hex: "1" + String(repeating: "0", count: 63)))
        #expect(low < high)
        #expect(high.prefix64 == 0x1000_0000_0000_0000)
    }
}
