// units.js: the services table's pure parts, no DOM. Applying a `units` event (the per-unit
// figures of one tick) to the latest rows and to a bounded set of per-unit series, sorting,
// filtering and cutting the rows to what the table shows. A classic browser script (it defines
// `ProcstreamUnits`, after model.js) that Node can also `require` for Tests/page/*.test.js.
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory(require('./model.js'));
  else root.ProcstreamUnits = factory(root.Procstream);
})(typeof self !== 'undefined' ? self : this, function (M) {
  'use strict';
  const { num, isObject, WINDOW, BUCKET } = M;
  const NUMBERS = ['cpu', 'memory', 'memory_anon', 'tasks', 'io_read', 'io_write'];
  const SERIES = ['cpu', 'memory', 'memory_anon'];  // what is kept over time: the charted fields
  const MAX_UNITS = 200;  // units with a series; points per series are bounded by the window
  const NONE_AFTER = 3;   // metrics events without a units event: this host sends no per-unit data

  /**
   * The units state. rows: the latest event's units as sent (busiest CPU first); series: unit ->
   * {unit, slice, pts: [{t, iv, v: [SERIES values]}], present, lastSeen}; pinned: a unit whose
   * series the bound never drops (the one whose detail is open).
   */
  function newUnits() {
    return { rows: [], series: new Map(), latest: null, lastId: null, lastT: null, received: 0, accepted: 0,
             dropped: 0, metricsSince: 0, pinned: null };
  }
  function parseObject(text) {
    try { const d = JSON.parse(text); return isObject(d) ? d : null; } catch (x) { return null; }
  }
  /** One unit of an event, every figure a finite number or null; null without a unit name. */
  function normRow(u) {
    if (!isObject(u) || typeof u.unit !== 'string' || u.unit === '') return null;
    // Unit names are unique per manager only (each user manager has its own init.scope):
    // a user manager's units are keyed and shown as "user@1000.service/init.scope".
    const name = typeof u.manager === 'string' && u.manager ? u.manager + '/' + u.unit : u.unit;
    const r = { unit: name, slice: typeof u.slice === 'string' ? u.slice : '' };
    for (const k of NUMBERS) r[k] = num(u[k]);
    const p = u.pressure;
    r.pressure = isObject(p) ? { cpu: num(p.cpu), memory: num(p.memory), io: num(p.io) } : null;
    return r;
  }
  /**
   * Applies one `units` event (its data text and lastEventId): 'accepted', 'duplicate' (an id
   * already seen: replayed history) or 'invalid'. Ids work as for metrics (model.js): a smaller id
   * with a later timestamp is a restarted daemon, and is accepted. `intervalS` is the metrics
   * interval, for breaking lines at gaps in time. `"units": null` says this host has none.
   */
  function applyUnits(us, data, lastEventId, intervalS) {
    us.received++;
    const d = parseObject(data);
    if (!d || !(Array.isArray(d.units) || d.units === null)) { us.dropped++; return 'invalid'; }
    const id = typeof lastEventId === 'string' && lastEventId !== '' ? Number(lastEventId) : NaN;
    const t = typeof d.timestamp === 'string' ? Date.parse(d.timestamp) : NaN;
    if (isFinite(id) && us.lastId !== null && id <= us.lastId) {
      const restarted = id < us.lastId && isFinite(t) && us.lastT !== null && t > us.lastT;
      if (!restarted) { us.dropped++; return 'duplicate'; }
    }
    if (isFinite(id)) us.lastId = id;
    us.accepted++;
    us.latest = d;
    us.metricsSince = 0;
    const seen = new Set();
    us.rows = (d.units || []).map(normRow).filter(r => r && !seen.has(r.unit) && seen.add(r.unit));
    if (isFinite(t)) record(us, t, (num(intervalS) > 0 ? intervalS : 1) * 1000);
    return 'accepted';
  }
  /** One accepted metrics event: after NONE_AFTER of them without units, there are none. */
  function noteMetrics(us) { us.metricsSince++; }
  /** 'waiting' (nothing yet), 'ok', or 'none': this daemon or host sends no per-unit data. */
  function availability(us) {
    if (us.metricsSince >= NONE_AFTER || (us.latest && us.latest.units === null)) return 'none';
    return us.latest ? 'ok' : 'waiting';
  }

  // ---------- per-unit series ----------
  function record(us, t, ivMs) {
    if (us.lastT !== null && t < us.lastT) us.series.clear();  // time went backwards: start over
    us.lastT = t;
    const present = new Set(us.rows.map(r => r.unit)), keep = chooseTracked(us, present);
    for (const name of [...us.series.keys()]) if (!keep.has(name)) us.series.delete(name);
    for (const r of us.rows) {
      if (!keep.has(r.unit)) continue;
      let s = us.series.get(r.unit);
      if (!s) us.series.set(r.unit, (s = { unit: r.unit, slice: r.slice, pts: [], present: true, lastSeen: t }));
      s.slice = r.slice;
      s.present = true;
      s.lastSeen = t;
      pushPoint(s, { t: t, iv: ivMs, v: SERIES.map(k => r[k]) });
    }
    for (const s of us.series.values()) {
      if (present.has(s.unit) || !s.present) continue;
      s.present = false;  // just went: one empty point, so its line breaks here if it comes back
      pushPoint(s, { t: t, iv: ivMs, v: SERIES.map(() => null), gap: true });
    }
  }
  /**
   * The units that keep (or get) a series, at most MAX_UNITS: the pinned one, then the present
   * ones in the event's order (busiest CPU first), then stopped ones seen within the window, most
   * recently seen first. On a host with more units than that, the idlest present ones go without.
   */
  function chooseTracked(us, present) {
    const keep = new Set();
    if (us.pinned && (present.has(us.pinned) || us.series.has(us.pinned))) keep.add(us.pinned);
    for (const r of us.rows) { if (keep.size >= MAX_UNITS) break; keep.add(r.unit); }
    const gone = [...us.series.values()]
      .filter(s => !present.has(s.unit) && us.lastT - s.lastSeen <= WINDOW)
      .sort((a, b) => b.lastSeen - a.lastSeen);
    for (const s of gone) { if (keep.size >= MAX_UNITS) break; keep.add(s.unit); }
    return keep;
  }
  /** Adds a point: five minutes kept, at most two a bucket (as model.js addPoint); gaps stay. */
  function pushPoint(s, p) {
    const pts = s.pts, n = pts.length;
    if (n >= 2 && !pts[n - 1].gap && !pts[n - 2].gap && p.t - pts[n - 2].t < BUCKET) pts.length = n - 1;
    pts.push(p);
    const cut = p.t - WINDOW - BUCKET;
    let i = 0;
    while (i < pts.length && pts[i].t < cut) i++;
    if (i > 0) pts.splice(0, i);
  }
  /** A getter for model.js seriesRuns/extent: the value of SERIES field `key` in a point. */
  function getter(key) {
    const i = SERIES.indexOf(key);
    if (i < 0) throw new Error('no series ' + key);
    return p => p.v[i];
  }
  /** 'running' (in the latest event), 'stopped' (seen before, not now) or 'unknown'. */
  function unitStatus(us, name) {
    if (us.rows.some(r => r.unit === name)) return 'running';
    return us.series.has(name) ? 'stopped' : 'unknown';
  }

  // ---------- what the table shows ----------
  /** Case-insensitive substring match on the unit name; an empty or blank filter keeps all. */
  function filterRows(rows, text) {
    const q = String(text || '').trim().toLowerCase();
    return q ? rows.filter(r => r.unit.toLowerCase().indexOf(q) >= 0) : rows.slice();
  }
  function cmp(a, b) { return a < b ? -1 : a > b ? 1 : 0; }
  /**
   * Rows sorted by value(row) (numbers or strings; null or undefined last either way), 'asc' or
   * 'desc'. Stable: equal values keep the order they came in (the daemon's: busiest CPU first).
   */
  function sortRows(rows, value, dir) {
    const sign = dir === 'asc' ? 1 : -1;
    return rows.map((r, i) => [value(r), i, r]).sort((a, b) => {
      const an = a[0] === null || a[0] === undefined, bn = b[0] === null || b[0] === undefined;
      if (an || bn) return an === bn ? a[1] - b[1] : an ? 1 : -1;
      const c = typeof a[0] === 'string' ? cmp(a[0].toLowerCase(), b[0].toLowerCase()) : cmp(a[0], b[0]);
      return c ? sign * c : a[1] - b[1];
    }).map(x => x[2]);
  }
  /** Clicking a column: the same one flips its direction, another starts at its own default. */
  function nextSort(cur, key, defaultDir) {
    if (cur && cur.key === key) return { key: key, dir: cur.dir === 'asc' ? 'desc' : 'asc' };
    return { key: key, dir: defaultDir || 'desc' };
  }
  /**
   * What the table shows: {rows (at most `max`), matched (after the filter), total, more}.
   * `value` is the sort column's value function; sorting by CPU descending is the daemon's order.
   */
  function tableView(rows, opts) {
    const matched = filterRows(rows, opts.filter);
    const sorted = opts.value ? sortRows(matched, opts.value, opts.dir) : matched;
    const max = opts.max > 0 ? opts.max : sorted.length;
    return { rows: sorted.slice(0, max), matched: matched.length, total: rows.length,
             more: Math.max(0, sorted.length - max) };
  }
  /** Sum of a row's read and write rates; null when neither is known. */
  function ioTotal(r) { return r.io_read === null && r.io_write === null ? null : (r.io_read || 0) + (r.io_write || 0); }

  return { NUMBERS, SERIES, MAX_UNITS, NONE_AFTER, newUnits, normRow, applyUnits, noteMetrics, availability,
           pushPoint, getter, unitStatus, filterRows, sortRows, nextSort, tableView, ioTotal };
});
