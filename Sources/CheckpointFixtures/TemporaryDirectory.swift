import Foundation

/// A fresh directory under the system temporary directory, removed with everything in it
/// when the last reference goes away. Each test makes its own, so tests can run in parallel.
public final class TemporaryDirectory {
    /// The directory's absolute path.
    public let path: String

    public init(prefix: String = "provenance-tests") throws {
        path = ScratchDirectories.make(prefix)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The absolute path of `relative` inside this directory.
    public func path(_ relative: String) -> String {
        (path as NSString).appendingPathComponent(relative)
    }

    /// Writes `bytes` to `relative` (creating intermediate directories) and returns the absolute path.
    @discardableResult
    public func write(_ bytes: [UInt8], to relative: String) throws -> String {
        let target = path(relative)
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }

    /// Writes UTF-8 `text` to `relative` and returns the absolute path.
    @discardableResult
    public func write(_ text: String, to relative: String) throws -> String {
        try write(Array(text.utf8), to: relative)
    }

    /// Creates the directory `relative` (and its parents) and returns its absolute path.
    @discardableResult
    public func makeDirectory(_ relative: String) throws -> String {
        let target = path(relative)
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        return target
    }
}
