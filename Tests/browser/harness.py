"""Shared parts of the browser test: reporting, the daemon process, the browser and page helpers.

See page_test.py for what runs and how.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INTERVAL = "0.5"
TOTAL_TIMEOUT = 150  # hard watchdog for the whole run, seconds

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


def js(d, code, *args):
    return d.execute_script(code, *args)


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


def set_viewport(d, width, height=900):
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})


def fetch(url):
    """(status, headers, body) of a GET, errors included."""
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()
