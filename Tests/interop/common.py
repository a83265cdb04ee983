"""Shared pieces of the interop suite: PASS/FAIL bookkeeping, the daemon, client processes,
the stream checks, and a raw-socket SSE reader. Python standard library only."""
import datetime
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
INTERVAL = 0.5      # the daemon's --interval in every test
WAIT = 10.0         # the bound on every wait for events
WANT = 4            # events per stream: the latest snapshot (history=1) and three live ones
results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print(("PASS " if ok else "FAIL ") + name + (": " + detail if detail else ""), flush=True)
    return ok


def stop(proc, sig=signal.SIGTERM):
    """Stop one process we started, by its PID: SIGTERM, then SIGKILL after 3 s."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.kill(proc.pid, sig)
        proc.wait(3)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


class Daemon:
    """procstreamd on an ephemeral loopback port; returns once it logged ' ready: '."""

    def __init__(self, binary, *args):
        self.proc = subprocess.Popen([binary, "--listen", "127.0.0.1:0", "--interval", str(INTERVAL), *args],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.lines, self.port, ready = [], None, threading.Event()

        def collect():
            for line in self.proc.stderr:
                self.lines.append(line)
                m = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
                if m:
                    self.port = int(m.group(1))
                if " ready: " in line:
                    ready.set()
            ready.set()  # exited: stop waiting
        threading.Thread(target=collect, daemon=True).start()
        if not ready.wait(WAIT) or self.port is None or self.proc.poll() is not None:
            self.stop()
            raise RuntimeError("procstreamd did not get ready: " + "".join(self.lines))

    def url(self, path="/events?history=1"):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        stop(self.proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Client:
    """A client process that prints one JSON object a line, each with its wall-clock time `t`:
    {"start": true} before it connects, then {"id", "event", "data"} per event, and
    {"error": ...} or {"open": true} as its library reports them."""

    def __init__(self, cmd, env=None):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.records, self.stderr = [], []
        self.changed = threading.Condition()

        def collect(stream, sink, parse):
            for line in stream:
                with self.changed:
                    sink.append(parse(line))
                    self.changed.notify_all()
        threading.Thread(target=collect, args=(self.proc.stdout, self.records, self._parse), daemon=True).start()
        threading.Thread(target=collect, args=(self.proc.stderr, self.stderr, str.rstrip), daemon=True).start()

    @staticmethod
    def _parse(line):
        try:
            return json.loads(line)
        except ValueError:
            return {"noise": line.rstrip()}

    def events(self):
        return [r for r in self.records if "event" in r]

    def wait_for(self, done, timeout=WAIT):
        """Wait until done(records) or timeout; True if done."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not done(self.records):
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return done(self.records)
                self.changed.wait(min(left, 0.2))
            return True

    def stop(self):
        stop(self.proc)

    def why(self):
        tail = [r for r in self.records if "event" not in r][-3:] + self.stderr[-3:]
        return "; ".join(map(str, tail))[:400]


def started_at(records):
    return next((r["t"] for r in records if r.get("start")), None)


def metrics(records):
    return [r for r in records if r.get("event") == "metrics"]


def snapshot_time(data):
    return datetime.datetime.fromisoformat(data["timestamp"]).timestamp()


def check_stream(name, start, events, want=WANT):
    """The three checks every stream gets. events: [{"t", "id", "event", "data"}] in arrival
    order (metrics only), start: wall time just before connecting."""
    got = len(events)
    check(f"{name}: {want} metrics events within {WAIT:.0f} s", got >= want, f"got {got}")
    events = events[:want]

    problems = []
    parsed = []
    for e in events:
        try:
            d = json.loads(e["data"])
            if not isinstance(d.get("cpu"), (int, float)) or not isinstance(d.get("timestamp"), str):
                problems.append(f"id {e['id']}: cpu/timestamp missing")
            parsed.append(d)
        except (ValueError, TypeError) as ex:
            problems.append(f"id {e['id']}: bad JSON ({ex})")
    ids = [int(e["id"]) if str(e.get("id", "")).isdigit() else None for e in events]
    if None in ids or any(b != a + 1 for a, b in zip(ids, ids[1:])):
        problems.append(f"ids not consecutive: {ids}")
    detail = "; ".join(problems) or (f"ids {ids[0]}..{ids[-1]}" if ids else "no events")
    check(f"{name}: JSON with numeric cpu and a timestamp, consecutive ids", got >= want and not problems, detail)

    # One by one: the latest snapshot (taken up to an interval ago) at once, then each live
    # event about one interval after the previous live one, and each within a fraction of an
    # interval of when it was taken. A burst at the end fails the gaps; a client that holds
    # an event back until later bytes push it out fails the lag.
    times = [e["t"] for e in events]
    first = times[0] - start if times and start else None
    gaps = [round(b - a, 2) for a, b in zip(times[1:], times[2:])]
    lags = []
    for e, d in zip(events[1:], parsed[1:]):
        try:
            lags.append(round(e["t"] - snapshot_time(d), 2))
        except (KeyError, ValueError, TypeError):
            lags.append(None)
    ok = (got >= want and first is not None and first <= 1.5
          and all(0.4 * INTERVAL <= g <= 2 * INTERVAL for g in gaps)
          and all(x is not None and x <= 0.6 * INTERVAL for x in lags))
    detail = (f"first after {first:.2f} s, gaps between live ones {gaps} s, each live one behind its snapshot by {lags} s"
              if first is not None else "nothing arrived")
    check(f"{name}: events arrive one by one as sent", ok, detail)


# ---- a raw-socket SSE reader (ours, no library): HTTP/1.x head, chunked or not, SSE lines ----

class RawStream:
    """GET a stream over a plain socket and parse it; framing details are kept for checks."""

    def __init__(self, port, path="/events?history=1", version="HTTP/1.1", extra=""):
        self.start = time.time()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.sock.sendall(f"GET {path} {version}\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n".encode())
        self.buf = b""
        self.head = b""
        self.events = []
        self.chunks = []       # sizes of the HTTP chunks, when chunked
        self.closed = False
        while b"\r\n\r\n" not in self.buf and self._recv():
            pass
        self.head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        lines = self.head.decode("latin-1").split("\r\n")
        self.status = lines[0]
        self.headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            self.headers.setdefault(k.strip().lower(), []).append(v.strip())
        self.chunked = "chunked" in ",".join(self.headers.get("transfer-encoding", [])).lower()
        self.body = b""        # de-framed body not yet parsed as SSE
        self.fields = {}

    def header(self, name):
        return ",".join(self.headers.get(name.lower(), []))

    def _recv(self, timeout=WAIT):
        ready, _, _ = select.select([self.sock], [], [], timeout)
        if not ready:
            return False
        data = self.sock.recv(65536)
        if not data:
            self.closed = True
            return False
        self.buf += data
        return True

    def _deframe(self):
        if not self.chunked:
            self.body += self.buf
            self.buf = b""
            return
        while b"\r\n" in self.buf:
            size_line, _, rest = self.buf.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if len(rest) < size + 2:
                return
            if rest[size:size + 2] != b"\r\n":
                raise ValueError("chunk not followed by CRLF")
            self.chunks.append(size)
            self.body += rest[:size]
            self.buf = rest[size + 2:]

    def _parse_sse(self, now):
        while True:
            m = re.search(rb"\r\n|\r|\n", self.body)
            if not m or (m.group() == b"\r" and m.end() == len(self.body)):
                return
            line, self.body = self.body[:m.start()].decode(), self.body[m.end():]
            if line == "":
                if "data" in self.fields:
                    self.events.append({"t": now, "id": self.fields.get("id"),
                                        "event": self.fields.get("event", "message"),
                                        "data": "\n".join(self.fields["data"])})
                self.fields = {}
            elif not line.startswith(":"):
                k, _, v = line.partition(":")
                v = v[1:] if v.startswith(" ") else v
                if k == "data":
                    self.fields.setdefault("data", []).append(v)
                else:
                    self.fields[k] = v

    def read_events(self, want=WANT, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while True:
            self._deframe()
            self._parse_sse(time.time())
            if len(metrics(self.events)) >= want or self.closed:
                break
            left = deadline - time.monotonic()
            if left <= 0 or not self._recv(left):
                break
        return metrics(self.events)

    def close(self):
        self.sock.close()


def python_cmd(*args):
    return [sys.executable, os.path.join(HERE, "sse_clients.py"), *args]


def node_env():
    env = dict(os.environ)
    env["NODE_PATH"] = os.pathsep.join(p for p in ["/usr/share/nodejs", env.get("NODE_PATH", "")] if p)
    return env
