/// The live page served at `GET /`: one self-contained HTML document compiled into the binary.
public enum LivePage {
    public static let html: String = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>procstream</title>
<link rel="icon" href="data:,">
<style>
:root {
  color-scheme: light dark;
  --bg: #f3f4f6; --card: #ffffff; --fg: #16181d; --muted: #5b6470; --border: #dde1e7;
  --grid: rgba(20, 24, 32, 0.09); --axis: #6b7280;
  --c-cpu: #2563eb; --c-memory: #7c3aed; --c-threads: #0f8a7e; --c-connections: #c2410c;
  --c-load1: #dc2626; --c-load5: #d97706; --c-load15: #2563eb; --c-core: #2563eb;
  --ok: #15803d; --warn: #b45309; --bad: #b91c1c;
  --err-bg: #fef2f2; --err-fg: #7f1d1d; --err-border: #fca5a5;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0e1014; --card: #171a21; --fg: #e5e7eb; --muted: #9aa3af; --border: #2a2f3a;
    --grid: rgba(255, 255, 255, 0.08); --axis: #8b949e;
    --c-cpu: #60a5fa; --c-memory: #a78bfa; --c-threads: #2dd4bf; --c-connections: #fb923c;
    --c-load1: #f87171; --c-load5: #fbbf24; --c-load15: #60a5fa; --c-core: #60a5fa;
    --ok: #4ade80; --warn: #fbbf24; --bad: #f87171;
    --err-bg: #2b1518; --err-fg: #fecaca; --err-border: #7f2a31;
  }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html, body { margin: 0; background: var(--bg); color: var(--fg); }
body {
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  padding: 16px; max-width: 1440px; margin: 0 auto;
}
.num, .value, .meta b, #state { font-variant-numeric: tabular-nums; }
header {
  display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between;
  gap: 8px 16px; margin-bottom: 10px;
}
.brand { display: flex; align-items: baseline; flex-wrap: wrap; gap: 4px 10px; min-width: 0; }
h1 { font-size: 20px; margin: 0; font-weight: 650; overflow-wrap: anywhere; }
.brand .app { color: var(--muted); font-weight: 500; font-size: 14px; }
#version { color: var(--muted); font-size: 13px; }
.conn { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; min-width: 0; }
#state {
  display: inline-flex; align-items: center; gap: 6px; padding: 3px 10px 3px 8px;
  border-radius: 999px; font-weight: 600; font-size: 13px; border: 1px solid currentColor;
  color: var(--warn); white-space: nowrap;
}
#state::before {
  content: ""; width: 8px; height: 8px; border-radius: 50%; background: currentColor;
}
#state[data-state="live"] { color: var(--ok); }
#state[data-state="live"]::before { animation: pulse 2s ease-in-out infinite; }
#state[data-state="stopped"] { color: var(--bad); }
@keyframes pulse { 50% { opacity: 0.35; } }
#status { color: var(--muted); font-size: 13px; }
.meta {
  display: flex; flex-wrap: wrap; gap: 4px 18px; color: var(--muted); font-size: 13px;
  margin-bottom: 12px;
}
.meta b { color: var(--fg); font-weight: 600; }
#errors {
  background: var(--err-bg); color: var(--err-fg); border: 1px solid var(--err-border);
  border-radius: 10px; padding: 10px 14px; margin-bottom: 12px;
}
#errors .title { font-weight: 650; margin-bottom: 4px; }
#errors ul { margin: 0; padding-left: 18px; }
#errors li { overflow-wrap: anywhere; }
#errors .src { font-weight: 650; }
#errors .when { opacity: 0.75; font-size: 12px; }
.grid {
  display: grid; gap: 12px; grid-template-columns: repeat(3, minmax(0, 1fr));
}
.card {
  background: var(--card); border: 1px solid var(--border); border-radius: 12px;
  padding: 12px 14px; min-width: 0; display: flex; flex-direction: column;
}
.card.wide { grid-column: span 2; }
.card.full { grid-column: 1 / -1; }
.card h2 {
  margin: 0; font-size: 12px; font-weight: 600; letter-spacing: 0.06em; text-transform: uppercase;
  color: var(--muted); display: flex; justify-content: space-between; gap: 8px; flex-wrap: wrap;
}
.value { font-size: 28px; font-weight: 650; line-height: 1.15; margin: 4px 0 2px; overflow-wrap: anywhere; }
#load { word-spacing: 0.25em; }
.value .of { font-size: 15px; font-weight: 500; color: var(--muted); }
.sub { color: var(--muted); font-size: 13px; min-height: 18px; overflow-wrap: anywhere; }
.sub b { color: var(--fg); font-weight: 600; }
.na { color: var(--muted) !important; }
canvas.chart { display: block; width: 100%; height: 140px; margin-top: 8px; }
.legend { display: inline-flex; gap: 10px; text-transform: none; letter-spacing: 0; font-weight: 500; }
.legend span::before {
  content: ""; display: inline-block; width: 10px; height: 3px; border-radius: 2px;
  margin-right: 4px; vertical-align: middle; background: var(--lc);
}
#cores {
  display: grid; gap: 8px; margin-top: 8px;
  grid-template-columns: repeat(auto-fill, minmax(120px, 1fr));
}
.core { border: 1px solid var(--border); border-radius: 8px; padding: 6px 8px 4px; min-width: 0; }
.core .row { display: flex; justify-content: space-between; gap: 6px; font-size: 12px; }
.core .name { color: var(--muted); }
.core .cv { font-weight: 600; font-variant-numeric: tabular-nums; }
.core canvas { display: block; width: 100%; height: 30px; margin-top: 2px; }
.empty { color: var(--muted); font-size: 13px; }
main.stale .value, main.stale .sub, main.stale canvas, main.stale #cores { opacity: 0.55; }
footer { color: var(--muted); font-size: 12px; margin-top: 14px; text-align: center; }
@media (max-width: 1000px) {
  .grid { grid-template-columns: repeat(2, minmax(0, 1fr)); }
}
@media (max-width: 600px) {
  body { padding: 10px; }
  .grid { grid-template-columns: minmax(0, 1fr); gap: 10px; }
  .card.wide, .card.full { grid-column: auto; }
  .value { font-size: 24px; }
  canvas.chart { height: 120px; }
  #cores { grid-template-columns: repeat(auto-fill, minmax(96px, 1fr)); }
}
</style>
</head>
<body data-events="0">
<header>
  <div class="brand">
    <h1 id="host">—</h1>
    <span class="app">procstream</span>
    <span id="version"></span>
  </div>
  <div class="conn">
    <span id="state" data-state="reconnecting" role="status" aria-live="polite">reconnecting</span>
    <span id="status">Connecting…</span>
  </div>
</header>
<div class="meta">
  <span>uptime <b id="uptime">—</b></span>
  <span>interval <b id="interval">—</b></span>
  <span>subscribers <b id="clients">—</b></span>
  <span>collect <b id="collect">—</b></span>
  <span>tcp source <b id="tcp-source">—</b></span>
  <span>updated <b id="updated">—</b></span>
</div>
<div id="errors" role="alert" hidden>
  <div class="title">Failing sources</div>
  <ul id="error-list"></ul>
</div>
<main class="grid stale" id="main">
  <section class="card wide">
    <h2><span>CPU</span><span id="cpu-cores-count"></span></h2>
    <div class="value" id="cpu">—</div>
    <div class="sub" id="cpu-sub">busy, all cores</div>
    <canvas class="chart" data-metric="cpu" aria-label="CPU usage, last 5 minutes"></canvas>
  </section>
  <section class="card">
    <h2><span>Memory</span></h2>
    <div class="value" id="memory"><span id="memory-used">—</span> <span class="of" id="memory-total"></span></div>
    <div class="sub" id="memory-sub">in use</div>
    <canvas class="chart" data-metric="memory" aria-label="Memory in use, last 5 minutes"></canvas>
  </section>
  <section class="card">
    <h2><span>Load average</span><span class="legend"><span style="--lc: var(--c-load1)">1m</span><span style="--lc: var(--c-load5)">5m</span><span style="--lc: var(--c-load15)">15m</span></span></h2>
    <div class="value" id="load">—</div>
    <div class="sub" id="load-sub">1 / 5 / 15 minutes</div>
    <canvas class="chart" data-metric="load" aria-label="Load averages, last 5 minutes"></canvas>
  </section>
  <section class="card">
    <h2><span>Threads</span></h2>
    <div class="value" id="threads">—</div>
    <div class="sub" id="threads-sub"><b id="threads-running">—</b> running</div>
    <canvas class="chart" data-metric="threads" aria-label="Threads, last 5 minutes"></canvas>
  </section>
  <section class="card">
    <h2><span>TCP connections</span></h2>
    <div class="value" id="connections">—</div>
    <div class="sub" id="tcp-states">established — · time_wait — · listen —</div>
    <canvas class="chart" data-metric="connections" aria-label="TCP connections, last 5 minutes"></canvas>
  </section>
  <section class="card full">
    <h2><span>Per-core CPU</span><span id="cores-note">last 5 minutes</span></h2>
    <div id="cores"><span class="empty">waiting for data…</span></div>
  </section>
</main>
<footer>Charts show the last 5 minutes by event timestamp. Data streams from <code>events</code> (Server-Sent Events).</footer>
<noscript><p>This page needs JavaScript to show the live stream.</p></noscript>
<script>
(function () {
  'use strict';
  var WINDOW = 300000;          // chart window: 5 minutes, in ms of event time
  var MAXPTS = 300;             // at most ~300 points per chart
  var BUCKET = WINDOW / MAXPTS; // minimum spacing between kept points
  var GIB = 1073741824, MIB = 1048576;

  function $(id) { return document.getElementById(id); }
  function num(v) { return typeof v === 'number' && isFinite(v) ? v : null; }
  // cpu_cores: {"cpu0": 7.07, "cpu2": null, ...}, keyed by the kernel's CPU id.
  function isCoreMap(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }
  function now() { return (window.performance && performance.now) ? performance.now() : Date.now(); }

  // ---------- state ----------
  var pts = [];          // kept points, ascending by t
  var latest = null;     // last accepted metrics payload
  var lastId = null;     // last accepted numeric event id
  var lastT = null;      // timestamp (ms) of the last accepted point
  var received = 0, accepted = 0, dropped = 0;
  var intervalS = 1;     // last known interval in seconds
  var es = null, openedOnce = false;
  var lastEventAt = 0, gotOnConn = false;
  var backoff = 2000, reopenTimer = 0, reopenAt = 0;
  var errs = new Map();  // source -> entry
  var renderPending = false;
  var coreTiles = [];

  // ---------- formatting ----------
  function fmtBytes(b) {
    if (b === null) return '—';
    var a = Math.abs(b);
    if (a >= GIB) return (b / GIB).toFixed(1) + ' GiB';
    if (a >= MIB) return (b / MIB).toFixed(1) + ' MiB';
    return (b / 1024).toFixed(1) + ' KiB';
  }
  function fmtBytesAxis(b) {
    if (b === 0) return '0';
    if (Math.abs(b) >= GIB) return trim(b / GIB) + 'G';
    if (Math.abs(b) >= MIB) return trim(b / MIB) + 'M';
    return trim(b / 1024) + 'K';
  }
  function trim(v) {
    var s = Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
    if (s.indexOf('.') >= 0) s = s.replace(/0+$/, '').replace(/\.$/, '');
    return s;
  }
  function fmtShort(v) {
    var a = Math.abs(v);
    if (a >= 1e6) return trim(v / 1e6) + 'M';
    if (a >= 1e4) return trim(v / 1e3) + 'k';
    return trim(v);
  }
  function fmtPct(v) { return v === null ? '—' : v.toFixed(1) + '%'; }
  function fmtInt(v) { return v === null ? '—' : String(Math.round(v)); }
  function fmtLoad(v) { return v === null ? '—' : v.toFixed(2); }
  function fmtUptime(s) {
    if (s === null) return '—';
    s = Math.max(0, Math.floor(s));
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d > 0) return d + 'd ' + h + 'h ' + m + 'm';
    if (h > 0) return h + 'h ' + m + 'm';
    if (m > 0) return m + 'm ' + (s % 60) + 's';
    return (s % 60) + 's';
  }
  function fmtSecs(s) {
    if (s === null) return '—';
    if (s < 1) return trim(s * 1000) + ' ms';
    if (s < 60) return trim(s) + ' s';
    if (s < 3600) return trim(s / 60) + ' min';
    return trim(s / 3600) + ' h';
  }
  function fmtAgo(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 90) return s + ' s';
    if (s < 5400) return Math.round(s / 60) + ' min';
    return Math.round(s / 3600) + ' h';
  }
  function pad2(n) { return n < 10 ? '0' + n : String(n); }
  function fmtClock(t) {
    var d = new Date(t);
    return pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + ':' + pad2(d.getSeconds());
  }
  function setText(el, text, na) {
    if (!el) return;
    if (el.textContent !== text) el.textContent = text;
    if (na !== undefined) {
      el.classList.toggle('na', !!na);
      if (na) el.title = 'unavailable: source failed'; else el.removeAttribute('title');
    }
  }

  // ---------- connection ----------
  function connect() {
    if (reopenTimer) { clearTimeout(reopenTimer); reopenTimer = 0; }
    if (es) { try { es.close(); } catch (x) { /* ignore */ } }
    gotOnConn = false;
    var src;
    try { src = new EventSource('events'); } catch (x) { es = null; scheduleReopen(); return; }
    es = src;
    src.addEventListener('open', function () {
      if (src !== es) return;
      openedOnce = true;
      updateState();
    });
    src.addEventListener('metrics', function (e) { if (src === es) onMetrics(e); });
    src.addEventListener('error', function (e) {
      if (src !== es) return;
      if (e && typeof e.data === 'string') { onSourceError(e); return; }
      // Connection-level error: EventSource retries by itself unless it is CLOSED.
      gotOnConn = false;
      if (src.readyState === 2) scheduleReopen();
      updateState();
    });
    updateState();
  }
  function scheduleReopen() {
    if (reopenTimer) return;
    var wait = backoff + Math.floor(Math.random() * 500);
    backoff = Math.min(backoff * 2, 10000);
    reopenAt = Date.now() + wait;
    reopenTimer = setTimeout(function () { reopenTimer = 0; connect(); }, wait);
  }
  function thresholdMs() { return (3 * intervalS + 2) * 1000; }
  function computeState() {
    if (!es || es.readyState === 2) return 'stopped';
    if (es.readyState === 0) return 'reconnecting';
    if (gotOnConn && now() - lastEventAt <= thresholdMs()) return 'live';
    return 'reconnecting';
  }
  function updateState() {
    var st = computeState();
    var el = $('state');
    setText(el, st);
    if (el.getAttribute('data-state') !== st) el.setAttribute('data-state', st);
    var msg;
    var ago = lastEventAt ? now() - lastEventAt : null;
    if (st === 'live') {
      msg = 'receiving every ' + fmtSecs(intervalS);
    } else if (st === 'stopped') {
      var left = reopenTimer ? Math.max(0, Math.ceil((reopenAt - Date.now()) / 1000)) : 0;
      msg = 'stream closed (HTTP error or refused) — retrying' + (left ? ' in ' + left + ' s' : '…');
    } else if (es && es.readyState === 1) {
      msg = gotOnConn ? 'connected, but no events for ' + fmtAgo(ago) + ' — waiting…'
                      : 'connected — waiting for data…';
    } else if (!openedOnce && !accepted) {
      msg = 'connecting…';
    } else {
      msg = 'daemon unreachable — reconnecting…' + (ago !== null ? ' (last data ' + fmtAgo(ago) + ' ago)' : '');
    }
    setText($('status'), msg);
    $('main').classList.toggle('stale', st !== 'live');
  }
  function tick() {
    if (es && es.readyState === 2 && !reopenTimer) scheduleReopen();
    // A silently dead connection (open, but no events for a long time): start over.
    if (es && es.readyState === 1 && gotOnConn && now() - lastEventAt > 2 * thresholdMs() + 5000) connect();
    expireErrors();
    updateState();
  }

  // ---------- metrics ----------
  function onMetrics(e) {
    received++;
    document.body.dataset.events = String(received);
    lastEventAt = now();
    gotOnConn = true;
    backoff = 2000;
    var d = null;
    try { d = JSON.parse(e.data); } catch (x) { d = null; }
    if (!d || typeof d !== 'object' || Array.isArray(d)) { dropped++; return; }
    var id = (typeof e.lastEventId === 'string' && e.lastEventId !== '') ? Number(e.lastEventId) : NaN;
    var t = typeof d.timestamp === 'string' ? Date.parse(d.timestamp) : NaN;
    if (!isFinite(t)) t = NaN;
    if (isFinite(id) && lastId !== null && id <= lastId) {
      // Replayed or duplicate, unless the daemon restarted and numbers its events anew.
      var restarted = id < lastId && isFinite(t) && lastT !== null && t > lastT;
      if (!restarted) { dropped++; document.body.dataset.dropped = String(dropped); return; }
    }
    if (isFinite(id)) lastId = id;
    accepted++;
    latest = d;
    var iv = num(d.interval);
    if (iv !== null && iv > 0) intervalS = iv;
    if (isFinite(t)) addPoint(makePoint(d, t));
    noteMetricsForErrors(d);
    scheduleRender();
    updateState();
  }
  function makePoint(d, t) {
    var load = Array.isArray(d.load) ? d.load : null;
    var cores = null;
    if (isCoreMap(d.cpu_cores)) {
      cores = {};
      Object.keys(d.cpu_cores).forEach(function (k) { cores[k] = num(d.cpu_cores[k]); });
    }
    return {
      t: t,
      iv: num(d.interval) !== null && d.interval > 0 ? d.interval * 1000 : intervalS * 1000,
      cpu: num(d.cpu),
      mem: num(d.memory),
      total: num(d.memory_total),
      threads: num(d.threads),
      conn: num(d.connections),
      l1: load ? num(load[0]) : null,
      l5: load ? num(load[1]) : null,
      l15: load ? num(load[2]) : null,
      cores: cores
    };
  }
  function addPoint(p) {
    var n = pts.length;
    if (n && p.t < pts[n - 1].t) {
      pts.length = 0; // time went backwards: start the window over
    } else if (n >= 2 && p.t - pts[n - 2].t < BUCKET) {
      pts[n - 1] = p; // too dense for the window: the newest sample replaces the tail
    } else {
      pts.push(p);
    }
    lastT = p.t;
    var cut = p.t - WINDOW - BUCKET, i = 0;
    while (i < pts.length && pts[i].t < cut) i++;
    if (i > 0) pts.splice(0, i);
  }

  // ---------- source errors ----------
  var FIELD_HINTS = [
    [/meminfo|mem/, ['memory', 'memory_total']],
    [/loadavg|load/, ['load', 'threads', 'threads_running']],
    [/\/stat\b|^stat$|cpu/, ['cpu', 'cpu_cores']],
    [/tcp|sock|diag|netlink|connection/, ['connections', 'tcp_states']],
    [/uptime/, ['uptime']],
    [/thread|task/, ['threads']]
  ];
  function fieldsFor(source, message) {
    var key = String(source).toLowerCase(), out = [];
    FIELD_HINTS.forEach(function (h) { if (h[0].test(key)) out = out.concat(h[1]); });
    if (!out.length) {
      key = String(message).toLowerCase();
      FIELD_HINTS.forEach(function (h) { if (h[0].test(key)) out = out.concat(h[1]); });
    }
    return out;
  }
  function onSourceError(e) {
    lastEventAt = now();
    gotOnConn = true;
    var d = null;
    try { d = JSON.parse(e.data); } catch (x) { d = null; }
    var src = d && typeof d === 'object' && typeof d.source === 'string' && d.source ? d.source : 'unknown';
    var msg = d && typeof d === 'object' ? (typeof d.message === 'string' ? d.message : '') : String(e.data);
    var en = errs.get(src);
    if (!en) { en = { count: 0, first: Date.now(), sawNull: false }; errs.set(src, en); }
    en.message = msg;
    en.count++;
    en.at = Date.now();
    en.since = 0;
    en.fields = fieldsFor(src, msg);
    renderErrors();
    updateState();
  }
  function noteMetricsForErrors(d) {
    var changed = false;
    errs.forEach(function (en, src) {
      en.since++;
      if (!en.fields.length) return;
      var anyNull = en.fields.some(function (f) { return d[f] === null || d[f] === undefined; });
      if (anyNull) { en.sawNull = true; return; }
      if (en.sawNull) { errs.delete(src); changed = true; } // the field came back
    });
    if (changed) renderErrors();
    expireErrors();
  }
  function expireErrors() {
    var changed = false, quiet = Math.max(2 * intervalS * 1000, 1500);
    errs.forEach(function (en, src) {
      if (en.since >= 2 && Date.now() - en.at >= quiet) { errs.delete(src); changed = true; }
    });
    if (changed) renderErrors();
  }
  function renderErrors() {
    var box = $('errors'), list = $('error-list');
    while (list.firstChild) list.removeChild(list.firstChild);
    errs.forEach(function (en, src) {
      var li = document.createElement('li');
      var s = document.createElement('span');
      s.className = 'src';
      s.textContent = src;
      li.appendChild(s);
      li.appendChild(document.createTextNode(': ' + (en.message || 'failed') + ' '));
      var w = document.createElement('span');
      w.className = 'when';
      w.textContent = '(since ' + fmtClock(en.first) + (en.count > 1 ? ', ' + en.count + '×' : '') + ')';
      li.appendChild(w);
      list.appendChild(li);
    });
    box.hidden = errs.size === 0;
  }

  // ---------- values ----------
  function renderValues() {
    var d = latest;
    if (!d) return;
    var host = typeof d.host === 'string' && d.host ? d.host : null;
    setText($('host'), host || '—', !host);
    if (host && document.title !== host + ' · procstream') document.title = host + ' · procstream';
    var ver = typeof d.version === 'string' && d.version ? d.version : null;
    setText($('version'), ver ? 'v' + ver.replace(/^v/, '') : '');

    var cpu = num(d.cpu);
    setText($('cpu'), fmtPct(cpu), cpu === null);
    var ncores = isCoreMap(d.cpu_cores) ? Object.keys(d.cpu_cores).length : 0;
    setText($('cpu-cores-count'), ncores ? ncores + (ncores === 1 ? ' core' : ' cores') : '');

    var mem = num(d.memory), tot = num(d.memory_total);
    setText($('memory-used'), fmtBytes(mem), mem === null);
    setText($('memory-total'), tot !== null ? 'of ' + fmtBytes(tot) : 'of —');
    setText($('memory-sub'), mem !== null && tot !== null && tot > 0
      ? (100 * mem / tot).toFixed(1) + '% in use' : mem === null ? 'unavailable' : 'in use');

    var load = Array.isArray(d.load) ? d.load : null;
    var l1 = load ? num(load[0]) : null, l5 = load ? num(load[1]) : null, l15 = load ? num(load[2]) : null;
    setText($('load'), load ? fmtLoad(l1) + '  ' + fmtLoad(l5) + '  ' + fmtLoad(l15) : '—', !load);

    var th = num(d.threads);
    setText($('threads'), fmtInt(th), th === null);
    var tr = num(d.threads_running);
    setText($('threads-running'), fmtInt(tr), tr === null);

    var cn = num(d.connections);
    setText($('connections'), fmtInt(cn), cn === null);
    var ts = d.tcp_states && typeof d.tcp_states === 'object' ? d.tcp_states : null;
    setText($('tcp-states'), ts
      ? 'established ' + fmtInt(num(ts.established)) + ' · time_wait ' + fmtInt(num(ts.time_wait)) +
        ' · listen ' + fmtInt(num(ts.listen))
      : 'states unavailable', !ts);

    setText($('uptime'), fmtUptime(num(d.uptime)), num(d.uptime) === null);
    var iv = num(d.interval);
    setText($('interval'), fmtSecs(iv), iv === null);
    var cl = num(d.clients);
    setText($('clients'), fmtInt(cl), cl === null);
    var cu = num(d.collect_us);
    setText($('collect'), cu === null ? '—' : (cu >= 1000 ? trim(cu / 1000) + ' ms' : Math.round(cu) + ' µs'), cu === null);
    var tsrc = typeof d.tcp_source === 'string' && d.tcp_source ? d.tcp_source : null;
    setText($('tcp-source'), tsrc || '—', !tsrc);
    var t = typeof d.timestamp === 'string' ? Date.parse(d.timestamp) : NaN;
    setText($('updated'), isFinite(t) ? fmtClock(t) : '—');
  }

  // ---------- charts ----------
  var colorCache = null;
  function colors() {
    if (colorCache) return colorCache;
    var cs = getComputedStyle(document.documentElement), c = {};
    ['--c-cpu', '--c-memory', '--c-threads', '--c-connections', '--c-load1', '--c-load5', '--c-load15',
     '--c-core', '--grid', '--axis', '--muted', '--border'].forEach(function (k) {
      c[k] = cs.getPropertyValue(k).trim() || '#888';
    });
    colorCache = c;
    return c;
  }
  function niceStep(range, n) {
    if (!(range > 0)) return 1;
    var raw = range / n, p = Math.pow(10, Math.floor(Math.log(raw) / Math.LN10)), f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
  }
  function autoRange(lo, hi, opt) {
    if (lo === null) { lo = 0; hi = 1; }
    if (opt.zero) lo = Math.min(0, lo);
    if (opt.minHi !== undefined) hi = Math.max(hi, opt.minHi);
    if (hi - lo <= 0) { var padv = Math.max(Math.abs(hi) * 0.05, opt.integer ? 1 : 0.1); hi += padv; if (!opt.zero) lo -= padv; }
    var step = niceStep(hi - lo, 3);
    if (opt.integer) step = Math.max(1, Math.round(step));
    lo = Math.floor(lo / step) * step;
    hi = Math.ceil(hi / step) * step;
    if (opt.zero && lo < 0 && opt.nonNeg) lo = 0;
    return { lo: lo, hi: hi, step: step };
  }
  var CHARTS = {
    cpu: { series: [['cpu', '--c-cpu']], fill: true, fmt: function (v) { return trim(v) + '%'; },
      range: function () { return { lo: 0, hi: 100, step: 25 }; } },
    memory: { series: [['mem', '--c-memory']], fill: true, fmt: fmtBytesAxis,
      range: function (lo, hi) {
        var tot = null;
        for (var i = pts.length - 1; i >= 0; i--) { if (pts[i].total !== null) { tot = pts[i].total; break; } }
        var top = Math.max(tot || 0, hi || 0);
        if (!(top > 0)) return autoRange(lo, hi, { zero: true, nonNeg: true });
        var step = niceStep(top / GIB >= 1 ? top / GIB : top / MIB, 3) * (top / GIB >= 1 ? GIB : MIB);
        return { lo: 0, hi: top, step: step, topLabel: true };
      } },
    threads: { series: [['threads', '--c-threads']], fill: true, fmt: fmtShort,
      range: function (lo, hi) { return autoRange(lo, hi, { integer: true }); } },
    connections: { series: [['conn', '--c-connections']], fill: true, fmt: fmtShort,
      range: function (lo, hi) { return autoRange(lo, hi, { zero: true, nonNeg: true, integer: true, minHi: 4 }); } },
    load: { series: [['l15', '--c-load15'], ['l5', '--c-load5'], ['l1', '--c-load1']], fill: false, fmt: trim,
      range: function (lo, hi) { return autoRange(lo, hi, { zero: true, nonNeg: true, minHi: 1 }); } }
  };
  function prepCanvas(cv) {
    var r = cv.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) return null;
    var dpr = window.devicePixelRatio || 1;
    var w = Math.round(r.width * dpr), h = Math.round(r.height * dpr);
    if (cv.width !== w || cv.height !== h) { cv.width = w; cv.height = h; }
    var ctx = cv.getContext('2d');
    if (!ctx) return null;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, r.width, r.height);
    return { ctx: ctx, w: r.width, h: r.height };
  }
  function gapMs(p) { return Math.max(3 * p.iv, 3 * BUCKET) + 2000; }
  // Draws one value series as connected runs; breaks at nulls and gaps. Returns points drawn.
  function plotSeries(ctx, get, color, fill, X, Y, baseY, t0) {
    var runs = [], run = [], prev = null, drawn = 0;
    for (var i = 0; i < pts.length; i++) {
      var p = pts[i];
      if (p.t < t0) continue;
      var v = get(p);
      if (v === null) { if (run.length) runs.push(run); run = []; prev = null; continue; }
      if (prev && p.t - prev.t > gapMs(p)) { runs.push(run); run = []; }
      run.push([X(p.t), Y(v)]);
      prev = p;
      drawn++;
    }
    if (run.length) runs.push(run);
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = 1.6;
    ctx.lineJoin = 'round';
    runs.forEach(function (r) {
      if (r.length === 1) {
        ctx.beginPath();
        ctx.arc(r[0][0], r[0][1], 2.5, 0, Math.PI * 2);
        ctx.fill();
        return;
      }
      if (fill) {
        ctx.beginPath();
        ctx.moveTo(r[0][0], baseY);
        r.forEach(function (q) { ctx.lineTo(q[0], q[1]); });
        ctx.lineTo(r[r.length - 1][0], baseY);
        ctx.closePath();
        ctx.globalAlpha = 0.14;
        ctx.fill();
        ctx.globalAlpha = 1;
      }
      ctx.beginPath();
      r.forEach(function (q, j) { if (j) ctx.lineTo(q[0], q[1]); else ctx.moveTo(q[0], q[1]); });
      ctx.stroke();
    });
    return drawn;
  }
  function drawChart(cv) {
    var spec = CHARTS[cv.getAttribute('data-metric')];
    if (!spec) return;
    var g = prepCanvas(cv);
    if (!g) return;
    var ctx = g.ctx, c = colors();
    var padL = 42, padR = 6, padT = 6, padB = 18;
    var pw = Math.max(10, g.w - padL - padR), ph = Math.max(10, g.h - padT - padB);
    var tEnd = pts.length ? pts[pts.length - 1].t : 0, t0 = tEnd - WINDOW;
    var lo = null, hi = null;
    pts.forEach(function (p) {
      if (p.t < t0) return;
      spec.series.forEach(function (s) {
        var v = p[s[0]];
        if (v === null) return;
        if (lo === null || v < lo) lo = v;
        if (hi === null || v > hi) hi = v;
      });
    });
    var R = spec.range(lo, hi);
    var span = R.hi - R.lo || 1;
    function X(t) { return padL + (t - t0) / WINDOW * pw; }
    function Y(v) { return padT + (1 - (Math.min(Math.max(v, R.lo), R.hi) - R.lo) / span) * ph; }

    ctx.font = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    ctx.lineWidth = 1;
    ctx.strokeStyle = c['--grid'];
    ctx.fillStyle = c['--axis'];
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    var ticks = [], k;
    for (k = 0; k < 12; k++) {
      var tv = R.lo + k * R.step;
      if (tv > R.hi + R.step * 1e-6) break;
      ticks.push(tv);
    }
    if (R.topLabel) {
      // The top value gets its own label only with room for it; else it replaces the last tick.
      if (!ticks.length || Y(ticks[ticks.length - 1]) - Y(R.hi) >= 14) ticks.push(R.hi);
      else ticks[ticks.length - 1] = R.hi;
    }
    ticks.forEach(function (tv) {
      var y = Math.round(Y(tv)) + 0.5;
      ctx.beginPath(); ctx.moveTo(padL, y); ctx.lineTo(padL + pw, y); ctx.stroke();
      ctx.fillText(spec.fmt(tv), padL - 5, Math.min(Math.max(y, padT + 5), padT + ph - 1));
    });
    ctx.textBaseline = 'alphabetic';
    for (k = 0; k <= 5; k++) {
      var x = Math.round(padL + (WINDOW - k * 60000) / WINDOW * pw) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, padT); ctx.lineTo(x, padT + ph); ctx.stroke();
      ctx.textAlign = k === 0 ? 'right' : k === 5 ? 'left' : 'center';
      ctx.fillText(k === 0 ? 'now' : '-' + k + 'm', x, g.h - 4);
    }
    var drawn = 0;
    if (pts.length) {
      ctx.save();
      ctx.beginPath(); ctx.rect(padL - 3, padT - 3, pw + 6, ph + 6); ctx.clip();
      var base = Y(R.lo);
      spec.series.forEach(function (s) {
        var n = plotSeries(ctx, function (p) { return p[s[0]]; }, c[s[1]], spec.fill, X, Y, base, t0);
        if (n > drawn) drawn = n;
      });
      ctx.restore();
    }
    if (drawn > 0) {
      cv.dataset.points = String(drawn);
    } else {
      delete cv.dataset.points;
      ctx.fillStyle = c['--muted'];
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(latest ? 'no data' : 'waiting for data…', padL + pw / 2, padT + ph / 2);
    }
  }

  // ---------- per-core ----------
  function buildCores(names) {
    var box = $('cores');
    while (box.firstChild) box.removeChild(box.firstChild);
    coreTiles = [];
    names.forEach(function (id) {
      var tile = document.createElement('div');
      tile.className = 'core';
      tile.setAttribute('data-core', id);
      var row = document.createElement('div');
      row.className = 'row';
      var name = document.createElement('span');
      name.className = 'name';
      name.textContent = id;
      var val = document.createElement('span');
      val.className = 'cv';
      val.textContent = '—';
      row.appendChild(name); row.appendChild(val);
      var cv = document.createElement('canvas');
      cv.className = 'spark';
      cv.setAttribute('data-core', id);
      tile.appendChild(row); tile.appendChild(cv);
      box.appendChild(tile);
      coreTiles.push({ id: id, val: val, cv: cv });
    });
  }
  function renderCores() {
    var d = latest, cur = d && isCoreMap(d.cpu_cores) ? d.cpu_cores : null;
    var names = cur ? Object.keys(cur) : null;
    if (!names) {
      for (var j = pts.length - 1; j >= 0 && !names; j--) { if (pts[j].cores) names = Object.keys(pts[j].cores); }
    }
    // Tiles follow the set of online cores, by id (a hot-unplugged core's tile goes away).
    if (names && names.length && names.join() !== coreTiles.map(function (t) { return t.id; }).join()) buildCores(names);
    if (!coreTiles.length) return;
    var c = colors(), tEnd = pts.length ? pts[pts.length - 1].t : 0, t0 = tEnd - WINDOW;
    coreTiles.forEach(function (tile) {
      var id = tile.id, v = cur ? num(cur[id]) : null;
      setText(tile.val, v === null ? '—' : v.toFixed(0) + '%', v === null);
      var g = prepCanvas(tile.cv);
      if (!g) return;
      var ctx = g.ctx;
      ctx.strokeStyle = c['--grid'];
      ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(0, g.h - 0.5); ctx.lineTo(g.w, g.h - 0.5); ctx.stroke();
      function X(t) { return 1 + (t - t0) / WINDOW * (g.w - 2); }
      function Y(val) { return 2 + (1 - Math.min(Math.max(val, 0), 100) / 100) * (g.h - 3); }
      var drawn = plotSeries(ctx, function (p) { return p.cores && typeof p.cores[id] === 'number' ? p.cores[id] : null; },
        c['--c-core'], true, X, Y, g.h, t0);
      if (drawn > 0) tile.cv.dataset.points = String(drawn); else delete tile.cv.dataset.points;
    });
  }

  // ---------- render loop ----------
  function render() {
    renderPending = false;
    try {
      renderValues();
      var list = document.querySelectorAll('canvas.chart');
      for (var i = 0; i < list.length; i++) drawChart(list[i]);
      renderCores();
    } catch (x) {
      /* a rendering problem must not stop the stream; the next event redraws */
    }
  }
  function scheduleRender() {
    if (renderPending) return;
    renderPending = true;
    var raf = window.requestAnimationFrame || function (f) { return setTimeout(f, 16); };
    raf(render);
    // rAF does not run in hidden tabs; make sure values still update eventually.
    setTimeout(function () { if (renderPending) render(); }, 1000);
  }
  function onLayoutChange() { colorCache = null; scheduleRender(); }
  window.addEventListener('resize', onLayoutChange);
  if (window.ResizeObserver) {
    var ro = new ResizeObserver(function () { scheduleRender(); });
    document.querySelectorAll('canvas.chart').forEach(function (cv) { ro.observe(cv); });
    ro.observe($('cores'));
  }
  if (window.matchMedia) {
    var mq = window.matchMedia('(prefers-color-scheme: dark)');
    if (mq.addEventListener) mq.addEventListener('change', onLayoutChange);
    var watchDpr = function () {
      var m = window.matchMedia('(resolution: ' + (window.devicePixelRatio || 1) + 'dppx)');
      var h = function () { if (m.removeEventListener) m.removeEventListener('change', h); onLayoutChange(); watchDpr(); };
      if (m.addEventListener) m.addEventListener('change', h);
    };
    watchDpr();
  }

  if (typeof EventSource === 'undefined') {
    setText($('status'), 'this browser does not support Server-Sent Events');
    $('state').setAttribute('data-state', 'stopped');
    setText($('state'), 'stopped');
    return;
  }
  scheduleRender();
  connect();
  setInterval(tick, 500);
})();
</script>
</body>
</html>
"""#
}
