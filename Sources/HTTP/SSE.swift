/// Server-Sent Events framing (WHATWG HTML §9.2): `id:`, `event:`, one `data:` line per line of
/// payload, a blank line to end the event; lines starting with `:` are comments.
public enum SSE {
    /// Appends one event to `out`. CR, LF and CRLF in `data` each start a new `data:` line, so
    /// the client reassembles the payload with `\n`; in `id` and `event` they are dropped so they
    /// can never end the frame early (and an id never carries NUL, which clients ignore).
    public static func appendEvent(to out: inout [UInt8], id: String? = nil, event: String? = nil, data: some Collection<UInt8>) {
        if let id {
            out.append(contentsOf: "id: ".utf8)
            out.append(contentsOf: id.utf8.filter { $0 != 0x0d && $0 != 0x0a && $0 != 0 })
            out.append(0x0a)
        }
        if let event {
            out.append(contentsOf: "event: ".utf8)
            out.append(contentsOf: event.utf8.filter { $0 != 0x0d && $0 != 0x0a })
            out.append(0x0a)
        }
        out.append(contentsOf: "data: ".utf8)
        var previousWasCR = false
        for b in data {
            if b == 0x0a && previousWasCR { previousWasCR = false; continue }
            previousWasCR = b == 0x0d
            if b == 0x0d || b == 0x0a {
                out.append(contentsOf: "\ndata: ".utf8)
            } else {
                out.append(b)
            }
        }
        out.append(contentsOf: "\n\n".utf8)
    }

    public static func event(id: String? = nil, event: String? = nil, data: String) -> [UInt8] {
        var out: [UInt8] = []
        appendEvent(to: &out, id: id, event: event, data: data.utf8)
        return out
    }

    /// A comment line (heartbeat); newlines in `text` become separate comment lines.
    public static func comment(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: line.utf8)
            out.append(0x0a)
        }
        out.append(0x0a)
        return out
    }

    /// The reconnection delay hint.
    public static func retry(milliseconds: Int) -> [UInt8] {
        Array("retry: \(milliseconds)\n\n".utf8)
    }
}
