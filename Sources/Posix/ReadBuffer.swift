import CLinux
import Glibc

/// A reusable, growable byte buffer for whole-file and datagram reads. It keeps its memory
/// between reads (no allocation or zeroing per tick) and never grows past the caller's limit.
public final class ReadBuffer {
    private var storage: UnsafeMutableRawPointer
    public private(set) var capacity: Int
    /// Bytes filled by the last read.
    public private(set) var count = 0

    public init(capacity: Int = 16 * 1024) {
        self.capacity = max(capacity, 64)
        storage = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage, count: count) }

    /// Drops memory beyond `capacity` (after an unusually large read).
    public func shrink(to capacity: Int) {
        guard self.capacity > capacity else { return }
        storage.deallocate()
        self.capacity = capacity
        storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        count = 0
    }

    func reset() { count = 0 }

    /// Makes room for at least `more` bytes after `count`, doubling, up to `limit` in total.
    /// False when `limit` is reached.
    func reserve(_ more: Int, limit: Int) -> Bool {
        if count + more <= capacity { return true }
        guard capacity < limit else { return false }
        let newCapacity = min(max(capacity * 2, count + more), limit)
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        bigger.copyMemory(from: storage, byteCount: count)
        storage.deallocate()
        storage = bigger
        capacity = newCapacity
        return true
    }

    var spare: (UnsafeMutableRawPointer, Int) { (storage + count, capacity - count) }

    func advance(_ n: Int) { count += n }
}

public enum Files {
    /// A /proc-style file read whole: such files report a size of 0 or 4096, so it reads until
    /// end of file, refusing more than `limit` bytes (EFBIG).
    public static func read(path: String, into buffer: ReadBuffer, limit: Int) throws(SyscallError) {
        let fd = try open(path)
        defer { fd.close() }
        try read(fd, path: path, into: buffer, limit: limit)
    }

    /// Opens a file read-only (close-on-exec), to be read again and again with `read(_:…)`.
    public static func open(_ path: String) throws(SyscallError) -> FileDescriptor {
        FileDescriptor(rawValue: try check("open(\(path))") { clinuxOpen(path) })
    }

    /// Opens `relative` below the directory `dir` read-only (close-on-exec).
    public static func open(at dir: FileDescriptor, _ relative: String) throws(SyscallError) -> FileDescriptor {
        FileDescriptor(rawValue: try check("open(\(relative))") { clinux_open_readonly_at(dir.rawValue, relative) })
    }

    /// Reads an open file whole from offset 0, like `read(_:path:into:limit:)`, but takes a read
    /// that leaves room in the buffer for the end of the file: one pread instead of two. Only for
    /// files that return all they have in one read when it fits: regular files, and kernfs
    /// files whose content is one record (every cgroup file a unit's figures come from: the
    /// kernel renders it whole, growing its own buffer until it fits, before copying). Not for
    /// /proc files printed record by record (`net/tcp` returns a page per read).
    public static func readWhole(_ fd: FileDescriptor, path: String, into buffer: ReadBuffer, limit: Int) throws(SyscallError) {
        buffer.reset()
        let (start, room) = buffer.spare
        if room <= limit {
            let n: Int
            do { n = try check("read(\(path))") { Glibc.pread(fd.rawValue, start, room, 0) } } catch {
                throw SyscallError("read(\(path))", error.code)
            }
            if n < room {
                buffer.advance(n)
                return
            }
        }
        try read(fd, path: path, into: buffer, limit: limit)   // filled the buffer: read on to the end
    }

    /// Reads an open file whole from offset 0 (pread: a kept descriptor of a /proc, /sys or
    /// cgroup file renders its content anew each time), refusing more than `limit` bytes.
    public static func read(_ fd: FileDescriptor, path: String, into buffer: ReadBuffer, limit: Int) throws(SyscallError) {
        buffer.reset()
        while true {
            // Room for one byte past the limit, so an over-long file is noticed, not truncated.
            if buffer.count > limit || !buffer.reserve(1, limit: limit + 1) {
                throw SyscallError("read(\(path)): larger than \(limit) bytes", EFBIG)
            }
            let (start, room) = buffer.spare
            let offset = off_t(buffer.count)
            let n: Int
            do { n = try check("read(\(path))") { Glibc.pread(fd.rawValue, start, room, offset) } } catch {
                throw SyscallError("read(\(path))", error.code)
            }
            if n == 0 { break }
            buffer.advance(n)
        }
        if buffer.count > limit { throw SyscallError("read(\(path)): larger than \(limit) bytes", EFBIG) }
    }
}
