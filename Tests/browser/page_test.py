#!/usr/bin/python3
"""Browser test for procstreamd's live page, against the real daemon in headless Chromium.

Usage: /usr/bin/python3 Tests/browser/page_test.py [DAEMON [OUTDIR]]
  DAEMON  the procstreamd binary (default: .build/debug/procstreamd under the repo root)
  OUTDIR  where screenshots and daemon logs go (default: a new temp dir)

Needs chromium, chromedriver and python3-selenium (Debian: apt-get install -y chromium
chromium-driver python3-selenium). Prints one "PASS name" / "FAIL name: why" line per check,
then "N passed, M failed"; exits 0 only if nothing failed.

Phases:
  live     start the daemon, open the page, check values, charts, cores, console, screenshot
  restart  SIGTERM the daemon, start a new one on the same port; the page reconnects by itself
  errors   a second daemon with --proc-root; delete meminfo, check the error banner, restore it
  network  every request the page made went to one of our 127.0.0.1 daemons (or data:)
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INTERVAL = "0.5"
TOTAL_TIMEOUT = 90  # hard watchdog for the whole run, seconds

results = []         # (ok, name, why)
requests_seen = []   # every request URL the page made (from the performance log)
ports_used = set()   # daemon ports the page may talk to
daemons = []         # every daemon started, so that all get stopped
MARKER = "page-test-%d" % os.getpid()  # set on the page at load; gone if the page reloads


class Watchdog(BaseException):
    """Raised by SIGALRM when the whole run takes too long; not caught by `except Exception`."""


# ---------- reporting ----------

def check(name, ok, why=""):
    results.append((bool(ok), name, why))
    print(("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, why or "check failed")), flush=True)
    return bool(ok)


def wait_for(fn, timeout, step=0.1):
    """Polls fn until it returns something truthy or timeout seconds pass; returns the last value."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = fn()
        except Exception:  # a transient JS/driver error counts as "not yet"
            last = None
        if last:
            return last
        if time.monotonic() >= deadline:
            return last
        time.sleep(step)


# ---------- daemon ----------

def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Daemon:
    """One procstreamd process; started and stopped by PID."""

    def __init__(self, binary, port, outdir, name, extra=()):
        self.port = port
        self.name = name
        self.lines = []
        self.saw_ready = False
        self.ready = threading.Event()  # set on the "ready" line or when stderr closes
        self.log = open(os.path.join(outdir, "%s.log" % name), "a")
        cmd = [binary, "--listen", "127.0.0.1:%d" % port, "--interval", INTERVAL] + list(extra)
        self.log.write("$ %s\n" % " ".join(cmd))
        self.log.flush()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.PIPE, text=True)
        daemons.append(self)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        ports_used.add(port)

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))
            if not self.log.closed:
                self.log.write(line)
                self.log.flush()
            if re.search(r"\bready\b", line):
                self.saw_ready = True
                self.ready.set()
        self.ready.set()  # EOF: the daemon exited; wait_ready() tells the two apart

    def wait_ready(self, timeout=10):
        self.ready.wait(timeout)
        if not self.saw_ready or self.proc.poll() is not None:
            raise RuntimeError("%s did not log ready within %ss (exit status %s): %s"
                               % (self.name, timeout, self.proc.poll(), " | ".join(self.lines[-5:])))
        return self

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def stop(self, timeout=5):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        self.reader.join(timeout)  # stderr is at EOF once the process is gone
        if not self.log.closed:
            self.log.close()
        return self.proc.returncode


def snapshot(daemon):
    with urllib.request.urlopen(daemon.url("/snapshot"), timeout=5) as r:
        return json.loads(r.read())


# ---------- browser ----------

def start_browser():
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--window-size=1280,900", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-extensions"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    drv = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    d = webdriver.Chrome(service=Service(drv), options=opts)
    d.set_page_load_timeout(15)
    d.set_script_timeout(10)
    d.execute_cdp_cmd("Network.enable", {})
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    d.execute_cdp_cmd("Emulation.setEmulatedMedia",
                      {"features": [{"name": "prefers-color-scheme", "value": "light"}]})
    return d


def js(d, code):
    return d.execute_script(code)


def text(d, el_id):
    return d.execute_script("var e = document.getElementById(arguments[0]); return e ? e.textContent : null;", el_id)


def events(d):
    return int(js(d, "return document.body.dataset.events || '0'"))


def chart_points(d):
    """{metric: data-points or 0} for every canvas.chart."""
    pairs = js(d, "return Array.from(document.querySelectorAll('canvas.chart'))"
                  ".map(c => [c.dataset.metric, c.dataset.points || '0'])")
    return {m: int(p) for m, p in pairs}


def drain_logs(d):
    """Returns new console entries; records request URLs from the performance log."""
    for e in d.get_log("performance"):
        try:
            msg = json.loads(e["message"])["message"]
        except (KeyError, ValueError):
            continue
        if msg.get("method") == "Network.requestWillBeSent":
            requests_seen.append(msg["params"]["request"]["url"])
        elif msg.get("method") == "Network.webSocketCreated":
            requests_seen.append(msg["params"]["url"])
    entries = d.get_log("browser")
    for e in entries:
        print("     console %s %s" % (e.get("level"), e.get("message", "")[:200]))
    return entries


def severe(entries):
    return [e.get("message", "") for e in entries if e.get("level") == "SEVERE"]


def screenshot(d, outdir, name):
    n = events(d)
    wait_for(lambda: events(d) > n, 3)  # one more event: the page has redrawn at this size
    path = os.path.join(outdir, name)
    d.save_screenshot(path)
    print("     screenshot %s" % path, flush=True)
    return path


# ---------- phases ----------

def phase_live(d, daemon, outdir):
    snap = snapshot(daemon)
    t0 = time.monotonic()
    d.get(daemon.url("/"))
    d.execute_script("window.__pageTestMarker = arguments[0];", MARKER)
    live = wait_for(lambda: text(d, "state") == "live", 8)
    check("live: #state becomes live", live,
          "state %r, status %r after %.1fs" % (text(d, "state"), text(d, "status"), time.monotonic() - t0))
    check("live: host shown", text(d, "host") == snap["host"],
          "#host %r, daemon host %r" % (text(d, "host"), snap["host"]))
    check("live: version shown", snap["version"] in (text(d, "version") or ""),
          "#version %r, daemon version %r" % (text(d, "version"), snap["version"]))

    ids = ["uptime", "updated", "cpu", "memory-used", "threads", "load"]
    vals0 = {i: text(d, i) for i in ids}
    ev0, pts0 = events(d), chart_points(d)
    time.sleep(3)
    vals1 = {i: text(d, i) for i in ids}
    ev1, pts1 = events(d), chart_points(d)
    check("live: events keep arriving", ev1 >= ev0 + 3, "body.dataset.events %d -> %d in 3 s" % (ev0, ev1))
    changed = [i for i in ids if vals0[i] != vals1[i]]
    check("live: value texts change", changed, "unchanged over 3 s: %s" % vals1)
    check("live: cpu chart grows", pts1.get("cpu", 0) > pts0.get("cpu", 0),
          "cpu data-points %s -> %s" % (pts0.get("cpu"), pts1.get("cpu")))
    check("live: a canvas.chart has data-points >= 1", pts1 and max(pts1.values()) >= 1, "charts: %s" % pts1)
    check("live: every chart drew points", pts1 and min(pts1.values()) >= 1, "charts: %s" % pts1)
    for i in ("cpu", "memory-used", "threads", "load", "connections"):
        check("live: #%s shows a value" % i, text(d, i) not in (None, "", "—"), "#%s is %r" % (i, text(d, i)))

    ncores = len(snap.get("cpu_cores") or {})
    tiles = js(d, "return document.querySelectorAll('#cores .core').length")
    sparks = js(d, "return document.querySelectorAll('#cores canvas[data-points]').length")
    check("live: per-core tiles exist", ncores >= 1 and tiles == ncores,
          "%d tiles, daemon reports %d cores" % (tiles, ncores))
    labels = js(d, "return Array.from(document.querySelectorAll('#cores .core .name')).map(e => e.textContent)")
    check("live: cores are labelled by the kernel's CPU id", labels == list((snap.get("cpu_cores") or {}).keys()),
          "%s vs %s" % (labels, list((snap.get("cpu_cores") or {}).keys())))
    check("live: per-core sparklines drawn", sparks == tiles and sparks >= 1, "%d of %d drawn" % (sparks, tiles))

    wait_for(lambda: chart_points(d).get("cpu", 0) >= 8, 6)  # a bit more history for the picture
    screenshot(d, outdir, "live.png")
    bad = severe(drain_logs(d))
    check("live: no console errors while the daemon is up", not bad, "; ".join(bad)[:500])


def phase_restart(d, daemon, binary, outdir):
    console = drain_logs(d)
    tries0 = sum(1 for u in requests_seen if u.endswith("/events"))
    rc = daemon.stop()
    check("restart: daemon stopped on SIGTERM", rc == 0, "exit status %s" % rc)
    down = wait_for(lambda: text(d, "state") in ("reconnecting", "stopped"), 6)
    check("restart: #state shows reconnecting/stopped", down,
          "state %r, status %r" % (text(d, "state"), text(d, "status")))
    ev_down = events(d)
    upd_down = text(d, "updated")

    def retried():  # the page tried /events again while nothing listens on the port
        console.extend(drain_logs(d))
        return sum(1 for u in requests_seen if u.endswith("/events")) > tries0
    check("restart: page retries while the daemon is down", wait_for(retried, 8, 0.25),
          "no new /events request within 8 s")
    st, status = text(d, "state"), text(d, "status")
    print("     while down: #state %r, #status %r" % (st, status))
    check("restart: still not live while the daemon is down", st != "live", "state %r" % st)

    Daemon(binary, daemon.port, outdir, "daemon-2").wait_ready()
    t0 = time.monotonic()
    live = wait_for(lambda: text(d, "state") == "live", 15)
    check("restart: #state live again on the same port", live,
          "state %r, status %r after %.1fs" % (text(d, "state"), text(d, "status"), time.monotonic() - t0))
    more = wait_for(lambda: events(d) >= ev_down + 3, 5)
    check("restart: events increase again", more, "events %d -> %d" % (ev_down, events(d)))
    newer = wait_for(lambda: text(d, "updated") != upd_down, 4)
    check("restart: new daemon's events are shown", newer, "#updated stuck at %r" % upd_down)

    nav = js(d, "return performance.getEntriesByType('navigation').map(e => e.type)")
    check("restart: no page reload (1 navigation entry)", nav == ["navigate"], "navigation entries: %s" % nav)
    marker = js(d, "return window.__pageTestMarker || null")
    check("restart: no page reload (marker kept)", marker == MARKER, "marker %r, expected %r" % (marker, MARKER))
    screenshot(d, outdir, "after-restart.png")
    # Refused connections while the daemon was down are expected; anything else is not.
    expected = ("ERR_CONNECTION_REFUSED", "ERR_CONNECTION_RESET", "ERR_EMPTY_RESPONSE",
                "ERR_INCOMPLETE_CHUNKED_ENCODING")
    bad = [m for m in severe(console + drain_logs(d)) if not any(x in m for x in expected)]
    check("restart: only connection errors in the console", not bad, "; ".join(bad)[:500])


def phase_errors(d, binary, outdir):
    root = tempfile.mkdtemp(prefix="procroot-", dir=outdir)
    os.mkdir(os.path.join(root, "net"))
    for f in ("stat", "meminfo", "loadavg", "uptime", "net/tcp", "net/tcp6"):
        with open("/proc/" + f, "rb") as src, open(os.path.join(root, f), "wb") as dst:
            dst.write(src.read())
    meminfo = os.path.join(root, "meminfo")
    saved = open(meminfo, "rb").read()
    daemon = Daemon(binary, free_port(), outdir, "daemon-procroot", ["--proc-root", root]).wait_ready()
    try:
        d.get(daemon.url("/"))
        check("errors: page live against --proc-root daemon", wait_for(lambda: text(d, "state") == "live", 8),
              "state %r" % text(d, "state"))
        check("errors: banner hidden while all sources work",
              js(d, "return document.getElementById('errors').hidden"), "#errors: %r" % text(d, "errors"))
        os.unlink(meminfo)
        shown = wait_for(lambda: js(d, "var e = document.getElementById('errors');"
                                       "return e.hidden ? '' : e.textContent"), 5)
        check("errors: banner shows the failing meminfo source", shown and "meminfo" in shown,
              "#errors: %r" % (shown or "hidden"))
        check("errors: memory shown as unavailable", wait_for(lambda: text(d, "memory-used") == "—", 3),
              "#memory-used %r" % text(d, "memory-used"))
        screenshot(d, outdir, "errors.png")
        tmp = meminfo + ".new"
        with open(tmp, "wb") as f:
            f.write(saved)
        os.replace(tmp, meminfo)
        cleared = wait_for(lambda: js(d, "return document.getElementById('errors').hidden"), 8)
        check("errors: banner clears after meminfo is back", cleared, "#errors: %r" % text(d, "errors"))
        check("errors: memory value back", wait_for(lambda: text(d, "memory-used") not in (None, "—"), 3),
              "#memory-used %r" % text(d, "memory-used"))
        bad = severe(drain_logs(d))
        check("errors: no console errors", not bad, "; ".join(bad)[:500])
    finally:
        daemon.stop()
        shutil.rmtree(root, ignore_errors=True)


def phase_network(d):
    drain_logs(d)
    urls = sorted(set(requests_seen))
    print("     %d requests, %d distinct URLs: %s" % (len(requests_seen), len(urls), " ".join(urls)[:400]))
    ok_prefixes = tuple("http://127.0.0.1:%d/" % p for p in ports_used)
    outside = [u for u in urls if not (u.startswith(ok_prefixes) or u.startswith("data:"))]
    check("network: requests were recorded", any(u.endswith("/events") for u in urls)
          and any(urllib.parse.urlparse(u).path == "/" for u in urls), "recorded: %s" % urls)
    check("network: no request leaves 127.0.0.1", not outside, "outside: %s" % outside)


# ---------- main ----------

def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, ".build/debug/procstreamd")
    binary = os.path.abspath(binary)
    outdir = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="procstream-page-")
    os.makedirs(outdir, exist_ok=True)
    print("     daemon %s, output in %s" % (binary, outdir), flush=True)

    def watchdog(signum, frame):
        raise Watchdog("test run exceeded %d s" % TOTAL_TIMEOUT)
    signal.signal(signal.SIGALRM, watchdog)
    signal.alarm(TOTAL_TIMEOUT)

    started = time.monotonic()
    d = None
    try:
        daemon = Daemon(binary, free_port(), outdir, "daemon-1").wait_ready()
        d = start_browser()
        for name, run in (("live", lambda: phase_live(d, daemon, outdir)),
                          ("restart", lambda: phase_restart(d, daemon, binary, outdir)),
                          ("errors", lambda: phase_errors(d, binary, outdir)),
                          ("network", lambda: phase_network(d))):
            try:
                run()
            except Exception as x:
                first = str(x).strip().splitlines()[0] if str(x).strip() else ""
                check("%s: phase ran" % name, False, "%s: %s" % (type(x).__name__, first))
    except Watchdog as x:
        check("runtime", False, str(x))
    except Exception as x:
        check("setup", False, "%s: %s" % (type(x).__name__, x))
    finally:
        signal.alarm(20)  # bounded cleanup
        try:
            if d is not None:
                d.quit()
        except BaseException:
            pass
        signal.alarm(0)
        for dm in daemons:
            dm.stop()
    failed = sum(1 for ok, _, _ in results if not ok)
    print("     runtime %.1f s" % (time.monotonic() - started))
    print("%d passed, %d failed" % (len(results) - failed, failed))
    return 0 if failed == 0 and results else 1


if __name__ == "__main__":
    sys.exit(main())
