import Foundation

/// A value shared between threads, guarded by a lock (`Synchronization.Mutex` needs macOS 15).
///
/// `@unchecked Sendable`: `value` is only touched while holding `lock`.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) {
        self.value = value
    }

    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
