import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the built `provenance` executable as a child process.
struct ProvenanceProcess {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    struct Output {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// `$PROVENANCE_BINARY`, else a `provenance` executable next to (or above) the test bundle.
    static func binary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["PROVENANCE_BINARY"], !path.isEmpty { return path }
        #if os(Linux)
        let start = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        #else
        let start = Bundle.main.bundleURL
        #endif
        var directory = start.deletingLastPathComponent()
        for _ in 0..<5 {
            let candidate = directory.appendingPathComponent("provenance").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw Failure(description: "the provenance executable was not found near \(start.path); build it (swift build) or set PROVENANCE_BINARY")
    }

    let process = Process()
    private let outputPipe = Pipe()
    private let errorPipe = Pipe()

    /// Starts `provenance arguments…` with `environment` added to a clean environment.
    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: try Self.binary())
        process.arguments = arguments
        var base = ProcessInfo.processInfo.environment
        base["PROVENANCE_REGISTRY"] = nil
        base["PROVENANCE_FINGERPRINTS"] = ""
        for (key, value) in environment { base[key] = value }
        process.environment = base
        process.standardOutput = outputPipe
        process.standardError = errorPipe
        try process.run()
    }

    var processIdentifier: Int32 { process.processIdentifier }

    /// Waits for exit and collects the output.
    func wait() -> Output {
        let output = outputPipe.fileHandleForReading.readDataToEndOfFile()
        let error = errorPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, standardOutput: String(decoding: output, as: UTF8.self),
                      standardError: String(decoding: error, as: UTF8.self))
    }

    /// Sends SIGKILL.
    func kill() {
        _ = Foundation.kill(process.processIdentifier, SIGKILL)
    }

    /// Runs to completion.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Output {
        try ProvenanceProcess(arguments, environment: environment).wait()
    }
}
