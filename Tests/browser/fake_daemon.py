"""A stand-in daemon for the fields procstreamd will send soon (pressure, network, disk), for
error events that name their fields, and for per-unit `units` events. The page's files (and
their headers) come from a real procstreamd; /events is a scripted stream built on that daemon's
/snapshot plus those fields.

    fake = FakeDaemon(real_daemon_url, port).start()
    fake.mode = "ok" | "meminfo-failing" | "no-psi"
    fake.units = True          # send `units` events to /events?units=... (False: a host without)
    fake.gone.add("backup.service")   # a unit that stops (remove it again to restart it)
    fake.extra = 60            # that many more idle units, for the table's "N more"
    fake.stop()

Units follow the wire format: `?units=1` all of them, `?units=a.service,b.service` only those,
sorted by cpu (busiest first, nulls last), with the same id as the tick's metrics event, and on
connect the history (two minutes of both events) comes first. In that history flaky.service is
away for 20 s and comes back; noacct.service has nulls for every figure.
"""
import http.server
import json
import math
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

MIB = 1048576

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


def wave(n, period, lo, hi):
    return lo + (hi - lo) * (0.5 + 0.5 * math.sin(2 * math.pi * n / period))


def fake_units(n, gone=(), extra=0):
    """The units of tick n: (name, slice, cpu, memory, anon, tasks, read, write, pressure) rows."""
    def unit(name, sl, cpu, mem, anon, tasks, read, write, psi=(0.0, 0.0, 0.0)):
        return {"unit": name, "slice": sl, "cpu": None if cpu is None else round(cpu, 2), "memory": mem,
                "memory_anon": anon, "tasks": tasks, "io_read": read, "io_write": write,
                "pressure": None if psi is None else {"cpu": psi[0], "memory": psi[1], "io": psi[2]}}
    w = lambda p, lo, hi: wave(n, p, lo, hi)
    units = [
        unit("nginx.service", "system.slice", w(30, 16, 30), 70 * MIB + int(w(40, 0, 8 * MIB)), 40 * MIB, 5,
             0.0, w(7, 0, 64e3), (0.4, 0.0, 0.0)),
        unit("postgresql.service", "system.slice", w(25, 5, 12), 420 * MIB + int(w(60, 0, 30 * MIB)), 380 * MIB, 9,
             w(13, 0, 2e6), w(9, 1e5, 9e5), (0.2, 0.1, 1.3)),
        unit("user@1000.service", "user.slice", w(19, 1, 4), 250 * MIB, 180 * MIB, 31, 0.0, 2048.0),
        unit("backup.service", "system.slice", w(9, 1.5, 4.5), 120 * MIB + int(w(10, 0, 20 * MIB)), 90 * MIB, 2,
             w(5, 1e6, 8e6), 0.0, (0.0, 0.0, 4.2)),
        unit("flaky.service", "system.slice", w(8, 0.5, 1.4), 18 * MIB, 12 * MIB, 1, 0.0, 0.0),
        unit("systemd-journald.service", "system.slice", w(17, 0.3, 0.9), 28 * MIB, 6 * MIB, 1, 0.0, w(6, 4e3, 40e3)),
        unit("docker-4f2ac1.scope", "system.slice", w(23, 0.1, 0.6), 640 * MIB, 600 * MIB, 14, 0.0, 0.0),
        unit("sshd.service", "system.slice", w(11, 0.02, 0.2), 6 * MIB, 2 * MIB, 1, 0.0, 0.0),
        unit("cron.service", "system.slice", 0.0, 2 * MIB, 1 * MIB, 1, 0.0, 0.0),
        unit("noacct.service", "system.slice", None, None, None, None, None, None, None),
    ]
    units += [unit("worker@%d.service" % i, "system-worker.slice", 0.01, 4 * MIB + i, 3 * MIB, 1, 0.0, 0.0)
              for i in range(extra)]
    away = set(gone) | ({"flaky.service"} if -60 <= n < -40 else set())
    units = [u for u in units if u["unit"] not in away]
    units.sort(key=lambda u: -1 if u["cpu"] is None else u["cpu"], reverse=True)  # busiest first, nulls last
    return units


class FakeDaemon:
    def __init__(self, real_url, port, interval=0.5):
        self.real = real_url.rstrip("/")
        self.port = port
        self.interval = interval
        self.mode = "ok"
        self.units = True
        self.gone = set()
        self.extra = 0
        self.latest_units = []   # names in the last units event sent, in order
        self.paths = []          # every request path (and query) the fake was asked for
        self.live_ticks = 0      # live ticks sent (after the history), on any stream
        self.running = True
        self.next_id = int(time.time() * 1000)
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.paths.append(self.path)
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

    def _event(self, n, at=None, units=None):
        """The frames of tick n in the current mode, stamped `at` (default: now); `units`: None
        (not asked for), True (all) or a set of names."""
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
        if units is not None and self.units:
            us = [u for u in fake_units(n, self.gone, self.extra) if units is True or u["unit"] in units]
            self.latest_units = [u["unit"] for u in us]
            frames.insert(1, "id: %d\nevent: units\ndata: %s\n\n"
                          % (self.next_id, json.dumps({"timestamp": d["timestamp"], "units": us})))
        return "".join(frames)

    def _stream(self, h):
        asked = urllib.parse.parse_qs(urllib.parse.urlparse(h.path).query).get("units", [None])[0]
        units = None if asked is None else True if asked == "1" else set(asked.split(",")[:64])
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Cache-Control", "no-cache")
        h.end_headers()  # HTTP/1.0: the body ends with the connection
        try:
            h.wfile.write(b"retry: 2000\n\n")
            # A backlog of two minutes, one event a second, as the real daemon's history would.
            start = time.time()
            for k in range(120, 0, -1):
                h.wfile.write(self._event(-k, start - k, units).encode())
            n = 0
            while self.running:
                h.wfile.write(self._event(n, None, units).encode())
                h.wfile.flush()
                n += 1
                self.live_ticks += 1
                time.sleep(self.interval)
        except (BrokenPipeError, ConnectionResetError, urllib.error.URLError):
            pass
