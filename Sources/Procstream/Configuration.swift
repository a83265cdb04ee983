import Posix

/// Everything the command line sets. Parsing is pure: `parse` takes the arguments and returns a
/// configuration, a request for help or version, or a usage error with a clear message.
public struct Configuration: Equatable, Sendable {
    public static let version = "0.1.0"

    public var listen: [SocketAddress] = [.ipv4(host: "127.0.0.1", port: 9490)]
    /// Whether --listen was given (systemd-passed sockets then override it: worth a word).
    public var listenGiven: Bool { listen != Configuration().listen }
    public var intervalSeconds: Double = 1
    public var procRoot = "/proc"
    /// Where the cgroup tree is, for the per-unit view.
    public var cgroupRoot = "/sys/fs/cgroup"
    public var maxClients = 1024
    public var history = 300
    /// The history's memory bound, in KiB (ticks with a per-unit view are larger).
    public var historyKiB = 8192
    /// Output a subscriber may have queued beyond its socket buffer before it is dropped.
    public var maxQueuedKiB = 256
    /// How long a request head may take to arrive, and how long an idle keep-alive
    /// connection is kept.
    public var requestTimeoutSeconds: Double = 10
    /// Open connections of any kind; defaults to max-clients + 1024 (room for page loads,
    /// health checks and refusals while subscribers are at their limit).
    public var maxConnections: Int?
    public var tokenFile: String?
    public var allowedOrigins: [String] = []

    public var connectionLimit: Int { maxConnections ?? maxClients + 1024 }
    public var once = false

    public init() {}

    public var intervalNanos: UInt64 { UInt64((intervalSeconds * 1e9).rounded()) }

    public enum Command: Equatable, Sendable {
        case run(Configuration)
        case help
        case version
    }

    public struct UsageError: Error, Equatable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    public static let usage = """
    Usage: procstreamd [OPTIONS]

    Streams this host's CPU, memory, load, thread, TCP connection, pressure, network and
    disk figures from /proc as Server-Sent Events, once per interval, to every subscriber of
    GET /events.

    Options:
      --listen ADDR        where to listen: HOST:PORT, [V6]:PORT or unix:/PATH; repeatable
                           (default 127.0.0.1:9490; ignored when systemd passes sockets)
      --interval SECONDS   time between snapshots, 0.01 to 3600 (default 1)
      --proc-root DIR      read /proc files under DIR (default /proc)
      --max-clients N      subscribers served at once; more get 503 (default 1024)
      --max-connections N  open connections of any kind; more are answered 503 and closed
                           (default max-clients + 1024)
      --max-queued-kib N   output queued for one slow client before it is dropped, 16 to
                           65536 KiB (default 256)
      --request-timeout S  seconds a request head may take, and an idle keep-alive
                           connection may stay, 1 to 300 (default 10)
      --history N          past events kept for replay and resume, 1 to 86400 (default 300)
      --history-kib N      memory the history may use, 64 to 1048576 KiB (default 8192);
                           past it the oldest events go
      --cgroup-root DIR    the cgroup tree for the per-unit view (default /sys/fs/cgroup)
      --token-file PATH    require the token in PATH (read once at start) as
                           "Authorization: Bearer TOKEN" or the cookie set by /?token=TOKEN
      --allow-origin ORIG  let pages from ORIG (exact, e.g. https://ops.example) read the
                           stream cross-origin; repeatable; none by default
      --once               print one snapshot as JSON on stdout and exit
      --version            print the version and exit
      -h, --help           print this help and exit

    Endpoints: / (live page), /events (text/event-stream; ?units=1 adds the per-unit view),
    /snapshot (JSON), /units (JSON), /healthz.
    """

    public static func parse(_ arguments: [String]) -> Result<Command, UsageError> {
        Result { () throws(UsageError) in try parseOrThrow(arguments) }
    }

    private static func parseOrThrow(_ arguments: [String]) throws(UsageError) -> Command {
        var config = Configuration()
        var listen: [SocketAddress] = []
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            var flag = argument
            var inline: String?
            if argument.hasPrefix("--"), let eq = argument.firstIndex(of: "=") {
                flag = String(argument[..<eq])
                inline = String(argument[argument.index(after: eq)...])
            }
            func value() throws(UsageError) -> String {
                if let inline { return inline }
                i += 1
                guard i < arguments.count else { throw UsageError("\(flag) needs a value") }
                return arguments[i]
            }
            func number<T: LosslessStringConvertible & Comparable>(_ range: ClosedRange<T>, _ kind: String) throws(UsageError) -> T {
                let text = try value()
                guard let n = T(text), range.contains(n) else {
                    throw UsageError("\(flag) must be \(kind) from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
                }
                return n
            }
            switch flag {
            case "-h", "--help":
                return .help
            case "--version":
                return .version
            case "--once":
                guard inline == nil else { throw UsageError("--once takes no value") }
                config.once = true
            case "--listen":
                switch SocketAddress.parse(try value()) {
                case .success(let address): listen.append(address)
                case .failure(let e): throw UsageError("--listen: \(e.description)")
                }
            case "--interval":
                config.intervalSeconds = try number(0.01...3600, "a number of seconds")
            case "--proc-root":
                config.procRoot = try value()
                guard !config.procRoot.isEmpty else { throw UsageError("--proc-root must not be empty") }
            case "--max-clients":
                config.maxClients = try number(1...1_000_000, "a whole number")
            case "--max-connections":
                config.maxConnections = try number(1...1_000_000, "a whole number")
            case "--max-queued-kib":
                config.maxQueuedKiB = try number(16...65536, "a whole number")
            case "--request-timeout":
                config.requestTimeoutSeconds = try number(1...300, "a number of seconds")
            case "--history":
                config.history = try number(1...86400, "a whole number")
            case "--history-kib":
                config.historyKiB = try number(64...1_048_576, "a whole number")
            case "--cgroup-root":
                config.cgroupRoot = try value()
                guard !config.cgroupRoot.isEmpty else { throw UsageError("--cgroup-root must not be empty") }
            case "--token-file":
                let path = try value()
                guard !path.isEmpty else { throw UsageError("--token-file must not be empty") }
                config.tokenFile = path
            case "--allow-origin":
                // An origin is scheme://host[:port]: no path, no wildcard.
                let origin = try value()
                guard origin.hasPrefix("http://") || origin.hasPrefix("https://"), !origin.contains("*"),
                      !origin.dropFirst(8).contains("/") else {
                    throw UsageError("--allow-origin takes an exact origin like https://ops.example:8443, got '\(origin)'")
                }
                config.allowedOrigins.append(origin)
            default:
                throw UsageError("unknown option '\(argument)'")
            }
            i += 1
        }
        if !listen.isEmpty { config.listen = listen }
        if let m = config.maxConnections, m < config.maxClients {
            throw UsageError("--max-connections (\(m)) must be at least --max-clients (\(config.maxClients))")
        }
        return .run(config)
    }
}
