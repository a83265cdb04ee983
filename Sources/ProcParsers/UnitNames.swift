/// systemd units in a cgroup tree: which directory names are units, systemd's escaping of
/// those names, and the walk that finds every `.service` and `.scope` (pure: the directory
/// listing is a closure, so tests and fuzzers drive it without a filesystem).
public enum CgroupUnits {
    /// The unit a cgroup directory holds, if it is a service or a scope: the name with systemd's
    /// cgroup escaping undone (`_cpu.service` is `cpu.service`). Slices (`.slice`, containers of
    /// units), mounts, swaps, sockets and foreign directories are nil, as is anything that is
    /// not a valid systemd unit name (a template `foo@.service` never has a cgroup).
    ///
    /// The `\xNN` escapes inside unit names (`machine-qemu\x2d1\x2dvm.scope`,
    /// `systemd-fsck@dev-disk-by\x2duuid-….service`) are part of the name itself, as systemctl,
    /// journalctl -u and systemd-cgtop show and accept it, so they are kept as they are.
    public static func unitName(fromDirectory directory: String) -> String? {
        let name = unescape(directory)
        guard endsWith(name, ".service") || endsWith(name, ".scope"), isValidUnitName(name) else { return nil }
        return name
    }

    /// The slice a directory is (`system.slice`, `user-1000.slice`), unescaped; nil otherwise.
    public static func sliceName(fromDirectory directory: String) -> String? {
        let name = unescape(directory)
        guard endsWith(name, ".slice"), isValidUnitName(name) else { return nil }
        return name
    }

    /// Whether the name's last bytes are `suffix` (ASCII). The same as `hasSuffix` for every name
    /// `isValidUnitName` accepts (ASCII only), without comparing by grapheme.
    static func endsWith(_ name: String, _ suffix: StaticString) -> Bool {
        let n = suffix.utf8CodeUnitCount
        let p = suffix.utf8Start
        if let r = name.utf8.withContiguousStorageIfAvailable({ u -> Bool in
            guard u.count >= n else { return false }
            for i in 0..<n where u[u.count - n + i] != p[i] { return false }
            return true
        }) { return r }
        return name.utf8.reversed().starts(with: UnsafeBufferPointer(start: p, count: n).reversed())
    }

    /// systemd's `cg_unescape()` (src/basic/cgroup-util.c): one leading `_` is dropped. Exact
    /// for every systemd version, because every version escapes a name that starts with `_`.
    public static func unescape(_ directory: String) -> String {
        directory.utf8.first == UInt8(ascii: "_") ? String(directory.dropFirst()) : directory
    }

    /// The kernel's names that systemd keeps unit cgroups from colliding with: controller
    /// prefixes before a `.` (systemd 252's `cgroup_controller_table`, a superset of later
    /// versions', which dropped the v1-only `cpuacct` and `blkio`).
    static let controllers = ["cpu", "cpuacct", "cpuset", "io", "blkio", "memory", "devices", "pids",
                              "bpf-firewall", "bpf-devices", "bpf-foreign", "bpf-socket-bind",
                              "bpf-restrict-network-interfaces"]

    /// systemd's `cg_needs_escape()`: a name that is not a valid file name, starts with `_` or
    /// `.`, is one of the v1 core files, starts with `cgroup.`, or starts with a controller's
    /// name followed by a `.`.
    public static func needsEscape(_ name: String) -> Bool {
        if !isValidFileName(name) { return true }
        if name.hasPrefix("_") || name.hasPrefix(".") { return true }
        if name == "notify_on_release" || name == "release_agent" || name == "tasks" { return true }
        if name.hasPrefix("cgroup.") { return true }
        return controllers.contains { name.hasPrefix($0 + ".") }
    }

    /// systemd's `cg_escape()`: prefix `_` where needed; nil (systemd's -EINVAL) when even the
    /// prefixed name is not a valid file name.
    public static func escape(_ name: String) -> String? {
        guard needsEscape(name) else { return name }
        let escaped = "_" + name
        return isValidFileName(escaped) ? escaped : nil
    }

    /// systemd's `filename_is_valid()`: non-empty, not `.` or `..`, no `/`, at most NAME_MAX.
    static func isValidFileName(_ name: String) -> Bool {
        let u = name.utf8
        return !u.isEmpty && name != "." && name != ".." && !u.contains(UInt8(ascii: "/")) && u.count <= 255
    }

    static let unitTypes: Set<String> = ["service", "socket", "target", "device", "mount", "automount",
                                            "swap", "timer", "path", "slice", "scope"]

    /// systemd's `unit_name_is_valid(n, UNIT_NAME_PLAIN | UNIT_NAME_INSTANCE)`: under 256 bytes,
    /// a known type after the last `.`, a non-empty prefix of `[A-Za-z0-9:_.\-]` with at most one
    /// `@` that is neither first nor last (a template has no cgroup).
    public static func isValidUnitName(_ name: String) -> Bool {
        // Over the string's own bytes: no array, no String for the type (every directory name of
        // the tree comes here at every discovery).
        if let valid = name.utf8.withContiguousStorageIfAvailable({ isValidUnitName(bytes: $0) }) { return valid }
        return Array(name.utf8).withUnsafeBufferPointer { isValidUnitName(bytes: $0) }
    }

    /// The unit types as bytes, for `isValidUnitName`.
    static let unitTypeBytes: [[UInt8]] = unitTypes.map { Array($0.utf8) }

    static func isValidUnitName(bytes u: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !u.isEmpty, u.count < 256, let dot = u.lastIndex(of: UInt8(ascii: ".")), dot > 0 else { return false }
        let type = u[(dot + 1)...]
        guard unitTypeBytes.contains(where: { $0.count == type.count && $0.elementsEqual(type) }) else { return false }
        var at: Int?
        for i in 0..<dot {
            let b = u[i]
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: ":"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "\\"):
                continue
            case UInt8(ascii: "@"):
                if at == nil { at = i }
            default:
                return false
            }
        }
        guard let at else { return true }
        return at > 0 && dot > at + 1
    }
}
