import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Directories tests write into, all under one root per test process: removed when the process
/// exits, and — should it crash — by the next test process, which removes the roots of
/// processes that no longer run. A test that does not clean up after itself leaves nothing.
public enum ScratchDirectories {
    static let prefix = "provenance-tests-"

    /// `$TMPDIR/provenance-tests-PID`, created on first use.
    public static let root: String = {
        let temporary = FileManager.default.temporaryDirectory.path
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] where name.hasPrefix(prefix) {
            if let pid = Int32(name.dropFirst(prefix.count)), kill(pid, 0) != 0, errno == ESRCH {
                try? FileManager.default.removeItem(atPath: temporary + "/" + name)
            }
        }
        let path = temporary + "/" + prefix + String(getpid())
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: ScratchDirectories.root) }
        return path
    }()

    /// A fresh directory `label-UUID` under `root`.
    public static func make(_ label: String) -> String {
        let path = root + "/\(label)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
