"""A stand-in daemon for the fields procstreamd will send soon (pressure, network, disk) and for
error events that name their fields. The page's files (and their headers) come from a real
procstreamd; /events is a scripted stream built on that daemon's /snapshot plus those fields.

    fake = FakeDaemon(real_daemon_url, port).start()
    fake.mode = "ok" | "meminfo-failing" | "no-psi"
    fake.stop()
"""
import http.server
import json
import math
import threading
import time
import urllib.error
import urllib.request

PASS_HEADERS = ("Content-Type", "Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
                "Cache-Control")


def future_fields(n, psi=True):
    """The new sources' fields at tick n: smooth waves, so charts have something to show."""
    w = lambda period, lo, hi: lo + (hi - lo) * (0.5 + 0.5 * math.sin(2 * math.pi * n / period))
    rx, tx = w(20, 20e3, 180e3), w(13, 4e3, 30e3)
    read, write = w(17, 0, 2e6), w(11, 40e3, 600e3)
    return {
        "pressure": {"cpu": {"some": round(w(15, 0.2, 3.0), 2), "full": None},
                     "memory": {"some": round(w(23, 0, 0.6), 2), "full": round(w(23, 0, 0.2), 2)},
                     "io": {"some": round(w(9, 0.05, 1.2), 2), "full": round(w(9, 0, 0.4), 2)}} if psi else None,
        "network": {"rx": rx, "tx": tx, "interfaces": {"eth0": {"rx": rx - 300, "tx": tx - 100},
                                                       "lo": {"rx": 300.0, "tx": 100.0}}},
        "disk": {"read": read, "write": write,
                 "devices": {"vda": {"read": read, "write": write, "reads": round(read / 65536, 1),
                                     "writes": round(write / 4096, 1)}}},
    }


class FakeDaemon:
    def __init__(self, real_url, port, interval=0.5):
        self.real = real_url.rstrip("/")
        self.port = port
        self.interval = interval
        self.mode = "ok"
        self.running = True
        self.next_id = int(time.time() * 1000)
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path.split("?")[0] == "/events":
                    fake._stream(self)
                else:
                    fake._proxy(self)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.running = False
        self.server.shutdown()
        self.server.server_close()

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def _proxy(self, h):
        try:
            r = urllib.request.urlopen(self.real + h.path, timeout=5)
        except urllib.error.HTTPError as e:
            r = e
        body = r.read()
        h.send_response(r.status)
        for name in PASS_HEADERS:
            if r.headers.get(name):
                h.send_header(name, r.headers[name])
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _event(self, n, at=None):
        """The frames of tick n in the current mode, stamped `at` (default: now)."""
        with urllib.request.urlopen(self.real + "/snapshot", timeout=5) as r:
            d = json.loads(r.read())
        at = time.time() if at is None else at
        d["timestamp"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + ".%03dZ" % (int(at * 1000) % 1000)
        d.update(future_fields(n, psi=self.mode != "no-psi"))
        frames = []
        if self.mode == "meminfo-failing":
            d["memory"] = d["memory_total"] = None
            frames.append("event: error\ndata: %s\n\n" % json.dumps({
                "source": "meminfo", "message": "open(/proc/meminfo): No such file or directory (errno 2)",
                "fields": ["memory", "memory_total"]}))
        self.next_id += 1
        frames.insert(0, "id: %d\nevent: metrics\ndata: %s\n\n" % (self.next_id, json.dumps(d)))
        return "".join(frames)

    def _stream(self, h):
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Cache-Control", "no-cache")
        h.end_headers()  # HTTP/1.0: the body ends with the connection
        try:
            h.wfile.write(b"retry: 2000\n\n")
            # A backlog of two minutes, one event a second, as the real daemon's history would.
            start = time.time()
            for k in range(120, 0, -1):
                h.wfile.write(self._event(-k, start - k).encode())
            n = 0
            while self.running:
                h.wfile.write(self._event(n).encode())
                h.wfile.flush()
                n += 1
                time.sleep(self.interval)
        except (BrokenPipeError, ConnectionResetError, urllib.error.URLError):
            pass
