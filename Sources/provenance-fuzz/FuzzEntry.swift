import Foundation

/// Scratch directory for the files one input needs (per process, so parallel jobs do not clash).
let fuzzScratch: String = {
    let directory = NSTemporaryDirectory() + "provenance-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return directory
}()

#if FUZZING
/// libFuzzer's per-input callback (built with `-sanitize=fuzzer`, see `make fuzz`).
private func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    FuzzTarget.run(UnsafeRawBufferPointer(start: data, count: size), scratch: fuzzScratch)
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// SwiftPM links an executable's entry point as `<module>_main`; hand control to libFuzzer's
/// driver from there rather than relying on the runtime's own `main`.
@_cdecl("provenance_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments) { data, size in fuzzOneInput(data, size) }
}
#else
/// Without the fuzzer: `provenance-fuzz seeds DIR` writes the seed corpus;
/// `provenance-fuzz FILE…` replays inputs (a crash found by `make fuzz`, or a corpus).
@main
struct FuzzReplay {
    static func main() throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "seeds", arguments.count == 2 {
            try FuzzSeeds.write(to: arguments[1])
            return
        }
        guard !arguments.isEmpty else {
            print("usage: provenance-fuzz seeds DIR | provenance-fuzz FILE|DIR …")
            return
        }
        var count = 0
        for argument in arguments {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else { continue }
            let files = isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []).filter { !$0.hasPrefix(".") }.sorted().map { argument + "/" + $0 }
                : [argument]
            for file in files {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
                bytes.withUnsafeBytes { FuzzTarget.run($0, scratch: fuzzScratch) }
                count += 1
            }
        }
        print("replayed \(count) input(s) without a crash")
    }
}
#endif
