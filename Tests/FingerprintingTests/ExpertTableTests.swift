import Checkpoints
@testable import Fingerprinting
import Foundation
import ModelFixtures
import SyntheticModels
import Testing

/// Per-expert tensors stored as expert tables (docs/FINGERPRINT_FORMAT.md §4b): a name template,
/// shared fields once, digests and statistics in arrays.
@Suite("Expert groups' members are stored as compact tables and read back exactly")
struct ExpertTableTests {
    static let experts = 16
    static let model = ModelGenerator.mixtureOfExperts(
        ModelGenerator.generate(TransformerSpec(family: .llama, vocabSize: 256, hiddenSize: 64, intermediateSize: 32,
                                                layerCount: 2, headCount: 4), seed: 720),
        experts: experts, seed: 721)

    /// A model without experts (its file stays format version 1).
    static let dense = ModelGenerator.generate(TransformerSpec(family: .llama, vocabSize: 256, hiddenSize: 64, intermediateSize: 128,
                                                               layerCount: 2, headCount: 4), seed: 722)

    /// The fingerprint document (JSON) and arrays of an encoded file.
    static func parts(_ bytes: [UInt8]) throws -> (document: [String: Any], arrays: [SafetensorsWriter.Tensor], metadata: [String: String]) {
        let buffer = try SafetensorsBuffer(bytes: bytes, name: "moe.fingerprint")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(buffer.metadata["fingerprint"]!.utf8)) as? [String: Any])
        let arrays = buffer.tensors.map { SafetensorsWriter.Tensor(name: $0.name, dtype: $0.dtype, shape: $0.shape, bytes: Array(buffer.data(of: $0))) }
        return (document, arrays, buffer.metadata)
    }

    /// `bytes` with its document edited by `edit` and its arrays by `arrays`.
    static func edited(_ bytes: [UInt8], document edit: (inout [String: Any]) -> Void = { _ in },
                       arrays: ([SafetensorsWriter.Tensor]) -> [SafetensorsWriter.Tensor] = { $0 }, version: String? = nil) throws -> [UInt8] {
        var (document, tensors, metadata) = try parts(bytes)
        edit(&document)
        if let version { metadata["format_version"] = version }
        metadata["fingerprint"] = String(decoding: try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]), as: UTF8.self)
        return SafetensorsBuffer.encode(arrays(tensors), metadata: metadata)
    }

    @Test("every expert group becomes a table; decoding gives the same tensors in the same order, and re-encoding the same bytes")
    func roundTrip() throws {
        let fingerprint = try Fixtures.fingerprint(Self.model)
        let bytes = try fingerprint.encoded()
        let (document, arrays, _) = try Self.parts(bytes)
        let tables = try #require(document["expertTables"] as? [[String: Any]])
        #expect(try SafetensorsBuffer(bytes: bytes, name: "moe").metadata["format_version"] == "2")
        #expect(try SafetensorsBuffer(bytes: try Fixtures.fingerprint(Self.dense).encoded(), name: "dense").metadata["format_version"] == "1")
        let members = fingerprint.expertGroups.reduce(0) { $0 + $1.members.count }
        #expect(tables.count == fingerprint.expertGroups.count && members == 2 * 3 * Self.experts)
        #expect((document["tensors"] as? [Any])?.count == fingerprint.tensors.count - members)
        #expect((tables.first?["namePrefix"] as? String)?.hasSuffix(".experts.") == true && tables.first?["nameSuffix"] as? String == ".w1.weight")
        #expect(tables.allSatisfy { $0["scale"] == nil && $0["companions"] == nil })
        #expect(arrays.contains { $0.name == "expert-table.00000.statistics" && $0.dtype == .f64 && $0.shape == [Self.experts, 20] })

        let decoded = try Fingerprint.decode(bytes, name: "moe.fingerprint").fingerprint
        #expect(decoded.tensors == fingerprint.tensors)
        #expect(decoded.expertGroups == fingerprint.expertGroups)
        #expect(try decoded.encoded() == bytes)
        // Members whose values need different canonical dtypes (scaled codes: BF16 in one expert, F32 in another) list them per row.
        var mixed = fingerprint
        mixed.tensors[mixed.expertGroups[0].members[2]].canonical.dtype = "BF16"
        let mixedBytes = try mixed.encoded()
        let mixedTable = try #require((try Self.parts(mixedBytes).document["expertTables"] as? [[String: Any]])?.first?["members"] as? [String: Any])
        #expect((mixedTable["canonicalDTypes"] as? [String])?[2] == "BF16")
        #expect(try Fingerprint.decode(mixedBytes, name: "mixed").fingerprint.tensors == mixed.tensors)
        // Each member costs its 64 digest bytes, 20 statistics and a rounding energy in arrays, and
        // a number and a file index in JSON, instead of a JSON entry of ≈ 900 bytes.
        var untabled = fingerprint
        untabled.expertGroups = []
        let listed = try Self.parts(try untabled.encoded()).metadata["fingerprint"]!.utf8.count
        let tabled = try Self.parts(bytes).metadata["fingerprint"]!.utf8.count
            + arrays.filter { $0.name.hasPrefix("expert-table.") }.reduce(0) { $0 + $1.bytes.count }
        print("expert tables: members as JSON entries \(listed) bytes, as tables \(tabled) bytes (document and arrays, \(members) members)")
        #expect(Double(tabled) < 0.5 * Double(listed))
    }

    @Test("a group whose members differ in more than their number stays a list of tensor entries, and reads back")
    func irregularGroupStaysListed() throws {
        var fingerprint = try Fixtures.fingerprint(Self.model)
        let group = fingerprint.expertGroups[1]
        fingerprint.tensors[group.members[3]].name = fingerprint.tensors[group.members[3]].name.replacingOccurrences(of: ".experts.", with: ".expert.")
        fingerprint.tensors[fingerprint.expertGroups[2].members[5]].roleBasis = "shape"
        let bytes = try fingerprint.encoded()
        let tables = try #require(try Self.parts(bytes).document["expertTables"] as? [[String: Any]])
        #expect(Set(tables.compactMap { $0["group"] as? Int }) == Set(fingerprint.expertGroups.indices).subtracting([1, 2]))
        let decoded = try Fingerprint.decode(bytes, name: "moe.fingerprint").fingerprint
        #expect(decoded.tensors == fingerprint.tensors)
        #expect(try decoded.encoded() == bytes)
        #expect(Fingerprint.nameTemplate(group: "a.experts.*.b", names: ["a.experts.7.b", "a.experts.17.b", "a.experts.170.b"])!
                == ("a.experts.", ".b", [7, 17, 170]))
        #expect(Fingerprint.nameTemplate(group: "a.experts.*.b", names: ["a.experts.07.b", "a.experts.1.b"]) == nil)
        #expect(Fingerprint.nameTemplate(group: "a.experts.*.b", names: ["a.experts.x.b", "a.experts.1.b"]) == nil)
        #expect(Fingerprint.nameTemplate(group: "a.experts.*.b", names: ["a.experts.1.c"]) == nil)
    }

    @Test("scaled experts (FP8 with 128 × 128 block scales) are tabled with their scale companions, and read back exactly")
    func scaledExperts() throws {
        let directory = Fixtures.temporaryDirectory("fp8-moe")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (fp8, _) = try ScaledWeightFingerprintTests.writeBoth(Self.model, in: directory)
        let fingerprint = try Fingerprinter.fingerprint(path: fp8)
        let members = fingerprint.expertGroups.flatMap(\.members)
        #expect(members.count == 2 * 3 * Self.experts && members.allSatisfy { fingerprint.tensors[$0].scale != nil })
        let bytes = try fingerprint.encoded()
        let (document, _, _) = try Self.parts(bytes)
        let tables = try #require(document["expertTables"] as? [[String: Any]])
        #expect(tables.count == fingerprint.expertGroups.count)
        let scale = try #require(tables.first?["scale"] as? [String: Any])
        #expect(scale["tensorSuffix"] as? String == ".w1.weight_scale_inv")
        let companions = try #require(tables.first?["companions"] as? [[String: Any]])
        #expect(companions.count == 1 && companions.first?["nameSuffix"] as? String == ".w1.weight_scale_inv")
        // Members and their scale grids both leave the list.
        #expect((document["tensors"] as? [Any])?.count == fingerprint.tensors.count - 2 * members.count)
        let decoded = try Fingerprint.decode(bytes, name: "fp8-moe.fingerprint").fingerprint
        #expect(decoded.tensors == fingerprint.tensors)
        #expect(try decoded.encoded() == bytes)
    }

    @Test("malformed tables are errors naming the file and the table")
    func malformed() throws {
        let bytes = try Fixtures.fingerprint(Self.model).encoded()
        func table(_ edit: @escaping (inout [String: Any]) -> Void) -> (inout [String: Any]) -> Void {
            { document in
                var tables = document["expertTables"] as! [[String: Any]]
                edit(&tables[0])
                document["expertTables"] = tables
            }
        }
        let nonInteger = try Self.edited(bytes, arrays: { arrays in
            arrays.map { array in
                guard array.name == "expert-table.00000.statistics" else { return array }
                var values = array.bytes
                withUnsafeBytes(of: Double(0.5).bitPattern.littleEndian) { values.replaceSubrange(0..<8, with: $0) }
                return SafetensorsWriter.Tensor(name: array.name, dtype: array.dtype, shape: array.shape, bytes: values)
            }
        })
        let cases: [([UInt8], String)] = [
            (try Self.edited(bytes, document: table { $0["group"] = 99 }), "names group #99"),
            (try Self.edited(bytes, document: table { $0["numbers"] = [1, 2] }), "lists 2 numbers"),
            (try Self.edited(bytes, document: table { table in
                var members = table["members"] as! [String: Any]
                members["files"] = [Int](repeating: 3, count: Self.experts)
                table["members"] = members
            }), "file outside the 1 listed"),
            (try Self.edited(bytes, arrays: { $0.filter { $0.name != "expert-table.00001.digests" } }), "'expert-table.00001.digests' is missing"),
            (nonInteger, "counts are not non-negative integers"),
            (try Self.edited(bytes, document: { document in
                var groups = document["expertGroups"] as! [[String: Any]]
                groups[1]["members"] = groups[0]["members"]
                document["expertGroups"] = groups
            }), "taken"),
            (try Self.edited(bytes, document: table { table in
                table["companions"] = [["nameSuffix": ".x", "positions": [0], "rows": table["members"]!]]
            }), "places 1 '.x' companions for 16 members"),
            (try Self.edited(bytes, version: "1"), "format version 1 has no expert tables, but the document lists some"),
            (try Self.edited(try Fixtures.fingerprint(Self.dense).encoded(), version: "2"), "declares expert tables, but the document has none"),
        ]
        for (corrupt, message) in cases {
            #expect {
                _ = try Fingerprint.decode(corrupt, name: "bad.fingerprint")
            } throws: { error in
                "\(error)".contains("bad.fingerprint") && "\(error)".contains(message)
            }
        }
    }
}
