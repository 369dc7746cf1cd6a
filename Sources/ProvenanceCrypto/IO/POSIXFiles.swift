// The only file in this module that calls POSIX I/O directly.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A raw POSIX file descriptor.
typealias RawFileDescriptor = Int32

/// An open descriptor, closed when the wrapper goes away.
private final class OwnedDescriptor {
    let descriptor: RawFileDescriptor

    init(taking descriptor: RawFileDescriptor) {
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }
}

/// Small whole-file reads and create-only writes for key files.
enum POSIXFiles {
    /// Whether anything (file, directory, dangling symlink) exists at `path`.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Reads a regular file of at most `limit` bytes; checks the size before allocating.
    static func readSmallFile(at path: String, limit: UInt64) throws(CryptoError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError(path, "open") }
        let file = OwnedDescriptor(taking: fd)
        var info = stat()
        guard fstat(file.descriptor, &info) == 0 else { throw ioError(path, "fstat") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw CryptoError(file: path, rule: .notRegularFile) }
        let size = UInt64(info.st_size)
        guard size <= limit else { throw CryptoError(file: path, rule: .fileTooLarge(size: size, limit: limit)) }
        // One byte of slack detects a file that grew after fstat.
        var bytes = [UInt8](repeating: 0, count: Int(size) + 1)
        var done = 0
        while done < bytes.count {
            let result = bytes.withUnsafeMutableBytes { read(file.descriptor, $0.baseAddress! + done, $0.count - done) }
            if result < 0 {
                if errno == EINTR { continue }
                throw ioError(path, "read")
            }
            if result == 0 { break }
            done += result
        }
        guard UInt64(done) <= limit else { throw CryptoError(file: path, rule: .fileTooLarge(size: UInt64(done), limit: limit)) }
        bytes.removeLast(bytes.count - done)
        return bytes
    }

    /// Creates `path` holding exactly `contents` with permission bits exactly `mode`, and
    /// refuses (`fileExists`) if anything already exists there, even a dangling symlink.
    ///
    /// The bytes go to a temporary file in the same directory which is then hard-linked to
    /// `path`: `link` fails rather than replace an existing name, and readers never see a
    /// partial key. Where the file system has no hard links, the file is created in place
    /// with `O_EXCL` and removed again if writing fails.
    static func createNewFile(at path: String, contents: [UInt8], mode: UInt32) throws(CryptoError) {
        guard !exists(path) else { throw CryptoError(file: path, rule: .fileExists) }
        let temporaryPath = path + ".partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try writeExclusive(at: temporaryPath, reportAs: path, contents: contents, mode: mode)
        if link(temporaryPath, path) == 0 {
            unlink(temporaryPath)
            return
        }
        let code = errno
        unlink(temporaryPath)
        switch code {
        case EEXIST:
            throw CryptoError(file: path, rule: .fileExists)
        case EPERM, EXDEV, ENOTSUP, EOPNOTSUPP, EMLINK:
            try writeExclusive(at: path, reportAs: path, contents: contents, mode: mode)
        default:
            throw CryptoError(file: path, rule: .io(operation: "link", errno: code, message: message(code)))
        }
    }

    /// Removes a file this process just created (used to undo half of a key pair).
    static func remove(_ path: String) {
        unlink(path)
    }

    /// Creates `path` with `O_EXCL`, writes, fsyncs; on any failure removes what it created.
    private static func writeExclusive(at path: String, reportAs name: String, contents: [UInt8], mode: UInt32) throws(CryptoError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode_t(mode))
        guard fd >= 0 else {
            if errno == EEXIST { throw CryptoError(file: name, rule: .fileExists) }
            throw ioError(name, "create")
        }
        let file = OwnedDescriptor(taking: fd)
        do throws(CryptoError) {
            // The umask may have cleared bits; set exactly the requested mode.
            guard fchmod(file.descriptor, mode_t(mode)) == 0 else { throw ioError(name, "fchmod") }
            var done = 0
            while done < contents.count {
                let result = contents.withUnsafeBytes { write(file.descriptor, $0.baseAddress! + done, $0.count - done) }
                if result < 0 {
                    if errno == EINTR { continue }
                    throw ioError(name, "write")
                }
                done += result
            }
            guard fsync(file.descriptor) == 0 else { throw ioError(name, "fsync") }
        } catch {
            unlink(path)
            throw error
        }
    }

    private static func ioError(_ path: String, _ operation: String) -> CryptoError {
        let code = errno
        return CryptoError(file: path, rule: .io(operation: operation, errno: code, message: message(code)))
    }

    private static func message(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
