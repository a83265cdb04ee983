import Posix

/// One line on stderr per event worth knowing. Under journald (JOURNAL_STREAM names our stderr)
/// each line starts with an sd-daemon priority prefix so the level survives; in a terminal the
/// level is a word.
public enum Log {
    public enum Level: Int { case error = 3, warning = 4, info = 6 }

    static let toJournal: Bool = {
        guard let stream = ProcessInfo.environment("JOURNAL_STREAM") else { return false }
        return ProcessInfo.deviceAndInode(2) == stream
    }()

    public static func info(_ message: String) { write(.info, message) }
    public static func warning(_ message: String) { write(.warning, message) }
    public static func error(_ message: String) { write(.error, message) }

    static func write(_ level: Level, _ message: String) {
        ProcessInfo.writeAll(2, format(level, message, journal: toJournal))
    }

    static func format(_ level: Level, _ message: String, journal: Bool) -> String {
        let oneLine = String(message.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
        if journal { return "<\(level.rawValue)>\(oneLine)\n" }
        switch level {
        case .info: return "procstreamd: \(oneLine)\n"
        case .warning: return "procstreamd: warning: \(oneLine)\n"
        case .error: return "procstreamd: error: \(oneLine)\n"
        }
    }
}
