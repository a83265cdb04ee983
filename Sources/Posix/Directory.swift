import CLinux
import Glibc

/// Directory listings and inode numbers, for walking trees such as /sys/fs/cgroup.
public enum Directory {
    public struct Entry: Equatable, Sendable {
        public var name: String
        public var isDirectory: Bool
        public init(name: String, isDirectory: Bool) {
            self.name = name
            self.isDirectory = isDirectory
        }
    }

    /// The entries of `path` (without `.` and `..`), at most `limit` of them (past it the
    /// listing is cut short: a bound on work and memory, never an unbounded walk).
    public static func entries(_ path: String, limit: Int = 100_000) throws(SyscallError) -> [Entry] {
        guard let dir = opendir(path) else { throw SyscallError("opendir(\(path))", errno) }
        defer { closedir(dir) }
        var result: [Entry] = []
        while result.count < limit, let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { p in
                p.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            var isDirectory = entry.pointee.d_type == UInt8(DT_DIR)
            if entry.pointee.d_type == UInt8(DT_UNKNOWN) || entry.pointee.d_type == UInt8(DT_LNK) {
                var st = stat()
                isDirectory = stat(path + "/" + name, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
            }
            result.append(Entry(name: name, isDirectory: isDirectory))
        }
        return result
    }

    /// What one stat of a directory tells a tree walk: its identity and how many subdirectories
    /// it can have.
    public struct Status: Equatable, Sendable {
        public var inode: UInt64
        /// The link count: 2 + its subdirectories on file systems that count them (kernfs, so every
        /// cgroup tree; ext4, tmpfs); 1 on those that do not (btrfs, ext4 past 65,000).
        public var links: UInt64
        public var isDirectory: Bool
        /// Modification and change times in nanoseconds: they move when an entry is added,
        /// removed or renamed on most file systems, but not on kernfs (cgroupfs), whose
        /// directories keep their times unless something set them.
        public var modifiedNanos: Int64
        public var changedNanos: Int64

        public init(inode: UInt64, links: UInt64, isDirectory: Bool, modifiedNanos: Int64 = 0, changedNanos: Int64 = 0) {
            (self.inode, self.links, self.isDirectory) = (inode, links, isDirectory)
            (self.modifiedNanos, self.changedNanos) = (modifiedNanos, changedNanos)
        }

        /// Surely no subdirectory: only a count of exactly 2 says so (1 means "not counted").
        public var hasNoSubdirectories: Bool { isDirectory && links == 2 }
    }

    /// Opens a directory (close-on-exec) to stat, open and list below it.
    public static func open(_ path: String) throws(SyscallError) -> FileDescriptor {
        FileDescriptor(rawValue: try check("open(\(path))") { clinux_open_directory_at(AT_FDCWD, path) })
    }

    /// Opens the directory `relative` below the directory `dir` ("" is `dir` itself, opened anew).
    public static func open(at dir: FileDescriptor, _ relative: String) throws(SyscallError) -> FileDescriptor {
        FileDescriptor(rawValue: try check("open(\(relative))") { clinux_open_directory_at(dir.rawValue, relative.isEmpty ? "." : relative) })
    }

    /// The status of `relative` below the directory `dir` (symlinks followed; "" is `dir` itself).
    public static func status(at dir: FileDescriptor, _ relative: String) throws(SyscallError) -> Status {
        var st = stat()
        _ = try check("stat(\(relative))") { fstatat(dir.rawValue, relative.isEmpty ? "." : relative, &st, 0) }
        return Status(inode: UInt64(st.st_ino), links: UInt64(st.st_nlink), isDirectory: (st.st_mode & S_IFMT) == S_IFDIR,
                      modifiedNanos: Int64(st.st_mtim.tv_sec) &* 1_000_000_000 &+ Int64(st.st_mtim.tv_nsec),
                      changedNanos: Int64(st.st_ctim.tv_sec) &* 1_000_000_000 &+ Int64(st.st_ctim.tv_nsec))
    }

    /// Lists the subdirectories of directories with getdents64 into one buffer kept between
    /// calls: no `DIR` allocation per directory, and no String for entries that are files (a
    /// cgroup directory holds some 40 files and few or no subdirectories). A directory listed
    /// with its inode keeps its descriptor: the next listing of the same path, if it is still
    /// that directory, rewinds it instead of opening it again (what `rewinddir` does: the
    /// listing is of the directory as it is then).
    public final class Lister {
        private let buffer: UnsafeMutableRawPointer
        private let capacity: Int
        private struct Kept { var fd: CInt; var inode: UInt64; var used: Bool }
        private var kept: [String: Kept] = [:]
        /// Past this many kept descriptors, directories are opened and closed per listing.
        public static let maxKept = 1024

        public init(capacity: Int = 32 * 1024) {
            self.capacity = max(capacity, 4096)
            buffer = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 8)
        }

        deinit {
            closeAll()
            buffer.deallocate()
        }

        /// Whether every name of the last listing was a directory entry proper (none a symlink or
        /// of unknown type, resolved with a stat): then the directory's link count counts them all.
        public private(set) var lastListingOnlyDirectories = true

        /// Descriptors kept for the next listing.
        public var keptCount: Int { kept.count }

        /// Closes the descriptors no listing used since the last call (directories gone, or no
        /// longer listed).
        public func closeUnused() {
            for (path, k) in kept {
                if k.used { kept[path]?.used = false } else { _ = Glibc.close(k.fd); kept[path] = nil }
            }
        }

        public func closeAll() {
            for k in kept.values { _ = Glibc.close(k.fd) }
            kept = [:]
        }

        /// The names of the subdirectories of `relative` below `dir` ("" for `dir` itself; `.`
        /// and `..` left out; symlinks to directories and entries of unknown type resolved with a
        /// stat), at most `limit` of them, in the order the directory gives them. With `inode`
        /// (what a stat of the path just said), the descriptor is kept for the next listing.
        public func subdirectories(at dir: FileDescriptor, _ relative: String, inode: UInt64? = nil, limit: Int = 100_000) throws(SyscallError) -> [String] {
            var fd: CInt = -1
            if let inode, let k = kept[relative] {
                if k.inode == inode, lseek(k.fd, 0, SEEK_SET) == 0 {
                    fd = k.fd
                    kept[relative]?.used = true
                } else {
                    _ = Glibc.close(k.fd)
                    kept[relative] = nil
                }
            }
            if fd < 0 {
                fd = try check("open(\(relative))") { clinux_open_directory_at(dir.rawValue, relative.isEmpty ? "." : relative) }
                if let inode, kept.count < Self.maxKept { kept[relative] = Kept(fd: fd, inode: inode, used: true) }
            }
            let isKept = kept[relative]?.fd == fd
            defer { if !isKept { _ = Glibc.close(fd) } }
            do {
                return try list(fd, relative, limit: limit)
            } catch {
                if isKept { kept[relative] = nil; _ = Glibc.close(fd) }
                throw error
            }
        }

        private func list(_ fd: CInt, _ relative: String, limit: Int) throws(SyscallError) -> [String] {
            var names: [String] = []
            lastListingOnlyDirectories = false   // until the listing is complete
            var onlyDirectories = true
            while names.count < limit {
                let n = try check("getdents64(\(relative))") { clinux_getdents64(fd, buffer, UInt(capacity)) }
                if n == 0 { break }
                var offset = 0
                while offset < n, names.count < limit {
                    // struct linux_dirent64: d_ino u64, d_off s64, d_reclen u16, d_type u8, d_name.
                    let record = buffer + offset
                    let length = Int(record.loadUnaligned(fromByteOffset: 16, as: UInt16.self))
                    guard length > 19 else { break }
                    offset += length
                    let type = record.load(fromByteOffset: 18, as: UInt8.self)
                    guard type == UInt8(DT_DIR) || type == UInt8(DT_UNKNOWN) || type == UInt8(DT_LNK) else { continue }
                    let name = UnsafeRawBufferPointer(start: record + 19, count: length - 19)
                    let count = name.firstIndex(of: 0) ?? name.count
                    if count == 1 && name[0] == UInt8(ascii: ".") || count == 2 && name[0] == UInt8(ascii: ".") && name[1] == UInt8(ascii: ".") {
                        continue
                    }
                    if type != UInt8(DT_DIR) {
                        onlyDirectories = false
                        var st = stat()
                        let isDirectory = fstatat(fd, record.assumingMemoryBound(to: CChar.self) + 19, &st, 0) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
                        if !isDirectory { continue }
                    }
                    names.append(String(decoding: UnsafeRawBufferPointer(rebasing: name[0..<count]), as: UTF8.self))
                }
            }
            lastListingOnlyDirectories = onlyDirectories && names.count < limit
            return names
        }
    }

    /// The inode number of `path` (a cgroup that is removed and made again gets a new one).
    public static func inode(_ path: String) throws(SyscallError) -> UInt64 {
        var st = stat()
        guard stat(path, &st) == 0 else { throw SyscallError("stat(\(path))", errno) }
        return UInt64(st.st_ino)
    }
}
