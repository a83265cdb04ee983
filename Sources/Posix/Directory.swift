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

    /// The inode number of `path` (a cgroup that is removed and made again gets a new one).
    public static func inode(_ path: String) throws(SyscallError) -> UInt64 {
        var st = stat()
        guard stat(path, &st) == 0 else { throw SyscallError("stat(\(path))", errno) }
        return UInt64(st.st_ino)
    }
}
