import Posix

/// Everything the command line sets. Parsing is pure: `parse` takes the arguments and returns a
/// configuration, a request for help or version, or a usage error with a clear message.
public struct Configuration: Equatable, Sendable {
    public static let version = "0.1.0"

    public var listen: [SocketAddress] = [.ipv4(host: "127.0.0.1", port: 9490)]
    public var intervalSeconds: Double = 1
    public var procRoot = "/proc"
    public var maxClients = 1024
    public var history = 300
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

    Streams this host's CPU, memory, thread and TCP connection figures from /proc as
    Server-Sent Events, once per interval, to every subscriber of GET /events.

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
      --token-file PATH    require the token in PATH (read once at start) as
                           "Authorization: Bearer TOKEN" or the cookie set by /?token=TOKEN
      --allow-origin ORIG  let pages from ORIG (exact, e.g. https://ops.example) read the
                           stream cross-origin; repeatable; none by default
      --once               print one snapshot as JSON on stdout and exit
      --version            print the version and exit
      -h, --help           print this help and exit

    Endpoints: / (live page), /events (text/event-stream), /snapshot (JSON), /healthz.
    """

    public static func parse(_ arguments: [String]) -> Result<Command, UsageError> {
        var config = Configuration()
        var listen: [SocketAddress] = []
        var i = 0
        func value(_ flag: String, _ inline: String?) -> Result<String, UsageError> {
            if let inline { return .success(inline) }
            i += 1
            guard i < arguments.count else { return .failure(UsageError("\(flag) needs a value")) }
            return .success(arguments[i])
        }
        while i < arguments.count {
            let argument = arguments[i]
            var flag = argument
            var inline: String?
            if argument.hasPrefix("--"), let eq = argument.firstIndex(of: "=") {
                flag = String(argument[..<eq])
                inline = String(argument[argument.index(after: eq)...])
            }
            switch flag {
            case "-h", "--help":
                return .success(.help)
            case "--version":
                return .success(.version)
            case "--once":
                guard inline == nil else { return .failure(UsageError("--once takes no value")) }
                config.once = true
            case "--listen":
                switch value(flag, inline) {
                case .failure(let e): return .failure(e)
                case .success(let text):
                    switch SocketAddress.parse(text) {
                    case .success(let address): listen.append(address)
                    case .failure(let e): return .failure(UsageError("--listen: \(e.description)"))
                    }
                }
            case "--interval":
                switch value(flag, inline) {
                case .failure(let e): return .failure(e)
                case .success(let text):
                    guard let seconds = Double(text), seconds.isFinite, seconds >= 0.01, seconds <= 3600 else {
                        return .failure(UsageError("--interval must be a number of seconds from 0.01 to 3600, got '\(text)'"))
                    }
                    config.intervalSeconds = seconds
                }
            case "--proc-root":
                switch value(flag, inline) {
                case .failure(let e): return .failure(e)
                case .success(let text):
                    guard !text.isEmpty else { return .failure(UsageError("--proc-root must not be empty")) }
                    config.procRoot = text
                }
            case "--max-clients":
                switch value(flag, inline) {
                case .failure(let e): return .failure(e)
                case .success(let text):
                    guard let n = Int(text), n >= 1, n <= 1_000_000 else {
                        return .failure(UsageError("--max-clients must be a whole number from 1 to 1000000, got '\(text)'"))
                    }
                    config.maxClients = n
                }
            case "--max-connections":
                switch value(flag, inline) {
                case .failure(let e): return .failure(e)
                case .success(let text):
                    guard let n = Int(text), n >= 1, n <= 1_000_000 else {
                        return .failure(UsageError("--max-connections must be a whole number from 1 to 1000000, got '\(text)'"))
                    }
                    config.maxConnections = n
                }
            case "--max-queued-kib":
                switch value(flag, inline) {
                case .failure(let e): return .failure(e)
                case .success(let text):
                    guard let n = Int(text), n >= 16, n <= 65536 else {
                        return .failure(UsageError("--max-queued-kib must be a whole number from 16 to 65536, got '\(text)'"))
                    }
                    config.maxQueuedKiB = n
                }
            case "--request-timeout":
                switch value(flag, inline) {
                case .failure(let e): return .failure(e)
                case .success(let text):
                    guard let seconds = Double(text), seconds >= 1, seconds <= 300 else {
                        return .failure(UsageError("--request-timeout must be a number of seconds from 1 to 300, got '\(text)'"))
                    }
                    config.requestTimeoutSeconds = seconds
                }
            case "--token-file":
                switch value(flag, inline) {
                case .failure(let e): return .failure(e)
                case .success(let text):
                    guard !text.isEmpty else { return .failure(UsageError("--token-file must not be empty")) }
                    config.tokenFile = text
                }
            case "--allow-origin":
                switch value(flag, inline) {
                case .failure(let e): return .failure(e)
                case .success(let text):
                    // An origin is scheme://host[:port]: no path, no wildcard.
                    guard text.hasPrefix("http://") || text.hasPrefix("https://"), !text.contains("*"),
                          !text.dropFirst(8).contains("/"), !text.hasSuffix("/") else {
                        return .failure(UsageError("--allow-origin takes an exact origin like https://ops.example:8443, got '\(text)'"))
                    }
                    config.allowedOrigins.append(text)
                }
            case "--history":
                switch value(flag, inline) {
                case .failure(let e): return .failure(e)
                case .success(let text):
                    guard let n = Int(text), n >= 1, n <= 86400 else {
                        return .failure(UsageError("--history must be a whole number from 1 to 86400, got '\(text)'"))
                    }
                    config.history = n
                }
            default:
                return .failure(UsageError("unknown option '\(argument)'"))
            }
            i += 1
        }
        if !listen.isEmpty { config.listen = listen }
        if let m = config.maxConnections, m < config.maxClients {
            return .failure(UsageError("--max-connections (\(m)) must be at least --max-clients (\(config.maxClients))"))
        }
        return .success(.run(config))
    }
}
