// The only file of the benchmark tools that calls the C library for process statistics.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Process-wide resource figures.
public enum ResourceUsage {
    /// The peak resident set size of this process so far, in bytes (getrusage `ru_maxrss`).
    public static var peakResidentBytes: UInt64 {
        var usage = rusage()
        #if canImport(Glibc)
        let who = __rusage_who_t(RUSAGE_SELF.rawValue)
        #else
        let who = RUSAGE_SELF
        #endif
        guard getrusage(who, &usage) == 0 else { return 0 }
        #if canImport(Darwin)
        return UInt64(usage.ru_maxrss)  // bytes on Darwin
        #else
        return UInt64(usage.ru_maxrss) * 1024  // KiB on Linux
        #endif
    }
}
