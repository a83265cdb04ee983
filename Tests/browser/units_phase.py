"""The browser test's `units` phase: the services card against fake_daemon.py's units events.

The table sorted by CPU as sent, sorting by memory, the filter, a unit's detail filled from the
replayed history at once, a unit that stops, the "N more" line, a host without per-unit data, the
console, what the page requested, and screenshots at desktop and phone width.
"""
import os
import shutil

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from fake_daemon import FakeDaemon
from harness import (REPO, check, drain_logs, free_port, js, ports_used, requests_seen, screenshot, set_viewport,
                     severe, text, wait_for)

# The page's own files and its one stream: nothing else may be requested.
PAGE_PATHS = {"/", "/app.css", "/model.js", "/units.js", "/cards.js", "/draw.js", "/services.js", "/app.js",
              "/events?units=1"}


def rows(d):
    return js(d, "return Array.from(document.querySelectorAll('#services-table tbody tr')).map(r => r.dataset.unit)")


def column(d, key):
    """The sort values (data-v) of a numeric column, top to bottom; None for a null."""
    vals = js(d, "return Array.from(document.querySelectorAll('#services-table tbody td.c-' + arguments[0]))"
                 ".map(td => td.dataset.v)", key)
    return [None if v in (None, "") else float(v) for v in vals]


def ordered(vals, desc):
    """Non-increasing (desc) or non-decreasing numbers, then only nulls."""
    nums = [v for v in vals if v is not None]
    if vals[:len(nums)] != nums:
        return False
    return all((a >= b) if desc else (a <= b) for a, b in zip(nums, nums[1:]))


def sort_state(d, key):
    return js(d, "var th = document.querySelector('#services-table th.c-' + arguments[0]);"
                 "return th ? th.getAttribute('aria-sort') : null", key)


def click(d, css):
    d.find_element(By.CSS_SELECTOR, css).click()


def unit_events(d):
    return int(js(d, "return document.body.dataset.unitEvents || '0'"))


def detail(d):
    return js(d, "var p = document.getElementById('unit-detail'); if (!p || p.hidden) return null;"
                 "var pts = {}; p.querySelectorAll('canvas.chart').forEach(c => pts[c.dataset.metric] = +(c.dataset.points || 0));"
                 "return {unit: p.dataset.unit, status: p.dataset.status, text: document.getElementById('unit-status').textContent,"
                 " points: pts}")


def scroll_to_card(d):
    js(d, "document.getElementById('card-services').scrollIntoView({block: 'start'})")


def phase_units(d, real, outdir):
    fake = FakeDaemon(real.url("/"), free_port()).start()
    ports_used.add(fake.port)
    try:
        d.get(fake.url("/"))
        check("units: page live against the fake daemon", wait_for(lambda: text(d, "state") == "live", 8),
              "state %r" % text(d, "state"))
        check("units: the page subscribes with ?units=1", "/events?units=1" in fake.paths, "paths %s" % fake.paths)
        wait_for(lambda: fake.live_ticks >= 2, 5)  # past the history, in which flaky.service is away a while
        want = set(fake.latest_units)
        shown = wait_for(lambda: set(rows(d)) == set(fake.latest_units) and rows(d), 5)
        check("units: one row per unit sent", shown, "rows %s, sent %s" % (rows(d), sorted(want)))
        note = lambda: js(d, "return document.querySelector('#card-services .note').textContent")
        check("units: the card names the count", wait_for(lambda: note() == "%d units" % len(want), 2),
              "note %r, %d sent" % (note(), len(want)))
        check("units: sorted by CPU, busiest first, as sent", sort_state(d, "cpu") == "descending"
              and ordered(column(d, "cpu"), True) and column(d, "cpu")[-1] is None, "cpu column %s" % column(d, "cpu"))
        null_row = js(d, "var r = document.querySelector('#services-table tr[data-unit=\"noacct.service\"]');"
                         "return r ? ['cpu', 'memory', 'tasks', 'io'].map(k => r.querySelector('td.c-' + k + ' .p, td.c-' + k + ' .v').textContent) : null")
        check("units: a unit with null figures shows dashes", null_row == ["—"] * 4, "noacct row %s" % null_row)
        sparks = js(d, "return Array.from(document.querySelectorAll('#services-table canvas.spark')).filter(c => +(c.dataset.points || 0) > 50).length")
        check("units: CPU sparklines drawn from history", sparks >= len(want) - 1, "%s of %d sparklines" % (sparks, len(want)))

        click(d, "#services-table th.c-memory button")
        check("units: clicking Memory sorts by memory, largest first",
              wait_for(lambda: sort_state(d, "memory") == "descending" and ordered(column(d, "memory"), True), 3),
              "aria-sort %r, memory %s" % (sort_state(d, "memory"), column(d, "memory")))
        check("units: memory sort puts docker first, nulls last", rows(d)[0] == "docker-4f2ac1.scope"
              and rows(d)[-1] == "noacct.service", "rows %s" % rows(d))
        click(d, "#services-table th.c-memory button")
        check("units: clicking again sorts smallest first (nulls still last)",
              wait_for(lambda: sort_state(d, "memory") == "ascending" and ordered(column(d, "memory"), False), 3),
              "aria-sort %r, memory %s" % (sort_state(d, "memory"), column(d, "memory")))
        click(d, "#services-table th.c-cpu button")
        check("units: back to CPU order", wait_for(lambda: sort_state(d, "cpu") == "descending", 3),
              "aria-sort %r" % sort_state(d, "cpu"))

        box = d.find_element(By.ID, "services-filter")
        box.send_keys("SQL")
        check("units: the filter narrows rows (any case)", wait_for(lambda: rows(d) == ["postgresql.service"], 3),
              "rows %s" % rows(d))
        n = unit_events(d)
        wait_for(lambda: unit_events(d) >= n + 2, 3)
        check("units: the filter survives re-renders", rows(d) == ["postgresql.service"]
              and js(d, "return document.getElementById('services-filter').value") == "SQL"
              and (text(d, "services-count") or "").startswith("1 of "), "rows %s, count %r" % (rows(d), text(d, "services-count")))
        box.send_keys(Keys.BACKSPACE * 3)
        check("units: clearing the filter shows every unit again", wait_for(lambda: len(rows(d)) == len(want), 3),
              "rows %s" % rows(d))

        click(d, "#services-table tr[data-unit='nginx.service']")
        at_once = wait_for(lambda: (detail(d) or {}).get("points", {}), 1)
        pts = at_once or {}
        check("units: clicking a unit opens its CPU and memory charts filled from history at once",
              detail(d) and detail(d)["unit"] == "nginx.service" and pts.get("unit-cpu", 0) >= 100
              and pts.get("unit-memory", 0) >= 100, "detail %s" % detail(d))
        check("units: the open row is marked", js(d, "return document.querySelector('#services-table tr.selected').dataset.unit")
              == "nginx.service", "selected %r" % js(d, "var r = document.querySelector('#services-table tr.selected'); return r && r.dataset.unit"))
        scroll_to_card(d)
        path = screenshot(d, outdir, "units.png")
        shutil.copyfile(path, os.path.join(REPO, "Tests", "browser", "screenshot-units.png"))
        set_viewport(d, 390)
        scroll_to_card(d)
        narrow = wait_for(lambda: js(d, "return document.documentElement.scrollWidth <= 390"), 3)
        check("units: no horizontal scrolling at 390 px", narrow, "scrollWidth %s" % js(d, "return document.documentElement.scrollWidth"))
        screenshot(d, outdir, "units-phone.png")
        set_viewport(d, 1280)
        click(d, "#services-table tr[data-unit='nginx.service']")
        check("units: clicking the open unit again closes it", wait_for(lambda: detail(d) is None, 2), "detail %s" % detail(d))

        click(d, "#services-table tr[data-unit='flaky.service']")
        check("units: a unit that went away in the history opens with its charts",
              wait_for(lambda: (detail(d) or {}).get("points", {}).get("unit-cpu", 0) >= 80, 1), "detail %s" % detail(d))
        click(d, "#unit-close")
        check("units: the close button closes it", wait_for(lambda: detail(d) is None, 2), "detail %s" % detail(d))
        click(d, "#services-table tr[data-unit='backup.service']")
        wait_for(lambda: detail(d), 2)
        fake.gone.add("backup.service")
        stopped = wait_for(lambda: (detail(d) or {}).get("status") == "stopped", 4)
        check("units: a unit that disappears shows stopped in its detail, charts kept",
              stopped and (detail(d) or {}).get("text", "").startswith("stopped")
              and detail(d)["points"].get("unit-cpu", 0) >= 100, "detail %s" % detail(d))
        check("units: and leaves the table", "backup.service" not in rows(d), "rows %s" % rows(d))
        screenshot(d, outdir, "units-stopped.png")
        fake.gone.discard("backup.service")
        check("units: it comes back running", wait_for(lambda: (detail(d) or {}).get("status") == "running", 4),
              "detail %s" % detail(d))
        click(d, "#unit-close")

        fake.extra = 60
        wait_for(lambda: len(fake.latest_units) > 50, 3)
        total = len(fake.latest_units)
        check("units: at most 50 rows, the rest counted",
              wait_for(lambda: len(rows(d)) == 50 and (text(d, "services-more") or "").startswith("%d more" % (total - 50)), 4),
              "%d rows, more %r, %d units" % (len(rows(d)), text(d, "services-more"), total))
        fake.extra = 0

        fake.units = False
        check("units: without units events the card says there is no per-unit data",
              wait_for(lambda: text(d, "services-sub") == "no per-unit data on this host", 5),
              "#services-sub %r, rows %s" % (text(d, "services-sub"), rows(d)))
        bad = severe(drain_logs(d))
        check("units: no console errors", not bad, "; ".join(bad)[:500])
        prefix = fake.url("")
        asked = sorted({u[len(prefix):] for u in requests_seen if u.startswith(prefix)})
        check("units: nothing requested but the page's own files and /events",
              asked and set(asked) <= PAGE_PATHS and set(fake.paths) <= PAGE_PATHS, "requested %s" % asked)
    finally:
        fake.stop()

