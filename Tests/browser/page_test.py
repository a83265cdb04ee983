#!/usr/bin/python3
"""Browser test for procstreamd's live page, against the real daemon in headless Chromium.

Usage: /usr/bin/python3 Tests/browser/page_test.py [DAEMON [OUTDIR]]
  DAEMON  the procstreamd binary (default: .build/debug/procstreamd under the repo root)
  OUTDIR  where screenshots and daemon logs go (default: a new temp dir)

Needs chromium, chromedriver and python3-selenium (Debian: apt-get install -y chromium
chromium-driver python3-selenium). Prints one "PASS name" / "FAIL name: why" line per check,
then "N passed, M failed"; exits 0 only if nothing failed.

Phases:
  files    the page's files and their headers: the CSP allows nothing inline
  live     start the daemon, open the page, check values, charts, cores, the new cards, styles
           and scripts from the daemon, console, screenshots (desktop and phone width)
  restart  SIGTERM the daemon, start a new one on the same port; the page reconnects by itself
  errors   a second daemon with --proc-root; delete meminfo, check the error banner, restore it
  future   the page against fake_daemon.py: the fields the daemon will send soon (pressure,
           network, disk), an error event naming its fields, and a kernel without PSI
  units    the services card against fake_daemon.py's units events (units_phase.py): sort,
           filter, a unit's charts from replayed history, a unit stopping; screenshots
  network  every request the page made went to one of our 127.0.0.1 daemons (or data:), and
           only for the page's own files and its stream
"""
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from fake_daemon import FakeDaemon
from units_phase import PAGE_PATHS, phase_units
from harness import (MARKER, REPO, TOTAL_TIMEOUT, Daemon, Watchdog, chart_points, check, daemons, drain_logs,
                     events, fetch, free_port, js, ports_used, requests_seen, results, set_viewport, severe,
                     snapshot, start_browser, screenshot, text, wait_for)

PAGE_FILES = {"/": "text/html; charset=utf-8", "/app.js": "text/javascript; charset=utf-8",
              "/model.js": "text/javascript; charset=utf-8", "/cards.js": "text/javascript; charset=utf-8",
              "/units.js": "text/javascript; charset=utf-8", "/draw.js": "text/javascript; charset=utf-8",
              "/services.js": "text/javascript; charset=utf-8", "/app.css": "text/css; charset=utf-8"}
NEW_CARDS = ("pressure", "network", "disk")  # sources the daemon will send soon
CARD_FIELD = {"cpu": "cpu", "memory": "memory", "load": "load", "threads": "threads",
              "connections": "connections", "network": "network", "disk": "disk"}


def card_state(d, card):
    return js(d, "var e = document.getElementById('card-' + arguments[0]); return e ? e.dataset.state || '' : null;", card)


def tile_points(d, card):
    return js(d, "return Array.from(document.querySelectorAll('#' + arguments[0] + '-tiles canvas'))"
                 ".map(c => +(c.dataset.points || 0))", card)


# ---------- phases ----------

def phase_files(daemon):
    for path, ctype in PAGE_FILES.items():
        status, h, body = fetch(daemon.url(path))
        csp = h.get("Content-Security-Policy", "")
        check("files: %s is 200 %s" % (path, ctype), status == 200 and h.get("Content-Type") == ctype and body,
              "status %s, type %r, %d bytes" % (status, h.get("Content-Type"), len(body)))
        check("files: %s CSP has no 'unsafe-inline'" % path,
              csp and "unsafe-inline" not in csp and "script-src 'self'" in csp and "style-src 'self'" in csp,
              "CSP %r" % csp)
        check("files: %s nosniff, no referrer, not cached" % path,
              h.get("X-Content-Type-Options") == "nosniff" and h.get("Referrer-Policy") == "no-referrer"
              and h.get("Cache-Control") in ("no-store", "no-cache"), "headers %s" % dict(h))


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

    ids = ["uptime", "updated", "cpu", "memory", "threads", "load"]
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
    sent = {c: p for c, p in pts1.items() if CARD_FIELD.get(c) in snap}
    check("live: every chart whose fields the daemon sends drew points", sent and min(sent.values()) >= 1,
          "charts: %s" % pts1)
    for i in ("cpu", "memory", "threads", "load", "connections"):
        check("live: #%s shows a value" % i, text(d, i) not in (None, "", "—"), "#%s is %r" % (i, text(d, i)))

    cores = list((snap.get("cpu_cores") or {}).keys())
    labels = js(d, "return Array.from(document.querySelectorAll('#cores-tiles .tile .name')).map(e => e.textContent)")
    check("live: per-core tiles exist, labelled by the kernel's CPU id", cores and labels == cores,
          "tiles %s, daemon cores %s" % (labels, cores))
    sparks = [p for p in tile_points(d, "cores") if p >= 1]
    check("live: per-core sparklines drawn", len(sparks) == len(cores), "%d of %d drawn" % (len(sparks), len(cores)))

    for card in NEW_CARDS:
        st, value, sub = card_state(d, card), text(d, card), text(d, card + "-sub")
        want = "absent" if card not in snap else "null" if snap[card] is None else "ok"
        check("live: %s card exists (%s)" % (card, want), st == want, "state %r, value %r, sub %r" % (st, value, sub))
        if want != "ok":
            check("live: %s card says why it is empty" % card,
                  (value in (None, "—")) and sub in ("not sent by this daemon", "not available on this kernel"),
                  "value %r, sub %r" % (value, sub))

    loaded = js(d, "return performance.getEntriesByType('resource').map(e => e.name)")
    for path in PAGE_FILES:
        if path != "/":
            check("live: %s loaded from the daemon" % path, daemon.url(path) in loaded, "resources: %s" % loaded)
    # The real daemon sends a units event every tick (from the cgroup fixture tree): one row
    # per unit /units lists.
    units = json.loads(urllib.request.urlopen(daemon.url("/units"), timeout=5).read())["units"]
    shown = js(d, "return Array.from(document.querySelectorAll('#services-table tbody tr[data-unit]')).map(r => r.dataset.unit)")
    names = [(u["manager"] + "/" if u.get("manager") else "") + u["unit"] for u in units]
    check("live: services card shows the daemon's units",
          card_state(d, "services") == "ok" and sorted(shown) == sorted(names) and len(names) == 16,
          "state %r, rows %s, /units %s" % (card_state(d, "services"), sorted(shown), sorted(names)))
    bg = js(d, "return getComputedStyle(document.body).backgroundColor")
    check("live: app.css applies (light background)", bg == "rgb(243, 244, 246)", "body background %r" % bg)
    # Series colours are set through CSSOM (element.style.setProperty), which style-src 'self' allows.
    sw = js(d, "var k = document.querySelector('#load .part .k');"
               "return k ? getComputedStyle(k, '::before').backgroundColor : null")
    check("live: swatch colour from the card table (CSSOM under the CSP)", sw == "rgb(220, 38, 38)", "1m swatch %r" % sw)

    wait_for(lambda: chart_points(d).get("cpu", 0) >= 8, 6)  # a bit more history for the picture
    screenshot(d, outdir, "live.png")
    set_viewport(d, 390)
    wide = wait_for(lambda: js(d, "return document.documentElement.scrollWidth <= 390"), 3)
    check("live: no horizontal scrolling at 390 px", wide,
          "scrollWidth %s" % js(d, "return document.documentElement.scrollWidth"))
    screenshot(d, outdir, "phone.png")
    set_viewport(d, 1280)
    bad = severe(drain_logs(d))
    check("live: no console errors while the daemon is up (a CSP violation is one)", not bad, "; ".join(bad)[:500])
def phase_restart(d, daemon, binary, outdir):
    console = drain_logs(d)
    tries0 = sum(1 for u in requests_seen if urllib.parse.urlparse(u).path == "/events")
    rc = daemon.stop()
    check("restart: daemon stopped on SIGTERM", rc == 0, "exit status %s" % rc)
    down = wait_for(lambda: text(d, "state") in ("reconnecting", "stopped"), 6)
    check("restart: #state shows reconnecting/stopped", down,
          "state %r, status %r" % (text(d, "state"), text(d, "status")))
    ev_down = events(d)
    upd_down = text(d, "updated")

    def retried():  # the page tried /events again while nothing listens on the port
        console.extend(drain_logs(d))
        return sum(1 for u in requests_seen if urllib.parse.urlparse(u).path == "/events") > tries0
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
    # A copy of a whole captured tree: every source has its file, whatever sources there are.
    root = os.path.join(tempfile.mkdtemp(dir=outdir), "procroot")
    shutil.copytree(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ProcFSTests", "Fixtures", "linux-6.18-x86_64"), root)
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
        check("errors: memory shown as unavailable", wait_for(lambda: text(d, "memory") == "—", 3),
              "#memory %r" % text(d, "memory"))
        screenshot(d, outdir, "errors.png")
        tmp = meminfo + ".new"
        with open(tmp, "wb") as f:
            f.write(saved)
        os.replace(tmp, meminfo)
        cleared = wait_for(lambda: js(d, "return document.getElementById('errors').hidden"), 8)
        check("errors: banner clears after meminfo is back", cleared, "#errors: %r" % text(d, "errors"))
        check("errors: memory value back", wait_for(lambda: text(d, "memory") not in (None, "—"), 3),
              "#memory %r" % text(d, "memory"))
        bad = severe(drain_logs(d))
        check("errors: no console errors", not bad, "; ".join(bad)[:500])
    finally:
        daemon.stop()
        shutil.rmtree(root, ignore_errors=True)


def phase_future(d, real, outdir):
    fake = FakeDaemon(real.url("/"), free_port()).start()
    ports_used.add(fake.port)
    try:
        d.get(fake.url("/"))
        check("future: page live against the fake daemon", wait_for(lambda: text(d, "state") == "live", 8),
              "state %r" % text(d, "state"))
        for card in ("network", "disk"):
            check("future: %s card shows rates" % card,
                  wait_for(lambda: card_state(d, card) == "ok" and "/s" in (text(d, card) or ""), 3),
                  "state %r, value %r" % (card_state(d, card), text(d, card)))
        pts = chart_points(d)
        check("future: network and disk charts drew points", pts.get("network", 0) > 1 and pts.get("disk", 0) > 1,
              "charts: %s" % pts)
        tiles = js(d, "return Array.from(document.querySelectorAll('#pressure-tiles .tile'))"
                      ".map(t => t.querySelector('.name').textContent + ' ' + t.querySelector('.tv').textContent)")
        check("future: pressure tiles for CPU, memory and I/O with values",
              len(tiles) == 3 and all(t.endswith("%") for t in tiles), "tiles %s" % tiles)
        check("future: pressure sparklines drawn", min(tile_points(d, "pressure") or [0]) > 1,
              "points %s" % tile_points(d, "pressure"))
        full = js(d, "return document.querySelector('#pressure-tiles .tile .detail').textContent")
        check("future: cpu's null 'full' shown as a dash", full == "full —", "detail %r" % full)
        screenshot(d, outdir, "future.png")

        fake.mode = "meminfo-failing"
        marked = wait_for(lambda: card_state(d, "memory") == "failing", 4)
        check("future: an error naming memory fields marks the memory card failing", marked,
              "state %r, note %r" % (card_state(d, "memory"), js(d, "return document.querySelector('#card-memory .note').textContent")))
        check("future: only the memory card fails", [c for c in ("cpu", "load", "threads", "network")
                                                     if card_state(d, c) != "ok"] == [], "states %s" %
              {c: card_state(d, c) for c in ("cpu", "load", "threads", "network")})
        check("future: banner lists meminfo", "meminfo" in (text(d, "errors") or ""), "#errors %r" % text(d, "errors"))
        screenshot(d, outdir, "future-failing.png")
        fake.mode = "ok"
        check("future: failing mark clears when memory is back", wait_for(lambda: card_state(d, "memory") == "ok", 4),
              "state %r" % card_state(d, "memory"))
        check("future: banner clears", wait_for(lambda: js(d, "return document.getElementById('errors').hidden"), 4),
              "#errors %r" % text(d, "errors"))

        fake.mode = "no-psi"
        check("future: pressure null says not available on this kernel",
              wait_for(lambda: text(d, "pressure-sub") == "not available on this kernel", 4),
              "#pressure-sub %r" % text(d, "pressure-sub"))
        bad = severe(drain_logs(d))
        check("future: no console errors", not bad, "; ".join(bad)[:500])
    finally:
        fake.stop()


def phase_network(d):
    drain_logs(d)
    urls = sorted(set(requests_seen))
    print("     %d requests, %d distinct URLs: %s" % (len(requests_seen), len(urls), " ".join(urls)[:400]))
    ok_prefixes = tuple("http://127.0.0.1:%d/" % p for p in ports_used)
    outside = [u for u in urls if not (u.startswith(ok_prefixes) or u.startswith("data:"))]
    check("network: requests were recorded", any(urllib.parse.urlparse(u).path == "/events" for u in urls)
          and any(urllib.parse.urlparse(u).path == "/" for u in urls), "recorded: %s" % urls)
    check("network: no request leaves 127.0.0.1", not outside, "outside: %s" % outside)
    paths = sorted({u[u.index("/", len("http://")):] for u in urls if u.startswith(ok_prefixes)})
    check("network: only the page's own files and /events?units=1", set(paths) <= PAGE_PATHS, "paths: %s" % paths)


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
        # The cgroup fixture tree: the services card fills from the real daemon's units events.
        cgroups = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ProcFSTests", "Fixtures", "cgroup-v2")
        daemon = Daemon(binary, free_port(), outdir, "daemon-1", ["--cgroup-root", cgroups]).wait_ready()
        d = start_browser()
        running = lambda: next(dm for dm in daemons if dm.proc.poll() is None)  # the restarted one, later
        for name, run in (("files", lambda: phase_files(daemon)),
                          ("live", lambda: phase_live(d, daemon, outdir)),
                          ("restart", lambda: phase_restart(d, daemon, binary, outdir)),
                          ("errors", lambda: phase_errors(d, binary, outdir)),
                          ("future", lambda: phase_future(d, running(), outdir)),
                          ("units", lambda: phase_units(d, running(), outdir)),
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
