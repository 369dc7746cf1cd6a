// The only file in this module that calls POSIX I/O directly.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A raw POSIX file descriptor.
typealias RawFileDescriptor = Int32

/// An open file read with `pread`, closed when the last reference goes away.
///
/// `@unchecked Sendable`: the descriptor is immutable and only used with `pread`/`fstat`,
/// which are thread-safe on a shared descriptor.
final class ReadOnlyFile: @unchecked Sendable {
    let descriptor: RawFileDescriptor
    /// The name used in error messages.
    let displayName: String
    /// The file size at open time.
    let size: UInt64

    init(path: String, displayName: String) throws(CheckpointError) {
        self.displayName = displayName
        // O_NONBLOCK: opening a FIFO or device must not wait; anything but a regular file is refused below.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { throw CheckpointError(file: displayName, rule: .notFound) }
            throw CheckpointError(file: displayName, rule: .io(operation: "open", errno: code, message: Self.message(code)))
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw CheckpointError(file: displayName, rule: .io(operation: "fstat", errno: code, message: Self.message(code)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw CheckpointError(file: displayName, rule: .io(operation: "open", errno: EISDIR, message: "not a regular file"))
        }
        descriptor = fd
        size = UInt64(info.st_size)
    }

    deinit {
        close(descriptor)
    }

    /// Fills `buffer` from `offset`; returns the number of bytes read (less only at end of file).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(CheckpointError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var done = 0
        while done < buffer.count {
            let result = pread(descriptor, base + done, buffer.count - done, off_t(offset) + off_t(done))
            if result < 0 {
                let code = errno
                if code == EINTR { continue }
                throw CheckpointError(file: displayName, rule: .io(operation: "pread", errno: code, message: Self.message(code)))
            }
            if result == 0 { break }
            done += result
        }
        return done
    }

    /// Fills `buffer` completely from `offset`, or throws `.truncated`.
    func readExactly(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64, tensor: String? = nil) throws(CheckpointError) {
        let got = try read(into: buffer, at: offset)
        guard got == buffer.count else {
            throw CheckpointError(file: displayName, tensor: tensor, rule: .truncated(expected: UInt64(buffer.count), got: UInt64(got)))
        }
    }

    /// Reads `count` bytes at `offset` into a new array (`tensor` names what is read in errors).
    func readBytes(count: Int, at offset: UInt64, tensor: String? = nil) throws(CheckpointError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var failure: CheckpointError?
        bytes.withUnsafeMutableBytes { buffer in
            do throws(CheckpointError) { try readExactly(into: buffer, at: offset, tensor: tensor) } catch { failure = error }
        }
        if let failure { throw failure }
        return bytes
    }

    /// A small tensor's stored bytes (a companion of a quantized weight), as they are in this file.
    func storedBytes(of tensor: TensorInfo) throws(CheckpointError) -> [UInt8] {
        try readBytes(count: Int(tensor.byteCount), at: tensor.offset, tensor: tensor.name)
    }

    /// Hints the kernel that the range will be read sequentially and soon.
    func adviseSequential(offset: UInt64, length: UInt64) {
        #if canImport(Glibc)
        _ = posix_fadvise(descriptor, off_t(offset), off_t(length), POSIX_FADV_SEQUENTIAL)
        #endif
    }

    static func message(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

/// A file written under a temporary name and renamed into place on `commit()`,
/// so readers never see a partial file. Removed if not committed.
public final class AtomicFileWriter {
    /// The final path.
    public let path: String
    private let temporaryPath: String
    private var descriptor: RawFileDescriptor
    private var committed = false

    /// Creates the temporary file next to `path` (mode 0644, or `mode` if given).
    public init(path: String, mode: UInt32 = 0o644) throws(CheckpointError) {
        self.path = path
        temporaryPath = path + ".partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else {
            let code = errno
            throw CheckpointError(file: path, rule: .io(operation: "create", errno: code, message: ReadOnlyFile.message(code)))
        }
        descriptor = fd
    }

    deinit {
        if !committed {
            close(descriptor)
            unlink(temporaryPath)
        }
    }

    /// Appends bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(CheckpointError) {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let result = Glibc_write(descriptor, base + done, bytes.count - done)
            if result < 0 {
                let code = errno
                if code == EINTR { continue }
                throw CheckpointError(file: path, rule: .io(operation: "write", errno: code, message: ReadOnlyFile.message(code)))
            }
            done += result
        }
    }

    /// Appends an array of bytes.
    public func write(_ bytes: [UInt8]) throws(CheckpointError) {
        var failure: CheckpointError?
        bytes.withUnsafeBytes { buffer in
            do throws(CheckpointError) { try write(buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Flushes to disk and renames the file into place.
    public func commit() throws(CheckpointError) {
        guard !committed else { return }
        if fsync(descriptor) != 0 {
            let code = errno
            throw CheckpointError(file: path, rule: .io(operation: "fsync", errno: code, message: ReadOnlyFile.message(code)))
        }
        close(descriptor)
        committed = true
        if rename(temporaryPath, path) != 0 {
            let code = errno
            unlink(temporaryPath)
            throw CheckpointError(file: path, rule: .io(operation: "rename", errno: code, message: ReadOnlyFile.message(code)))
        }
    }
}

@inline(__always)
private func Glibc_write(_ fd: RawFileDescriptor, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}
