// cards.js: the one table the page is built from. Each entry is a card: what it is called, which
// event fields it reads, how it writes them, and what it charts. app.js builds the cards and
// their charts from this list alone, so a new source is one more entry here.
// A classic browser script (it defines `ProcstreamCards`, after model.js and units.js) that Node
// can require.
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory(require('./model.js'), require('./units.js'));
  else root.ProcstreamCards = factory(root.Procstream, root.ProcstreamUnits);
})(typeof self !== 'undefined' ? self : this, function (M, U) {
  'use strict';
  const { num, isObject, pick, fmtBytes, fmtRate, fmtPct, fmtInt, fmtFixed, fmtOps, DASH } = M;

  // Series colours as [light, dark]: the card table carries them, so no CSS change per source.
  const C = {
    blue: ['#2563eb', '#60a5fa'], violet: ['#7c3aed', '#a78bfa'], teal: ['#0f8a7e', '#2dd4bf'],
    orange: ['#c2410c', '#fb923c'], red: ['#dc2626', '#f87171'], amber: ['#d97706', '#fbbf24'],
    cyan: ['#0e7490', '#22d3ee'], pink: ['#be185d', '#f472b6'], green: ['#15803d', '#4ade80'],
  };

  function plural(n, one, many) { return n + ' ' + (n === 1 ? one : many); }
  /** Names of an object's entries, busiest first by score, the first `max` and "+N more". */
  function busiest(obj, score, show, max) {
    if (!isObject(obj)) return '';
    const names = Object.keys(obj).sort((a, b) => (score(obj[b]) || 0) - (score(obj[a]) || 0));
    const out = names.slice(0, max).map(n => show(n, obj[n]));
    if (names.length > max) out.push('+' + (names.length - max) + ' more');
    return out.join(' · ');
  }
  function sum(obj, key) {
    if (!isObject(obj)) return null;
    let s = null;
    for (const k of Object.keys(obj)) { const v = isObject(obj[k]) ? num(obj[k][key]) : null; if (v !== null) s = (s || 0) + v; }
    return s;
  }
  const PRESSURE_NAMES = { cpu: 'CPU', memory: 'memory', io: 'I/O' };

  /*
   * A card: id (DOM ids derive from it), title, fields (the event's top-level fields it reads: the
   * first one absent means this daemon does not send it; named by a failing source's error event,
   * the card is marked failing), size ('wide' or 'full'), value(d) (text, or [[label, text], …]
   * beside the series' colours), of(d) and sub(d) (smaller text), note(d) (heading's right side),
   * nullText (when the first field is null without a failing source) and one of
   *   chart: {series: [{path, label, color}], fill, axis: scaleAxis options}
   *   tiles: {ids(d, last), layout ('grid' or 'rows'), items(d), series: [{key, color, fill}], label(id),
   *           value(vals), detail(vals), axis: one for all its tiles}
   *   table: {columns: [{key, label, hint, value(row), text(row), dir, num, muted, spark}], sort, max, sparkAxis,
   *           facts(row), charts: [{id, title, series: [{key, label, color}], fill, axis}]}, with event:
   *           'units' (its fields and the d it is described with are the units event's)
   */
  const CARDS = [
    {
      id: 'cpu', title: 'CPU', size: 'wide', fields: ['cpu'],
      value: d => fmtPct(d.cpu), sub: () => 'busy, all cores',
      note: d => isObject(d.cpu_cores) ? plural(Object.keys(d.cpu_cores).length, 'core', 'cores') : '',
      chart: { series: [{ path: 'cpu', label: 'busy', color: C.blue }], fill: true,
               axis: { fixed: { lo: 0, hi: 100, step: 25 }, suffix: '%' } },
    },
    {
      id: 'memory', title: 'Memory', fields: ['memory', 'memory_total'],
      value: d => fmtBytes(d.memory),
      of: d => num(d.memory_total) === null ? '' : 'of ' + fmtBytes(d.memory_total),
      sub: d => num(d.memory) !== null && num(d.memory_total) > 0
        ? (100 * d.memory / d.memory_total).toFixed(1) + '% in use (total − available)' : 'in use',
      // Fitted to the data, not 0–total: a few hundred MiB of a large host would be a flat line.
      chart: { series: [{ path: 'memory', label: 'in use', color: C.violet }], fill: true,
               axis: { kind: 'bytes', minSpan: v => Math.max(M.MIB, v * 0.02) } },
    },
    {
      id: 'load', title: 'Load average', fields: ['load'],
      value: d => Array.isArray(d.load) ? [['1m', fmtFixed(d.load[0], 2)], ['5m', fmtFixed(d.load[1], 2)],
                                          ['15m', fmtFixed(d.load[2], 2)]] : DASH,
      sub: () => 'runnable and waiting threads, averaged',
      chart: { series: [{ path: 'load.0', label: '1m', color: C.red }, { path: 'load.1', label: '5m', color: C.amber },
                        { path: 'load.2', label: '15m', color: C.blue }],
               axis: { zero: true, minSpan: 1 } },
    },
    {
      id: 'threads', title: 'Threads', fields: ['threads', 'threads_running'],
      value: d => fmtInt(d.threads), sub: d => fmtInt(d.threads_running) + ' running',
      chart: { series: [{ path: 'threads', label: 'threads', color: C.teal }], fill: true,
               axis: { integer: true, minSpan: 10 } },
    },
    {
      id: 'connections', title: 'TCP connections', fields: ['connections', 'tcp_states'],
      value: d => fmtInt(d.connections),
      sub: d => isObject(d.tcp_states) ? ['established', 'time_wait', 'listen']
        .map(k => k + ' ' + fmtInt(d.tcp_states[k])).join(' · ') : 'states unavailable',
      chart: { series: [{ path: 'connections', label: 'established', color: C.orange }], fill: true,
               axis: { zero: true, integer: true, minSpan: 4 } },
    },
    {
      id: 'network', title: 'Network', fields: ['network'],
      value: d => [['rx', fmtRate(pick(d, 'network.rx'))], ['tx', fmtRate(pick(d, 'network.tx'))]],
      sub: d => busiest(pick(d, 'network.interfaces'), i => isObject(i) ? num(i.rx) + num(i.tx) : 0,
                        (n, i) => n + ' ' + fmtRate(isObject(i) ? (num(i.rx) || 0) + (num(i.tx) || 0) : null), 3)
                || 'bytes per second, all interfaces',
      note: () => 'bytes/s',
      chart: { series: [{ path: 'network.rx', label: 'rx', color: C.cyan }, { path: 'network.tx', label: 'tx', color: C.pink }],
               axis: { kind: 'bytes', zero: true, minSpan: M.KIB } },
    },
    {
      id: 'disk', title: 'Disk', fields: ['disk'],
      value: d => [['read', fmtRate(pick(d, 'disk.read'))], ['write', fmtRate(pick(d, 'disk.write'))]],
      sub: d => {
        const devs = pick(d, 'disk.devices');
        if (!isObject(devs)) return 'bytes per second, all devices';
        const names = Object.keys(devs);
        return 'reads ' + fmtOps(sum(devs, 'reads')) + ' · writes ' + fmtOps(sum(devs, 'writes')) +
          (names.length ? ' · ' + names.slice(0, 3).join(', ') + (names.length > 3 ? ' +' + (names.length - 3) : '') : '');
      },
      note: () => 'bytes/s',
      chart: { series: [{ path: 'disk.read', label: 'read', color: C.green }, { path: 'disk.write', label: 'write', color: C.orange }],
               axis: { kind: 'bytes', zero: true, minSpan: M.KIB } },
    },
    {
      id: 'pressure', title: 'Pressure', fields: ['pressure'], nullText: 'not available on this kernel',
      sub: () => 'share of the last 10 s with tasks stalled: some / full',
      tiles: {
        ids: () => ['cpu', 'memory', 'io'], layout: 'rows',
        items: d => isObject(d.pressure) ? d.pressure : null,
        series: [{ key: 'some', color: C.violet, fill: true }, { key: 'full', color: C.red }],
        label: id => PRESSURE_NAMES[id] || id,
        value: vals => fmtPct(vals[0], 2),
        detail: vals => 'full ' + fmtPct(vals[1], 2),
        axis: { zero: true, minSpan: 1, suffix: '%' },
      },
    },
    {
      id: 'cores', title: 'Per-core CPU', size: 'full', fields: ['cpu_cores'],
      note: () => 'last 5 minutes',
      tiles: {
        // Tiles follow the online cores, by the kernel's id (a hot-unplugged core's tile goes).
        ids: (d, last) => isObject(d && d.cpu_cores) ? Object.keys(d.cpu_cores) : last,
        items: d => isObject(d.cpu_cores) ? d.cpu_cores : null,
        series: [{ key: '', color: C.blue, fill: true }],
        label: id => id,
        value: vals => fmtPct(vals[0], 0),
        axis: { fixed: { lo: 0, hi: 100, step: 100 } },
      },
    },
    // The services card is a table, a different kind of widget from a chart or tiles: it reads
    // its own event (`units`, not `metrics`), its rows come and go, and it has sort, filter and
    // an open unit. So this entry says what it reads and shows (columns, the sparkline, the
    // detail charts) and services.js draws it; the heading, note and failing mark stay shared.
    {
      id: 'services', title: 'Services', size: 'full', event: 'units', fields: ['units'],
      nullText: 'no per-unit data on this host',
      note: d => Array.isArray(d.units) ? plural(d.units.length, 'unit', 'units') : '',
      sub: () => 'systemd units by cgroup; CPU in percent of all CPUs, as in the CPU card',
      table: {
        max: 50,
        // value: what the column sorts by (null sorts last); dir: its first sort direction.
        columns: [
          { key: 'unit', label: 'Unit', value: r => r.unit, text: r => r.unit, dir: 'asc' },
          { key: 'slice', label: 'Slice', value: r => r.slice || null, text: r => r.slice || DASH, dir: 'asc', muted: true },
          { key: 'cpu', label: 'CPU', value: r => r.cpu, text: r => fmtPct(r.cpu), dir: 'desc', num: true,
            spark: { key: 'cpu', color: C.blue } },
          { key: 'memory', label: 'Memory', value: r => r.memory, text: r => fmtBytes(r.memory), dir: 'desc', num: true },
          { key: 'tasks', label: 'Tasks', value: r => r.tasks, text: r => fmtInt(r.tasks), dir: 'desc', num: true },
          { key: 'io', label: 'IO', hint: 'read / write', value: r => U.ioTotal(r), dir: 'desc', num: true,
            text: r => [fmtRate(r.io_read), fmtRate(r.io_write)] },
        ],
        sort: { key: 'cpu', dir: 'desc' },  // the daemon's order
        sparkAxis: { zero: true, minSpan: 1, suffix: '%' },  // one scale for all rows
        // The open unit: a line of facts and its charts over the window, from the kept series.
        facts: r => [['tasks', fmtInt(r.tasks)], ['read', fmtRate(r.io_read)], ['write', fmtRate(r.io_write)],
                     ['anon', fmtBytes(r.memory_anon)],
                     ['pressure cpu / mem / io', r.pressure ? [r.pressure.cpu, r.pressure.memory, r.pressure.io]
                       .map(v => fmtPct(v, 1)).join(' / ') : DASH]],
        charts: [
          { id: 'cpu', title: 'CPU', series: [{ key: 'cpu', label: 'cpu', color: C.blue }], fill: true,
            axis: { zero: true, minSpan: 1, suffix: '%' } },
          { id: 'memory', title: 'Memory', series: [{ key: 'memory', label: 'all', color: C.violet },
                                                    { key: 'memory_anon', label: 'anon', color: C.pink }],
            axis: { kind: 'bytes', zero: true, minSpan: M.MIB } },
        ],
      },
    },
  ];

  // The line under the heading: facts about the daemon rather than cards.
  const META = [
    { id: 'uptime', label: 'uptime', text: d => M.fmtUptime(d.uptime) },
    { id: 'interval', label: 'interval', text: d => M.fmtSecs(d.interval) },
    { id: 'clients', label: 'subscribers', text: d => fmtInt(d.clients) },
    { id: 'collect', label: 'collect', text: d => M.fmtMicros(d.collect_us) },
    { id: 'tcp-source', label: 'tcp source', text: d => typeof d.tcp_source === 'string' && d.tcp_source ? d.tcp_source : DASH },
    { id: 'updated', label: 'updated', text: d => { const t = Date.parse(d.timestamp); return isFinite(t) ? M.fmtClock(t) : DASH; } },
  ];

  /**
   * What a card shows for event d: {value, of, sub, note, state}. state: 'ok'; 'absent' (this
   * daemon does not send the field); 'null' (the field is null: a source failed, or nullText);
   * 'failing' (an error event named one of its fields; `source` says which).
   */
  function describe(card, d, failing) {
    d = d || {};
    failing = failing || {};
    const main = card.fields[0];
    const src = card.fields.map(f => failing[f]).find(Boolean);
    const out = { value: DASH, of: '', sub: '', note: card.note ? card.note(d) : '', state: 'ok', source: null };
    if (src) {
      out.state = 'failing';
      out.source = src;
      out.sub = 'source ' + src + ' failing';
    } else if (!Object.prototype.hasOwnProperty.call(d, main)) {
      out.state = 'absent';
      out.sub = 'not sent by this daemon';
    } else if (d[main] === null) {
      out.state = 'null';
      out.sub = card.nullText || 'unavailable';
    }
    if (out.state !== 'ok') return out;
    if (card.value) out.value = card.value(d);
    if (card.of) out.of = card.of(d);
    if (card.sub) out.sub = card.sub(d);
    return out;
  }

  return { CARDS, META, COLORS: C, describe, busiest, sum };
});
