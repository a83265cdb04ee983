#!/usr/bin/env python3
"""Interop suite: the real procstreamd against SSE clients nobody here wrote, a reconnect
through a proxy we can cut, and nginx configured from the README. Only 127.0.0.1.

Usage: interop.py PROCSTREAMD  (run by run.sh, with the pinned libraries importable).
Prints PASS/FAIL lines and, last, 'N passed, M failed'; exits 1 if anything failed.
"""
import json
import os
import socket
import sys
import threading
import time

import nginx_test
from common import (HERE, WAIT, WANT, Client, Daemon, RawStream, check, check_stream, metrics,
                    node_env, python_cmd, results, snapshot_time, started_at)

NODE_CLIENT = ["node", os.path.join(HERE, "eventsource_client.js")]


def framing(binary):
    """Our own socket, straight to the daemon: how each HTTP version's stream is framed."""
    for version in ("HTTP/1.1", "HTTP/1.0"):
        with Daemon(binary) as d:
            raw = RawStream(d.port, version=version)
            try:
                te, cl, conn = raw.header("Transfer-Encoding"), raw.header("Content-Length"), raw.header("Connection")
                detail = f"{raw.status!r}, Transfer-Encoding {te!r}, Content-Length {cl!r}, Connection {conn!r}"
                if version == "HTTP/1.1":
                    check("raw HTTP/1.1 /events: 200 and chunked (Transfer-Encoding: chunked, no Content-Length)",
                          raw.status.split()[1:2] == ["200"] and raw.chunked and not cl, detail)
                else:
                    check("raw HTTP/1.0 /events: 200, close-delimited (not chunked, Connection: close)",
                          raw.status.split()[1:2] == ["200"] and not raw.chunked and not cl and conn.lower() == "close", detail)
                check_stream(f"raw {version}", raw.start, raw.read_events())
            finally:
                raw.close()


def library(binary, name, cmd, env=None):
    """A fresh daemon, one library subscribed to /events?history=1 (the latest snapshot, then live)."""
    with Daemon(binary) as d:
        client = Client(cmd + [d.url()], env=env)
        try:
            client.wait_for(lambda r: len(metrics(r)) >= WANT)
        finally:
            client.stop()
        events = metrics(client.records)
        if len(events) < WANT:
            print(f"     {name} said: {client.why() or 'nothing'}", flush=True)
        check_stream(name, started_at(client.records), events)


class CuttableProxy:
    """A TCP proxy on 127.0.0.1 in front of the daemon. Keeps each request head it forwards
    (with its arrival time); cut() drops every open connection at once."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.requests = []   # (wall time accepted, request head)
        self.sockets = []
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while self.running:
            try:
                client, _ = self.listener.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self._serve, args=(client, time.time()), daemon=True).start()

    def _serve(self, client, accepted):
        client.settimeout(WAIT)
        head = b""
        try:
            while b"\r\n\r\n" not in head:
                data = client.recv(4096)
                if not data:
                    client.close()
                    return
                head += data
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=WAIT)
        except OSError:
            client.close()
            return
        client.settimeout(None)
        upstream.settimeout(None)
        self.requests.append((accepted, head.decode("latin-1")))
        self.sockets += [client, upstream]
        upstream.sendall(head)
        back = threading.Thread(target=self._pump, args=(upstream, client), daemon=True)
        back.start()
        self._pump(client, upstream)
        back.join()
        client.close()
        upstream.close()

    @staticmethod
    def _pump(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.sockets = []

    def close(self):
        self.running = False
        self.cut()
        self.listener.close()


def last_event_id(head):
    for line in head.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == "last-event-id":
            return v.strip()
    return None


def reconnect(binary):
    """node eventsource through the proxy: 3 events, cut, it reconnects by itself after the
    server's retry (2 s, so about 4 ticks are missed), and must get exactly the missed ids."""
    name = "reconnect (node eventsource via a cut proxy)"
    with Daemon(binary) as d:
        proxy = CuttableProxy(d.port)
        client = Client(NODE_CLIENT + [f"http://127.0.0.1:{proxy.port}/events?history=1"], env=node_env())
        try:
            before_ok = client.wait_for(lambda r: len(metrics(r)) >= 3)
            proxy.cut()

            def after(records):
                """Metrics records after the client noticed the cut (its error callback)."""
                cut_at = next((i for i, r in enumerate(records) if "error" in r), None)
                return [] if cut_at is None else metrics(records[cut_at:])

            def live_after_reconnect(records):
                if len(proxy.requests) < 2:
                    return []
                again = proxy.requests[1][0]
                return [e for e in after(records) if snapshot_time(json.loads(e["data"])) > again]
            client.wait_for(lambda r: len(live_after_reconnect(r)) >= 2, timeout=WAIT)
        finally:
            client.stop()
            proxy.close()
        records = list(client.records)

    cut_index = next((i for i, r in enumerate(records) if "error" in r), len(records))
    before, later = metrics(records[:cut_index]), metrics(records[cut_index:])
    check(f"{name}: 3 events through the proxy before the cut", before_ok and len(before) >= 3,
          f"got {len(before)}" + ("" if before else f"; {client.why()}"))
    last = before[-1]["id"] if before else None
    check(f"{name}: reconnected through the proxy by itself", len(proxy.requests) >= 2 and later,
          f"{len(proxy.requests)} requests seen, {len(later)} events after the cut")
    sent = last_event_id(proxy.requests[1][1]) if len(proxy.requests) >= 2 else None
    check(f"{name}: the reconnect request carried Last-Event-ID: <last id seen>",
          last is not None and sent == last, f"sent {sent!r}, last seen {last!r}")
    ids = [int(e["id"]) for e in later]
    ok = bool(ids) and last is not None and ids[0] == int(last) + 1 and ids == list(range(ids[0], ids[0] + len(ids)))
    check(f"{name}: after it, the next id and on, no gap, no duplicate", ok,
          f"last before {last}, after {ids}")
    if len(proxy.requests) >= 2:
        again = proxy.requests[1][0]
        missed = [e["id"] for e in later if snapshot_time(json.loads(e["data"])) < again]
        live = len(later) - len(missed)
    else:
        missed, live = [], 0
    check(f"{name}: events taken during the gap were replayed, then live ones followed",
          len(missed) >= 1 and live >= 2, f"{len(missed)} replayed {missed}, {live} live")


def main():
    binary = os.path.abspath(sys.argv[1])
    suites = [("framing", lambda: framing(binary))]
    for lib in ("sseclient-requests", "sseclient-urllib3", "requests-sse", "httpx-sse"):
        suites.append((lib, lambda lib=lib: library(binary, lib, python_cmd(lib))))
    suites.append(("eventsource", lambda: library(binary, "node eventsource", NODE_CLIENT, env=node_env())))
    suites.append(("reconnect", lambda: reconnect(binary)))
    suites.append(("nginx", lambda: nginx_test.run(binary)))
    t0 = time.monotonic()
    for name, suite in suites:
        print(f"--- {name}", flush=True)
        try:
            suite()
        except Exception as ex:  # a suite that could not run is a failure, not a crash
            check(f"{name}: suite ran", False, f"{type(ex).__name__}: {ex}")
    print(f"(interop suite took {time.monotonic() - t0:.1f} s)")
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed", flush=True)
    return 0 if passed == len(results) and results else 1


if __name__ == "__main__":
    sys.exit(main())
