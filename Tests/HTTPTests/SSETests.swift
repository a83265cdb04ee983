import Testing
@testable import HTTP

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

@Suite struct SSETests {
    @Test func eventWithIdAndName() {
        #expect(text(SSE.event(id: "7", event: "metrics", data: "{\"a\":1}")) == "id: 7\nevent: metrics\ndata: {\"a\":1}\n\n")
    }

    @Test func dataOnly() {
        #expect(text(SSE.event(data: "x")) == "data: x\n\n")
    }

    @Test func multiLineDataSplitsOnEveryLineEnding() {
        #expect(text(SSE.event(data: "a\nb\r\nc\rd")) == "data: a\ndata: b\ndata: c\ndata: d\n\n")
        #expect(text(SSE.event(data: "")) == "data: \n\n")
        #expect(text(SSE.event(data: "end\n")) == "data: end\ndata: \n\n")
    }

    @Test func idAndEventCannotBreakTheFrame() {
        #expect(text(SSE.event(id: "1\n\ndata: evil", event: "a\rb", data: "x")) == "id: 1data: evil\nevent: ab\ndata: x\n\n")
        #expect(text(SSE.event(id: "a\u{0}b", data: "x")) == "id: ab\ndata: x\n\n")
    }

    @Test func comments() {
        #expect(text(SSE.comment("keepalive")) == ": keepalive\n\n")
        #expect(text(SSE.comment("two\nlines")) == ": two\n: lines\n\n")
    }

    @Test func retry() {
        #expect(text(SSE.retry(milliseconds: 2000)) == "retry: 2000\n\n")
    }
}

@Suite struct ResponseTests {
    @Test func fullResponse() {
        let r = text(Response.full(.ok, contentType: "application/json", body: Array("{}".utf8), keepAlive: true))
        #expect(r == "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nCache-Control: no-store\r\nConnection: keep-alive\r\n\r\n{}")
    }

    @Test func headOnlyKeepsLengthDropsBody() {
        let r = text(Response.full(.ok, body: Array("hello".utf8), keepAlive: false, headOnly: true))
        #expect(r.hasSuffix("Content-Length: 5\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"))
    }

    @Test func errorHasReasonAndExtraHeaders() {
        let r = text(Response.error(.methodNotAllowed, "no", headers: [("Allow", "GET")]))
        #expect(r.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
        #expect(r.contains("\r\nAllow: GET\r\n"))
        #expect(r.contains("Connection: close"))
    }

    @Test func headerValuesCannotInjectLines() {
        let r = text(Response.error(.notFound, "x", headers: [("X", "a\r\nSet-Cookie: evil")]))
        #expect(r.contains("X: aSet-Cookie: evil\r\n"))
    }

    @Test func eventStreamHead() {
        let r = text(Response.eventStreamHead(chunked: true))
        #expect(r == "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\nX-Accel-Buffering: no\r\n\r\n")
        let r10 = text(Response.eventStreamHead(chunked: false))
        #expect(r10 == "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\nX-Accel-Buffering: no\r\n\r\n")
    }
}

@Suite struct ChunkedTests {
    @Test func oneChunkPerFrameWithItsSizeInHex() {
        #expect(text(Chunked.frame(Array("hello".utf8))) == "5\r\nhello\r\n")
        #expect(text(Chunked.frame([UInt8](repeating: 0x61, count: 26))) == "1a\r\n" + String(repeating: "a", count: 26) + "\r\n")
        #expect(Chunked.frame([]).isEmpty)   // an empty chunk would end the body
        #expect(text(Chunked.last) == "0\r\n\r\n")
    }

    @Test func streamBytesCarryBothFramings() {
        let e = StreamBytes(SSE.event(id: "7", event: "metrics", data: "{}"))
        #expect(text(e.bytes(chunked: false)) == "id: 7\nevent: metrics\ndata: {}\n\n")
        #expect(text(e.bytes(chunked: true)) == "1f\r\nid: 7\nevent: metrics\ndata: {}\n\n\r\n")
        #expect((e + StreamBytes(Array("x".utf8))).chunk == Chunked.frame(e.plain + Array("x".utf8)))
    }

    @Test func eventStreamHeads() {
        let v11 = text(Response.eventStreamHead(chunked: true))
        #expect(v11.hasPrefix("HTTP/1.1 200 OK\r\n") && v11.hasSuffix("\r\n\r\n"))
        #expect(v11.contains("\r\nTransfer-Encoding: chunked\r\n") && v11.contains("\r\nConnection: keep-alive\r\n"))
        let v10 = text(Response.eventStreamHead(chunked: false))
        #expect(!v10.contains("Transfer-Encoding") && !v10.contains("keep-alive"))
        #expect(v10.contains("\r\nConnection: close\r\n"))
    }
}
