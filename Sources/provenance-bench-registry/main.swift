// provenance-bench-registry: registry scale benchmark (`make bench-registry`).
//
// Builds one synthetic registry up to each requested size (default 1 000 then 10 000
// releases) with fingerprints of the template's real size, and reports register
// throughput, candidate look-up latency (noised copies, exact copies, unrelated models) and
// size on disk per release. Options:
//   --sizes 1000,10000     registry sizes to measure at (ascending)
//   --queries 30           look-ups per query kind and size
//   --template FILE        fingerprint file whose shape the releases copy
//                          (default: the first file in Fingerprints/)
//   --directory DIR        where the registry is built (default .bench/registry; removed after)
//   --keep                 keep the registry file

import Fingerprinting
import Foundation
import GRDB
import ProvenanceCrypto
import Registry

struct BenchOptions {
    var sizes = [1_000, 10_000]
    var queries = 30
    var template: String?
    var directory = ".bench/registry"
    var keep = false

    init(_ arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            func value() throws -> String {
                guard let value = iterator.next() else { throw BenchError("\(argument) needs a value") }
                return value
            }
            switch argument {
            case "--sizes": sizes = try value().split(separator: ",").map { guard let n = Int($0), n > 0 else { throw BenchError("bad size \($0)") }; return n }.sorted()
            case "--queries": queries = max(1, Int(try value()) ?? 30)
            case "--template": template = try value()
            case "--directory": directory = try value()
            case "--keep": keep = true
            default: throw BenchError("unknown option \(argument)")
            }
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func milliseconds(_ values: [Double]) -> String {
    let sorted = values.sorted()
    func at(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))] * 1000 }
    return String(format: "median %.1f ms, p95 %.1f ms, max %.1f ms", at(0.5), at(0.95), sorted.last! * 1000)
}

func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }

func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.intValue ?? 0
}

func templatePath(_ explicit: String?) throws -> String {
    if let explicit { return explicit }
    // The largest bundled fingerprint (the real all-MiniLM-L6-v2): realistic release size.
    let names = (try? FileManager.default.contentsOfDirectory(atPath: "Fingerprints")) ?? []
    let candidates = names.filter { $0.hasSuffix("." + FingerprintFormat.fileExtension) }
    guard let name = candidates.max(by: { fileSize("Fingerprints/" + $0) < fileSize("Fingerprints/" + $1) }) else {
        throw BenchError("no template: pass --template FILE or run from the repository (Fingerprints/)")
    }
    return "Fingerprints/" + name
}

/// Bytes per table and index (SQLite's dbstat), largest first; empty if dbstat is unavailable.
func tableSizes(_ path: String) -> [(String, Int)] {
    guard let queue = try? DatabaseQueue(path: path) else { return [] }
    return (try? queue.read { db in
        try Row.fetchAll(db, sql: "SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC").map {
            ($0["name"] as String, $0["bytes"] as Int)
        }
    }) ?? []
}

func run() throws {
    let options = try BenchOptions(Array(CommandLine.arguments.dropFirst()))
    let templateFile = try templatePath(options.template)
    let template = try Fingerprint.read(from: templateFile).fingerprint
    let templateBytes = try template.encoded().count
    let synthetic = SyntheticReleases(template: template, seed: 0x5EED)
    try? FileManager.default.removeItem(atPath: options.directory)
    let path = options.directory + "/registry.sqlite"
    let registry = try Registry.open(path: path)
    defer { if !options.keep { try? FileManager.default.removeItem(atPath: options.directory) } }

    print("# Registry benchmark")
    print("template: \(templateFile) — \(template.tensors.count) tensors, \(template.indexKeys.count) index keys, fingerprint \(megabytes(templateBytes))")
    let sqliteVersion = try DatabaseQueue().read { db in try String.fetchOne(db, sql: "SELECT sqlite_version()") ?? "?" }
    print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; SQLite \(sqliteVersion), WAL, synchronous=FULL, one transaction per release")
    print("")
    print("| releases | register (this step) | registry on disk | per release | noised-copy look-up | exact-copy look-up | unrelated look-up | top-1 correct |")
    print("|---:|---|---:|---:|---|---|---|---:|")

    var registered = 0
    for size in options.sizes {
        // Register up to `size`.
        var synthesis = 0.0
        let count = size - registered
        let elapsed = try seconds {
            for index in registered..<size {
                var item: (fingerprint: Fingerprint, metadata: ReleaseMetadata)!
                synthesis += seconds { item = synthetic.release(index) }
                _ = try registry.register(fingerprint: item.fingerprint, metadata: item.metadata, registeredBy: "bench@registry")
            }
        }
        registered = size
        let registerSeconds = elapsed - synthesis
        let throughput = String(format: "%d in %.1f s: %.0f releases/s, %.0f MB/s", count, registerSeconds,
                                Double(count) / registerSeconds, Double(count * templateBytes) / registerSeconds / 1e6)

        try DatabaseQueue(path: path).writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        let onDisk = fileSize(path) + fileSize(path + "-wal")

        // Look-ups: a fresh connection (as a new `provenance scan` process would open).
        let reader = try Registry.open(path: path)
        var rng = SplitMix64Sampler(seed: UInt64(size))
        var noised: [Double] = [], exact: [Double] = [], unrelated: [Double] = []
        var correct = 0, unrelatedHits = 0
        for query in 0..<options.queries {
            let target = rng.next(below: size)
            let noisedQuery = synthetic.noisedCopy(of: target, salt: UInt64(query))
            var candidates: [Candidate] = []
            noised.append(try seconds { candidates = try reader.candidates(for: noisedQuery) })
            if let top = candidates.first, synthetic.mirrored(top.release.name) == synthetic.mirrored(target) ?? target {
                correct += 1
            }
            let exactQuery = synthetic.exactCopy(of: target)
            exact.append(try seconds { candidates = try reader.candidates(for: exactQuery) })
            if candidates.first?.identicalCanonicalRoot != true { throw BenchError("exact copy of release \(target) not found first") }
            let unrelatedQuery = synthetic.unrelated(query)
            unrelated.append(try seconds { candidates = try reader.candidates(for: unrelatedQuery) })
            unrelatedHits += candidates.count
        }
        print("| \(size) | \(throughput) | \(megabytes(onDisk)) | \(megabytes(onDisk / size)) | \(milliseconds(noised)) | \(milliseconds(exact)) | \(milliseconds(unrelated)) (\(unrelatedHits) candidates in \(options.queries) queries) | \(correct)/\(options.queries) |")
    }

    print("")
    print("Storage at \(registered) releases (dbstat):")
    for (name, bytes) in tableSizes(path).prefix(12) {
        print(String(format: "  %-28@ %10@  %8.1f kB/release", name as NSString, megabytes(bytes) as NSString, Double(bytes) / Double(registered) / 1e3))
    }
    var listSeconds = 0.0
    var all: [Release] = []
    listSeconds = try seconds { all = try registry.list() }
    print(String(format: "list(): %d releases in %.0f ms", all.count, listSeconds * 1000))

    // The append-only log: every registration above appended an entry and signed a head.
    var audit: LogAudit?
    let auditSeconds = try seconds { audit = try registry.auditLog() }
    print(String(format: "log verify (auditLog): %d entries, %d signed heads in %.0f ms, %@", audit?.entryCount ?? 0, audit?.headCount ?? 0,
                 auditSeconds * 1000, (audit?.isIntact == true ? "intact" : "NOT intact") as NSString))
    let proofs = try (0..<options.queries).map { query in
        try seconds { _ = try registry.inclusionProof(for: all[query * all.count / options.queries].reference.description) }
    }
    print("log proof (inclusionProof, rebuilds the tree from the entries): \(milliseconds(proofs))")
    let key = try Ed25519PrivateKey.generate()
    var unsigned: [Double] = [], signed: [Double] = []
    // Blocks of unsigned, signed, unsigned registrations (not interleaved, so periodic WAL
    // checkpoints cannot fall on one kind only).
    for index in 0..<(3 * options.queries) {
        let item = synthetic.release(registered + index)
        let signing = index / options.queries == 1 ? key : nil
        let time = try seconds { _ = try registry.register(fingerprint: item.fingerprint, metadata: item.metadata, registeredBy: "bench@registry", signingKey: signing) }
        if signing == nil { unsigned.append(time) } else { signed.append(time) }
    }
    print("register at \(registered) releases (log entry + signed head included): unsigned \(milliseconds(unsigned)); signed \(milliseconds(signed))")
}

/// Uniform sampling for query targets.
struct SplitMix64Sampler {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(below bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}

extension SyntheticReleases {
    /// The source release of a name like `synthetic-org-N/model-I` (mirrors map to their original).
    func mirrored(_ name: String) -> Int? {
        guard let index = name.split(separator: "-").last.flatMap({ Int($0) }) else { return nil }
        return mirrored(index) ?? index
    }
}

do {
    try run()
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(2)
}
