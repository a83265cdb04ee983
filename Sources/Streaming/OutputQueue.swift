/// Output waiting for a slow socket, bounded: past `limit` bytes the client is dropped rather
/// than the daemon's memory growing.
public struct OutputQueue {
    public let limit: Int
    private(set) var bytes: [UInt8] = []
    private var start = 0

    public init(limit: Int) { self.limit = limit }

    public var count: Int { bytes.count - start }
    public var isEmpty: Bool { count == 0 }

    /// Appends; false (and nothing appended) when that would exceed the limit. An empty queue
    /// takes one piece of any size (a large response, or a tick's events for many units), so
    /// the queue holds at most the limit or that one piece: a client that does not read is
    /// dropped once anything more would queue behind it.
    public mutating func append(_ more: some Collection<UInt8>) -> Bool {
        guard count + more.count <= limit || count == 0 else { return false }
        bytes.append(contentsOf: more)
        return true
    }

    /// One gathered send of the pending bytes followed by `more` (`body` gets both and returns
    /// how many bytes it sent across them); whatever of `more` was not sent is queued. False,
    /// with nothing queued, when that would exceed the limit.
    public mutating func send(appending more: [UInt8], _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Int) -> Bool {
        let s = start
        let pending = count
        let sent = bytes.withUnsafeBytes { queued in
            more.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: queued[s...]), $0) }
        }
        if sent >= pending {
            bytes = []
            start = 0
            return append(more[min(more.count, sent - pending)...])
        }
        start += sent
        return append(more)
    }

    /// Calls `body` with the pending bytes; it returns how many were sent.
    public mutating func drain(_ body: (UnsafeRawBufferPointer) -> Int) {
        guard !isEmpty else { return }
        let s = start
        let sent = bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[s...])) }
        start += sent
        if start == bytes.count {
            // Release the memory of a burst rather than keep it for the connection's life.
            bytes = []
            start = 0
        } else if start > 64 * 1024 && start > bytes.count / 2 {
            bytes.removeFirst(start)
            start = 0
        }
    }
}
