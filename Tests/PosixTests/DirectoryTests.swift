import Glibc
import Testing
@testable import Posix

/// The directory calls of the cgroup walk against a real temporary tree.
@Suite struct DirectoryTests {
    /// A tree: `sub/` and `other/` (directories), `sub/deeper/`, 600 files with long names (more
    /// than one getdents64 buffer of 4 KiB), a symlink to a directory and one to a file.
    func makeTree() -> String {
        let root = "/tmp/procstream-dir-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        mkdir(root, 0o755)
        mkdir(root + "/sub", 0o755)
        mkdir(root + "/sub/deeper", 0o755)
        mkdir(root + "/other", 0o755)
        for i in 0..<600 { close(open(root + "/file-with-a-long-name-\(i)", O_WRONLY | O_CREAT, 0o644)) }
        symlink(root + "/other", root + "/link-to-dir")
        symlink(root + "/file-with-a-long-name-0", root + "/link-to-file")
        return root
    }

    @Test func listsOnlySubdirectoriesAcrossBuffers() throws {
        let root = makeTree()
        defer { _ = system("rm -rf '\(root)'") }
        let dir = try Directory.open(root)
        defer { dir.close() }
        let lister = Directory.Lister(capacity: 4096)
        #expect(try lister.subdirectories(at: dir, "").sorted() == ["link-to-dir", "other", "sub"])
        #expect(try lister.subdirectories(at: dir, "sub") == ["deeper"])
        #expect(try lister.subdirectories(at: dir, "sub/deeper") == [])
        #expect(try lister.subdirectories(at: dir, "", limit: 2).count == 2)
        #expect(throws: SyscallError.self) { try lister.subdirectories(at: dir, "missing") }
        #expect(throws: SyscallError.self) { try lister.subdirectories(at: dir, "file-with-a-long-name-1") }
        // The same answer as the readdir-based listing.
        let viaReaddir = try Directory.entries(root).filter(\.isDirectory).map(\.name).sorted()
        #expect(try lister.subdirectories(at: dir, "").sorted() == viaReaddir)
    }

    /// A directory listed with its inode keeps its descriptor; the next listing rewinds it and
    /// sees the directory as it is then; a directory made anew under the path is opened anew.
    @Test func keptDescriptorsListTheDirectoryAsItIsNow() throws {
        let root = makeTree()
        defer { _ = system("rm -rf '\(root)'") }
        let dir = try Directory.open(root)
        defer { dir.close() }
        let lister = Directory.Lister()
        let sub = try Directory.status(at: dir, "sub").inode
        #expect(try lister.subdirectories(at: dir, "sub", inode: sub) == ["deeper"])
        #expect(lister.keptCount == 1)
        mkdir(root + "/sub/added", 0o755)
        #expect(try lister.subdirectories(at: dir, "sub", inode: sub).sorted() == ["added", "deeper"])
        #expect(lister.keptCount == 1)
        // Replaced: the old directory is still there (renamed), a new one takes its path.
        rename(root + "/sub", root + "/old-sub")
        mkdir(root + "/sub", 0o755)
        mkdir(root + "/sub/fresh", 0o755)
        let fresh = try Directory.status(at: dir, "sub").inode
        #expect(fresh != sub)
        #expect(try lister.subdirectories(at: dir, "sub", inode: fresh) == ["fresh"])
        #expect(lister.keptCount == 1)
        lister.closeUnused()   // all used since the last call: kept
        #expect(lister.keptCount == 1)
        lister.closeUnused()   // none used since: closed
        #expect(lister.keptCount == 0)
        #expect(try lister.subdirectories(at: dir, "other") == [] && lister.keptCount == 0)   // no inode: not kept
    }

    /// The link count that lets a walk skip listing a directory: exactly 2 is "no subdirectory".
    @Test func statusCountsSubdirectories() throws {
        let root = makeTree()
        defer { _ = system("rm -rf '\(root)'") }
        let dir = try Directory.open(root)
        defer { dir.close() }
        let leaf = try Directory.status(at: dir, "sub/deeper")
        #expect(leaf.isDirectory && leaf.links == 2 && leaf.hasNoSubdirectories)
        let sub = try Directory.status(at: dir, "sub")
        #expect(sub.links == 3 && !sub.hasNoSubdirectories)
        #expect(try Directory.status(at: dir, "").inode == Directory.inode(root))
        #expect(try Directory.status(at: dir, "link-to-dir").inode == Directory.inode(root + "/other"))   // followed
        #expect(try !Directory.status(at: dir, "file-with-a-long-name-3").hasNoSubdirectories)
        // File systems that do not count subdirectories report 1: never taken for a leaf.
        #expect(!Directory.Status(inode: 1, links: 1, isDirectory: true).hasNoSubdirectories)
        #expect(throws: SyscallError.self) { try Directory.status(at: dir, "missing") }
        let file = try Files.open(at: dir, "file-with-a-long-name-2")
        file.close()
    }

    /// One pread when the file ends inside the buffer; read on when it filled it.
    @Test func readWholeTakesAShortReadAsTheEnd() throws {
        let path = "/tmp/procstream-whole-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(path) }
        func write(_ count: Int) {
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 % 251) }
            _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            Glibc.close(fd)
        }
        let buffer = ReadBuffer(capacity: 64)
        for count in [0, 10, 63, 64, 65, 100_000] {
            write(count)
            let fd = try Files.open(path)
            defer { fd.close() }
            try Files.readWhole(fd, path: path, into: buffer, limit: 1 << 20)
            #expect(buffer.count == count, "\(count)")
            #expect(buffer.bytes.elementsEqual((0..<count).map { UInt8(truncatingIfNeeded: $0 % 251) }), "\(count)")
            try Files.readWhole(fd, path: path, into: buffer, limit: 1 << 20)   // again, from offset 0
            #expect(buffer.count == count, "\(count) again")
            buffer.shrink(to: 64)
        }
        let fd = try Files.open(path)
        defer { fd.close() }
        #expect(throws: SyscallError.self) { try Files.readWhole(fd, path: path, into: buffer, limit: 99_999) }
    }
}
