@testable import Registry
import Testing

@Suite("Release metadata and references")
struct MetadataTests {
    @Test("Valid metadata passes and empty optional fields become nil")
    func normalizes() throws {
        let metadata = try ReleaseMetadata(name: "org/model", version: "", org: "", license: "mit", released: "2024-02-29",
                                           url: "https://huggingface.co/org/model", bases: ["base@1", "other"], notes: "line 1\nline 2").validated()
        #expect(metadata.version == nil)
        #expect(metadata.org == nil)
        #expect(metadata.released == "2024-02-29")
        #expect(metadata.reference.description == "org/model")
    }

    @Test("Each broken rule names its field", arguments: [
        (ReleaseMetadata(name: ""), "name"),
        (ReleaseMetadata(name: "a@b"), "name"),
        (ReleaseMetadata(name: " padded"), "name"),
        (ReleaseMetadata(name: "m", version: "1\n2"), "version"),
        (ReleaseMetadata(name: "m", released: "2023-02-29"), "released"),
        (ReleaseMetadata(name: "m", released: "2024-13-01"), "released"),
        (ReleaseMetadata(name: "m", released: "24-01-01"), "released"),
        (ReleaseMetadata(name: "m", url: "ftp://example.org/x"), "url"),
        (ReleaseMetadata(name: "m", url: "https://"), "url"),
        (ReleaseMetadata(name: "m", bases: ["m"]), "bases"),
        (ReleaseMetadata(name: "m", bases: ["x@"]), "bases"),
        (ReleaseMetadata(name: "m", bases: ["x", "x"]), "bases"),
        (ReleaseMetadata(name: "m", notes: "bell \u{7}"), "notes"),
    ])
    func rejects(metadata: ReleaseMetadata, field: String) {
        #expect {
            try metadata.validated()
        } throws: { error in
            guard case RegistryError.invalidMetadata(let named, _, _) = error else { return false }
            return named == field
        }
    }

    @Test("References split at the first '@'")
    func parsesReferences() throws {
        #expect(try ReleaseReference(parsing: "org/m@1.0") == ReleaseReference(name: "org/m", version: "1.0"))
        #expect(try ReleaseReference(parsing: "m") == ReleaseReference(name: "m"))
        #expect(try ReleaseReference(parsing: "m@v@2").version == "v@2")
        #expect(throws: RegistryError.self) { try ReleaseReference(parsing: "@1") }
        #expect(throws: RegistryError.self) { try ReleaseReference(parsing: "m@") }
    }

    @Test("Export file names keep safe characters only")
    func exportFileNames() {
        #expect(Registry.exportFileName(ReleaseReference(name: "all-MiniLM-L6-v2", version: "1.0")) == "all-MiniLM-L6-v2@1.0.fingerprint.safetensors")
        #expect(Registry.exportFileName(ReleaseReference(name: "org/m x", version: "a/b")) == "org__m_x@a__b.fingerprint.safetensors")
        #expect(Registry.exportFileName(ReleaseReference(name: "..hidden")) == "_.hidden.fingerprint.safetensors")
    }
}
