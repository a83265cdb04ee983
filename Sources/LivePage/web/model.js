// model.js: the live page's pure parts, no DOM. Formatting, axis scaling, the page state that an
// event updates, source errors, and the connection badge's state machine. A classic browser
// script (it defines `Procstream`) that Node can also `require` for Tests/page/*.test.js.
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.Procstream = factory();
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';
  const KIB = 1024, MIB = 1048576, GIB = 1073741824, TIB = 1099511627776;
  const WINDOW = 300000;           // chart window: 5 minutes, in ms of event time
  const MAXPTS = 300;              // at most ~300 points per chart
  const BUCKET = WINDOW / MAXPTS;  // minimum spacing between kept points
  const DASH = '—';

  // ---------- reading events ----------
  function num(v) { return typeof v === 'number' && isFinite(v) ? v : null; }
  function isObject(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }
  /** The value at a dotted path ('pressure.cpu.some', 'load.0'): undefined if a step is missing. */
  function pick(d, path) {
    let v = d;
    for (const k of String(path).split('.')) {
      if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, k)) return undefined;
      v = v[k];
    }
    return v;
  }

  // ---------- formatting ----------
  /** About three significant digits, trailing zeros dropped: 384, 38.4, 3.84, 0.38. */
  function trim(v) {
    const a = Math.abs(v);
    let s = a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
    if (s.indexOf('.') >= 0) s = s.replace(/0+$/, '').replace(/\.$/, '');
    return s === '-0' ? '0' : s;
  }
  /** Three significant digits, zeros kept: 384, 38.4, 3.84. */
  function sig3(v) { const a = Math.abs(v); return v.toFixed(a >= 99.95 ? 0 : a >= 9.995 ? 1 : 2); }
  const UNITS = [[TIB, 'TiB', 'T'], [GIB, 'GiB', 'G'], [MIB, 'MiB', 'M'], [KIB, 'KiB', 'K']];
  function byteUnit(a) { return UNITS.find(u => a >= u[0]) || [1, 'B', '']; }
  /** 512 B, 1.26 GiB, 968 MiB, 23.5 GiB. */
  function fmtBytes(b) {
    b = num(b);
    if (b === null) return DASH;
    const u = byteUnit(Math.abs(b));
    return (u[0] === 1 ? String(Math.round(b)) : sig3(b / u[0])) + ' ' + u[1];
  }
  /** Bytes per second: 797 KiB/s, 63.8 KiB/s, 1.21 MiB/s. */
  function fmtRate(b) { return num(b) === null ? DASH : fmtBytes(b) + '/s'; }
  function fmtPct(v, digits) { v = num(v); return v === null ? DASH : v.toFixed(digits === undefined ? 1 : digits) + '%'; }
  function fmtInt(v) { v = num(v); return v === null ? DASH : String(Math.round(v)); }
  function fmtFixed(v, digits) { v = num(v); return v === null ? DASH : v.toFixed(digits); }
  function fmtShort(v) {
    const a = Math.abs(v);
    if (a >= 1e6) return trim(v / 1e6) + 'M';
    if (a >= 1e4) return trim(v / 1e3) + 'k';
    return trim(v);
  }
  function fmtOps(v) { v = num(v); return v === null ? DASH : fmtShort(v) + '/s'; }
  function fmtUptime(s) {
    s = num(s);
    if (s === null) return DASH;
    s = Math.max(0, Math.floor(s));
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d > 0) return d + 'd ' + h + 'h ' + m + 'm';
    if (h > 0) return h + 'h ' + m + 'm';
    if (m > 0) return m + 'm ' + (s % 60) + 's';
    return (s % 60) + 's';
  }
  function fmtSecs(s) {
    s = num(s);
    if (s === null) return DASH;
    if (s < 1) return trim(s * 1000) + ' ms';
    if (s < 60) return trim(s) + ' s';
    if (s < 3600) return trim(s / 60) + ' min';
    return trim(s / 3600) + ' h';
  }
  function fmtMicros(us) {
    us = num(us);
    return us === null ? DASH : us >= 1000 ? trim(us / 1000) + ' ms' : Math.round(us) + ' µs';
  }
  function fmtAgo(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 90) return s + ' s';
    if (s < 5400) return Math.round(s / 60) + ' min';
    return Math.round(s / 3600) + ' h';
  }
  function pad2(n) { return n < 10 ? '0' + n : String(n); }
  function fmtClock(t) {
    const d = new Date(t);
    return pad2(d.getHours()) + ':' + pad2(d.getMinutes()) + ':' + pad2(d.getSeconds());
  }

  // ---------- axis scaling ----------
  const NOUNIT = [1, '', ''];
  /** 1, 2, 2.5 (unless `no25`) or 5 times a power of ten, close to range / n. */
  function niceStep(range, n, no25) {
    if (!(range > 0)) return 1;
    const raw = range / n, p = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 && !no25 ? 2.5 : f <= 5 ? 5 : 10) * p;
  }
  /** Decimals that show every multiple of step exactly: 0.25 -> 2, 5 -> 0. */
  function decimalsFor(step) {
    for (let d = 0; d < 6; d++) {
      const x = step * Math.pow(10, d);
      if (Math.abs(x - Math.round(x)) < 1e-6 * Math.max(1, x)) return d;
    }
    return 6;
  }
  /** The data's range widened to opts.minSpan (flat data then sits mid-axis) or padded a little. */
  function padRange(lo, hi, opts) {
    if (lo === null || hi === null) { lo = 0; hi = 0; }
    const nonNeg = lo >= 0;
    if (opts.zero) { lo = Math.min(0, lo); hi = Math.max(0, hi); }
    const mag = Math.max(Math.abs(lo), Math.abs(hi));
    const minSpan = typeof opts.minSpan === 'function' ? opts.minSpan(mag) : opts.minSpan || (opts.integer ? 2 : 1);
    if (hi - lo < minSpan) {
      if (opts.zero && lo === 0) hi = minSpan;
      else { const mid = (lo + hi) / 2; lo = mid - minSpan / 2; hi = mid + minSpan / 2; }
    } else if (!opts.zero) {
      const pad = (hi - lo) * 0.06;  // keeps the line off the frame
      lo -= pad; hi += pad;
    }
    if (nonNeg && lo < 0) { hi -= lo; lo = 0; }
    return [lo, hi];
  }
  /**
   * The y axis for data from lo to hi (null: no data). opts: kind 'bytes' (binary units, labels
   * like 384M) or plain numbers; suffix ('%'); fixed {lo, hi, step}; zero (axis starts at 0);
   * integer (whole steps); minSpan (number, or function of the data's magnitude); ticks (about
   * how many steps, default 3). Returns {lo, hi, step, ticks: [{v, label}]}, lo and hi on steps,
   * every label in one unit with as many decimals as the step needs.
   */
  function scaleAxis(lo, hi, opts) {
    opts = opts || {};
    const n = opts.ticks || 3, bytes = opts.kind === 'bytes', units = bytes ? UNITS : DECIMAL;
    let step, unit;
    if (opts.fixed) {
      ({ lo, hi, step } = opts.fixed);
      unit = axisUnit(units, bytes, Math.max(Math.abs(lo), Math.abs(hi)));
    } else {
      [lo, hi] = padRange(lo, hi, opts);
      unit = axisUnit(units, bytes, Math.max(Math.abs(lo), Math.abs(hi)));
      // A unit too coarse for the step (0.001G) gives way to the next smaller one.
      while (unit !== NOUNIT && niceStep((hi - lo) / unit[0], n, true) < 0.01) unit = units[units.indexOf(unit) + 1] || NOUNIT;
      // Steps of 2.5 only for plain numbers: 1.025G or 2.5 threads make poor labels.
      step = niceStep((hi - lo) / unit[0], n, bytes || opts.integer) * unit[0];
      if (opts.integer || (bytes && unit === NOUNIT)) step = Math.max(1, Math.round(step));
      lo = Math.floor(lo / step + 1e-9) * step;
      hi = Math.ceil(hi / step - 1e-9) * step;
      if (hi <= lo) hi = lo + step;
    }
    const digits = decimalsFor(step / unit[0]), ticks = [];
    for (let k = 0; k <= 20; k++) {
      const v = lo + k * step;
      if (v > hi + step * 1e-6) break;
      const s = (v / unit[0]).toFixed(digits);
      ticks.push({ v: v, label: (Number(s) === 0 ? '0' : s + unit[2]) + (opts.suffix || '') });
    }
    return { lo: lo, hi: hi, step: step, ticks: ticks };
  }
  // Labels: binary units for bytes from 1 KiB on; k, M, G for other numbers from 10 000 on.
  const DECIMAL = [[1e9, '', 'G'], [1e6, '', 'M'], [1e3, '', 'k']];
  function axisUnit(units, bytes, mag) { return units.find(u => mag >= (bytes ? 1 : 10) * u[0]) || NOUNIT; }

  // ---------- points: what the charts draw ----------
  /** One point from an event: per card, its chart's series values (or per tile item). */
  function makePoint(cards, d, t, intervalS) {
    const p = { t: t, iv: (num(d.interval) > 0 ? d.interval : intervalS || 1) * 1000, v: {} };
    for (const card of cards) {
      if (card.chart) p.v[card.id] = card.chart.series.map(s => num(pick(d, s.path)));
      else if (card.tiles) p.v[card.id] = tileValues(card, d);
    }
    return p;
  }
  /** {itemId: [series values]} for a tiles card, or null when its source sends nothing. */
  function tileValues(card, d) {
    const items = card.tiles.items(d);
    if (!isObject(items)) return null;
    const out = {};
    for (const id of Object.keys(items)) {
      const item = items[id];
      out[id] = card.tiles.series.map(s => num(s.key === '' ? item : isObject(item) ? item[s.key] : null));
    }
    return out;
  }
  function gapMs(p) { return Math.max(3 * p.iv, 3 * BUCKET) + 2000; }
  /** Connected runs [[t, v], …] of one series from t0 on, broken at nulls and at gaps in time. */
  function seriesRuns(pts, t0, get) {
    const runs = [];
    let run = [], prev = null;
    for (const p of pts) {
      if (p.t < t0) continue;
      const v = get(p);
      if (v === null || v === undefined) { if (run.length) runs.push(run); run = []; prev = null; continue; }
      if (prev && p.t - prev.t > gapMs(p)) { runs.push(run); run = []; }
      run.push([p.t, v]);
      prev = p;
    }
    if (run.length) runs.push(run);
    return runs;
  }
  /** Smallest and largest value of the given getters over points from t0 on ({lo: null} if none). */
  function extent(pts, t0, getters) {
    let lo = null, hi = null;
    for (const p of pts) {
      if (p.t < t0) continue;
      for (const get of getters) {
        const v = get(p);
        if (v === null || v === undefined) continue;
        if (lo === null || v < lo) lo = v;
        if (hi === null || v > hi) hi = v;
      }
    }
    return { lo: lo, hi: hi };
  }

  // ---------- page state: what the events say ----------
  function newState() {
    return { pts: [], latest: null, lastId: null, lastT: null, received: 0, accepted: 0, dropped: 0,
             intervalS: 1, errors: new Map() };
  }
  function parseObject(text) {
    try { const d = JSON.parse(text); return isObject(d) ? d : null; } catch (x) { return null; }
  }
  /**
   * Applies one `metrics` event (its data text and lastEventId) to the state: 'accepted', or
   * 'duplicate' (a replayed id already seen) or 'invalid'. A smaller id with a later timestamp
   * is a restarted daemon numbering anew, and is accepted.
   */
  function applyMetrics(st, cards, data, lastEventId) {
    st.received++;
    const d = parseObject(data);
    if (!d) { st.dropped++; return 'invalid'; }
    const id = typeof lastEventId === 'string' && lastEventId !== '' ? Number(lastEventId) : NaN;
    const t = typeof d.timestamp === 'string' ? Date.parse(d.timestamp) : NaN;
    if (isFinite(id) && st.lastId !== null && id <= st.lastId) {
      const restarted = id < st.lastId && isFinite(t) && st.lastT !== null && t > st.lastT;
      if (!restarted) { st.dropped++; return 'duplicate'; }
    }
    if (isFinite(id)) st.lastId = id;
    st.accepted++;
    st.latest = d;
    if (num(d.interval) > 0) st.intervalS = d.interval;
    if (isFinite(t)) addPoint(st, makePoint(cards, d, t, st.intervalS));
    noteMetricsForErrors(st, d);
    return 'accepted';
  }
  function addPoint(st, p) {
    const pts = st.pts, n = pts.length;
    if (n && p.t < pts[n - 1].t) pts.length = 0;                        // time went backwards: start over
    else if (n >= 2 && p.t - pts[n - 2].t < BUCKET) pts.length = n - 1;  // too dense: the newest replaces the tail
    pts.push(p);
    st.lastT = p.t;
    const cut = p.t - WINDOW - BUCKET;
    let i = 0;
    while (i < pts.length && pts[i].t < cut) i++;
    if (i > 0) pts.splice(0, i);
  }

  // ---------- source errors ----------
  /**
   * Applies one `error` event: {"source", "message", "fields": [names the source nulled]}. Without
   * `fields` (older daemons) the source is only listed in the banner.
   */
  function applyError(st, data, wallNow) {
    const d = parseObject(data);
    const src = d && typeof d.source === 'string' && d.source ? d.source : 'unknown';
    let en = st.errors.get(src);
    if (!en) { en = { count: 0, first: wallNow, sawNull: false }; st.errors.set(src, en); }
    en.message = d ? (typeof d.message === 'string' ? d.message : '') : String(data);
    en.fields = d && Array.isArray(d.fields) ? d.fields.filter(f => typeof f === 'string') : null;
    en.count++;
    en.at = wallNow;
    en.since = 0;
    return src;
  }
  /** A source whose fields were null and are back is cleared at once. */
  function noteMetricsForErrors(st, d) {
    for (const [src, en] of st.errors) {
      en.since++;
      if (!en.fields || !en.fields.length) continue;
      if (en.fields.some(f => d[f] === null || d[f] === undefined)) en.sawNull = true;
      else if (en.sawNull) st.errors.delete(src);
    }
  }
  /** Drops sources that sent no error for two metrics events and a while; true if any went. */
  function expireErrors(st, wallNow) {
    const quiet = Math.max(2 * st.intervalS * 1000, 1500);
    let changed = false;
    for (const [src, en] of st.errors) {
      if (en.since >= 2 && wallNow - en.at >= quiet) { st.errors.delete(src); changed = true; }
    }
    return changed;
  }
  /** {field: failing source} from the errors that named their fields. */
  function failingFields(st) {
    const out = {};
    for (const [src, en] of st.errors) for (const f of en.fields || []) out[f] = src;
    return out;
  }

  // ---------- connection: the state badge ----------
  // `ready` mirrors EventSource.readyState (0 connecting, 1 open, 2 closed; null: none). Times
  // are one monotonic clock in ms, passed in.
  function newConn() {
    return { ready: null, openedOnce: false, gotOnConn: false, lastEventAt: null, backoff: 2000,
             retryAt: null, intervalS: 1 };
  }
  function connStarted(c) { c.ready = 0; c.gotOnConn = false; c.retryAt = null; }
  function connOpened(c) { c.ready = 1; c.openedOnce = true; }
  function connEvent(c, now) { c.ready = 1; c.gotOnConn = true; c.lastEventAt = now; c.backoff = 2000; }
  /** A connection-level error: EventSource retries by itself unless `ready` is 2 (closed). */
  function connFailed(c, ready) { c.ready = ready; c.gotOnConn = false; }
  /** Schedules our own reopen of a closed stream; returns the wait in ms (backoff 2 s … 10 s). */
  function connRetry(c, now, random) {
    const wait = c.backoff + Math.floor((random === undefined ? Math.random() : random) * 500);
    c.backoff = Math.min(c.backoff * 2, 10000);
    c.retryAt = now + wait;
    return wait;
  }
  function connThreshold(c) { return (3 * c.intervalS + 2) * 1000; }
  function connState(c, now) {
    if (c.ready === null || c.ready === 2) return 'stopped';
    if (c.ready === 1 && c.gotOnConn && now - c.lastEventAt <= connThreshold(c)) return 'live';
    return 'reconnecting';
  }
  /** What the timer should do: 'retry' a closed stream, 'restart' a silently dead one, or null. */
  function connTick(c, now) {
    if (c.ready === 2 && c.retryAt === null) return 'retry';
    if (c.ready === 1 && c.gotOnConn && now - c.lastEventAt > 2 * connThreshold(c) + 5000) return 'restart';
    return null;
  }
  function connStatus(c, now) {
    const st = connState(c, now), ago = c.lastEventAt === null ? null : now - c.lastEventAt;
    if (st === 'live') return 'receiving every ' + fmtSecs(c.intervalS);
    if (st === 'stopped') {
      const left = c.retryAt === null ? 0 : Math.max(0, Math.ceil((c.retryAt - now) / 1000));
      return 'stream closed (HTTP error or refused) — retrying' + (left ? ' in ' + left + ' s' : '…');
    }
    if (c.ready === 1) return c.gotOnConn ? 'connected, but no events for ' + fmtAgo(ago) + ' — waiting…' : 'connected — waiting for data…';
    if (!c.openedOnce && ago === null) return 'connecting…';
    return 'daemon unreachable — reconnecting…' + (ago !== null ? ' (last data ' + fmtAgo(ago) + ' ago)' : '');
  }

  return {
    KIB, MIB, GIB, WINDOW, BUCKET, DASH, num, isObject, pick, trim, fmtBytes, fmtRate, fmtPct, fmtInt, fmtFixed,
    fmtShort, fmtOps, fmtUptime, fmtSecs, fmtMicros, fmtAgo, fmtClock, niceStep, decimalsFor, scaleAxis, makePoint,
    tileValues, gapMs, seriesRuns, extent, newState, applyMetrics, addPoint, applyError, noteMetricsForErrors,
    expireErrors, failingFields, newConn, connStarted, connOpened, connEvent, connFailed, connRetry,
    connThreshold, connState, connTick, connStatus,
  };
});
