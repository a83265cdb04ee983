'use strict';
// units.js: the services table's state (per-unit series from `units` events), sort and filter.
const test = require('node:test');
const assert = require('node:assert/strict');
const { M, U, Cards, NGINX, card, unitsEvent } = require('./fixtures.js');

function feed(us, d, id, intervalS) {
  return U.applyUnits(us, typeof d === 'string' ? d : JSON.stringify(d), id === undefined ? '' : String(id), intervalS);
}
const names = rows => rows.map(r => r.unit);
const cpuOf = U.getter('cpu');

test("the README's example: rows as sent, one point per unit", () => {
  const us = U.newUnits();
  assert.equal(U.availability(us), 'waiting');
  const d = { timestamp: '2026-12-01T21:10:00.000Z', units: [NGINX, Object.assign({}, NGINX, { unit: 'sshd.service', cpu: 0.1 })] };
  assert.equal(feed(us, d, 100), 'accepted');
  assert.equal(U.availability(us), 'ok');
  assert.deepEqual(names(us.rows), ['nginx.service', 'sshd.service']);
  assert.deepEqual(us.rows[0], NGINX);
  const s = us.series.get('nginx.service');
  assert.equal(s.pts.length, 1);
  assert.equal(s.pts[0].t, Date.parse(d.timestamp));
  assert.deepEqual(s.pts[0].v, [12.5, 73400320, 41943040]);
  assert.equal(U.unitStatus(us, 'nginx.service'), 'running');
  assert.equal(U.unitStatus(us, 'nope.service'), 'unknown');
});

test('duplicate and older ids are ignored as for metrics; a restarted daemon is not', () => {
  const us = U.newUnits();
  assert.equal(feed(us, unitsEvent([['a.service', 's', 1, 10]], 0), 10), 'accepted');
  assert.equal(feed(us, unitsEvent([['a.service', 's', 2, 20]], 1), 11), 'accepted');
  assert.equal(feed(us, unitsEvent([['a.service', 's', 9, 90]], 1), 11), 'duplicate');  // replayed
  assert.equal(feed(us, unitsEvent([['a.service', 's', 9, 90]], 0), 10), 'duplicate');  // out of order
  assert.equal(us.rows[0].cpu, 2);
  assert.deepEqual(us.series.get('a.service').pts.map(p => p.v[0]), [1, 2]);
  assert.equal(feed(us, unitsEvent([['a.service', 's', 3, 30]], 5), 3), 'accepted');   // later time: restart
  assert.equal(us.lastId, 3);
  for (const bad of ['not json', '[1]', '{"timestamp":"2026-12-01T21:10:00.000Z"}', '{"units":{"a":1}}']) {
    assert.equal(feed(us, bad, 50), 'invalid', bad);
  }
  assert.deepEqual([us.received, us.accepted, us.dropped], [9, 3, 6]);
  assert.equal(us.rows[0].cpu, 3);  // an invalid event changes nothing
});

test('nulls: any figure may be null, and shows as a dash; bad values count as null', () => {
  const us = U.newUnits();
  const u = { unit: 'noacct.service', slice: 'system.slice', cpu: null, memory: null, memory_anon: null, tasks: null,
              io_read: null, io_write: null, pressure: null };
  feed(us, { timestamp: '2026-12-01T21:10:00.000Z', units: [u, { unit: 'odd.service', slice: 'x', cpu: 'high', tasks: 3 }] }, 1);
  assert.deepEqual(us.rows[0], u);
  assert.equal(us.rows[1].cpu, null);
  assert.equal(us.rows[1].memory, null);  // absent
  assert.equal(us.rows[1].tasks, 3);
  assert.deepEqual(us.series.get('noacct.service').pts[0].v, [null, null, null]);
  const t = card('services').table;
  for (const col of t.columns.slice(2)) {
    const text = col.text(us.rows[0]);
    assert.deepEqual(text, Array.isArray(text) ? ['—', '—'] : '—', col.key);
  }
  assert.equal(U.ioTotal(us.rows[0]), null);
  assert.equal(U.ioTotal(Object.assign({}, us.rows[0], { io_write: 5 })), 5);
  assert.deepEqual(t.facts(us.rows[0]).map(f => f[1]), ['—', '—', '—', '—', '—']);
  assert.equal(t.facts(NGINX)[4][1], '0.4% / 0.0% / 0.0%');
});

test('units without a name are left out; a name sent twice keeps its first row', () => {
  const us = U.newUnits();
  feed(us, unitsEvent([['a.service', 's', 5, 1], { slice: 'x', cpu: 1 }, { unit: '', cpu: 1 }, null, ['a.service', 's', 1, 2]]), 1);
  assert.deepEqual(names(us.rows), ['a.service']);
  assert.equal(us.rows[0].cpu, 5);
});

test('a unit that disappears is stopped, its line breaks, and it comes back', () => {
  const us = U.newUnits();
  feed(us, unitsEvent([['a.service', 's', 5, 1], ['b.service', 's', 1, 1]], 0), 1);
  feed(us, unitsEvent([['a.service', 's', 6, 1], ['b.service', 's', 2, 1]], 1), 2);
  feed(us, unitsEvent([['a.service', 's', 7, 1]], 2), 3);
  assert.equal(U.unitStatus(us, 'b.service'), 'stopped');
  assert.deepEqual(names(us.rows), ['a.service']);
  feed(us, unitsEvent([['a.service', 's', 7, 1]], 3), 4);
  const b = us.series.get('b.service');
  assert.equal(b.present, false);
  assert.equal(b.lastSeen, Date.parse(unitsEvent([], 1).timestamp));
  assert.equal(b.pts.length, 3);  // two values and one gap, not one a tick while it is away
  feed(us, unitsEvent([['b.service', 's', 3, 1], ['a.service', 's', 7, 1]], 4), 5);
  assert.equal(U.unitStatus(us, 'b.service'), 'running');
  const runs = M.seriesRuns(b.pts, 0, cpuOf);
  assert.deepEqual(runs.map(r => r.map(q => q[1])), [[1, 2], [3]]);
});

test('a unit not seen for a window is dropped; the open one is kept', () => {
  const us = U.newUnits();
  feed(us, unitsEvent([['a.service', 's', 5, 1], ['b.service', 's', 1, 1], ['c.service', 's', 1, 1]], 0), 1);
  us.pinned = 'c.service';
  feed(us, unitsEvent([['a.service', 's', 5, 1]], 1), 2);
  feed(us, unitsEvent([['a.service', 's', 5, 1]], M.WINDOW / 1000), 3);
  assert.equal(U.unitStatus(us, 'b.service'), 'stopped');  // last seen exactly a window ago: kept
  feed(us, unitsEvent([['a.service', 's', 5, 1]], 1 + M.WINDOW / 1000), 4);
  assert.deepEqual([...us.series.keys()].sort(), ['a.service', 'c.service']);
  assert.equal(U.unitStatus(us, 'b.service'), 'unknown');
  assert.equal(U.unitStatus(us, 'c.service'), 'stopped');
});

test('at most MAX_UNITS series: the busiest, the open one, then the recently stopped', () => {
  const us = U.newUnits(), n = U.MAX_UNITS + 50;
  const many = k => Array.from({ length: k }, (_, i) => ['u' + i + '.service', 'system.slice', k - i, 1]);
  feed(us, unitsEvent(many(10), 0), 1);
  us.pinned = 'u9.service';  // the idlest of the first ten
  feed(us, unitsEvent(many(n).slice(10).concat([['u9.service', 's', 0, 1]]), 1), 2);
  assert.equal(us.rows.length, n - 9);  // the table still has every unit
  assert.equal(us.series.size, U.MAX_UNITS);
  assert.ok(us.series.has('u9.service'), 'the open unit keeps its series');
  assert.ok(us.series.has('u10.service') && us.series.has('u208.service') && !us.series.has('u209.service'));
  assert.ok(!us.series.has('u0.service'), 'stopped units go first when present ones need the room');
  us.pinned = null;
  feed(us, unitsEvent([['x.service', 's', 1, 1]], 2), 3);
  assert.equal(us.series.size, U.MAX_UNITS);  // one present, the rest the most recently seen
  assert.ok(us.series.has('x.service'));
});

test('points per unit: at most two a bucket, five minutes kept, time going back starts over', () => {
  const us = U.newUnits();
  for (let i = 0; i < 1000; i++) feed(us, unitsEvent([['a.service', 's', i % 7, 1]], i * 0.5), 1000 + i, 0.5);
  const pts = us.series.get('a.service').pts;
  assert.ok(pts.length <= 2 * 300 + 4, String(pts.length));
  const span = pts[pts.length - 1].t - pts[0].t;
  assert.ok(span <= M.WINDOW + 2 * M.BUCKET && span >= M.WINDOW - 2 * M.BUCKET, String(span));
  assert.equal(pts[0].iv, 500);
  feed(us, unitsEvent([['a.service', 's', 1, 1]], -100), 5000);  // the clock went backwards
  assert.equal(us.series.get('a.service').pts.length, 1);
});

test('no units events while metrics arrive: no per-unit data on this host', () => {
  const us = U.newUnits();
  U.noteMetrics(us); U.noteMetrics(us);
  assert.equal(U.availability(us), 'waiting');
  U.noteMetrics(us);
  assert.equal(U.availability(us), 'none');
  feed(us, unitsEvent([['a.service', 's', 1, 1]]), 1);
  assert.equal(U.availability(us), 'ok');
  U.noteMetrics(us);  // the next tick's metrics, before its units
  assert.equal(U.availability(us), 'ok');
  assert.equal(feed(us, { timestamp: '2026-12-01T21:10:00.000Z', units: null }, 2), 'accepted');
  assert.equal(U.availability(us), 'none');
  assert.deepEqual(us.rows, []);
});

test('sorting: nulls last either way, stable on ties, names without case', () => {
  const rows = unitsEvent([['b.service', 's', 9, 300], ['A.service', 's', 8, null], ['c.service', 's', 7, 100],
                           ['d.service', 's', 6, 300], ['e.service', 's', null, 200]]).units.map(U.normRow);
  const mem = r => r.memory;
  assert.deepEqual(names(U.sortRows(rows, mem, 'desc')), ['b.service', 'd.service', 'e.service', 'c.service', 'A.service']);
  assert.deepEqual(names(U.sortRows(rows, mem, 'asc')), ['c.service', 'e.service', 'b.service', 'd.service', 'A.service']);
  assert.deepEqual(names(U.sortRows(rows, r => r.cpu, 'desc')), names(rows).slice(0, 4).concat(['e.service']));
  assert.deepEqual(names(U.sortRows(rows, r => r.unit, 'asc')), ['A.service', 'b.service', 'c.service', 'd.service', 'e.service']);
  const same = U.sortRows(rows, () => 1, 'asc');  // every value equal: the daemon's order
  assert.deepEqual(names(same), names(rows));
  assert.deepEqual(names(rows), ['b.service', 'A.service', 'c.service', 'd.service', 'e.service']);  // not sorted in place
});

test('a header click flips the same column, another starts at its default', () => {
  let s = { key: 'cpu', dir: 'desc' };
  s = U.nextSort(s, 'cpu', 'desc');
  assert.deepEqual(s, { key: 'cpu', dir: 'asc' });
  s = U.nextSort(s, 'memory', 'desc');
  assert.deepEqual(s, { key: 'memory', dir: 'desc' });
  assert.deepEqual(U.nextSort(s, 'unit', 'asc'), { key: 'unit', dir: 'asc' });
});

test('filter and the rows shown: substring of the name, any case; at most max, the rest counted', () => {
  const rows = Array.from({ length: 60 }, (_, i) => ({ unit: (i % 2 ? 'Worker@' : 'db-') + i + '.service', slice: 's', cpu: 60 - i }));
  assert.equal(U.filterRows(rows, 'WORKER@').length, 30);
  assert.equal(U.filterRows(rows, '  ').length, 60);
  assert.deepEqual(names(U.filterRows(rows, 'r@5')), ['Worker@5.service', 'Worker@51.service', 'Worker@53.service',
                                                      'Worker@55.service', 'Worker@57.service', 'Worker@59.service']);
  const cpu = r => r.cpu;
  let v = U.tableView(rows, { filter: '', value: cpu, dir: 'desc', max: 50 });
  assert.deepEqual([v.rows.length, v.matched, v.total, v.more], [50, 60, 60, 10]);
  assert.equal(v.rows[0].unit, 'db-0.service');
  v = U.tableView(rows, { filter: 'db-', value: cpu, dir: 'asc', max: 50 });
  assert.deepEqual([v.rows.length, v.matched, v.more], [30, 30, 0]);
  assert.equal(v.rows[0].unit, 'db-58.service');
  assert.equal(U.tableView(rows, { filter: 'nothing' }).rows.length, 0);
});

test('the services card: one table entry, described from the units event', () => {
  const c = card('services'), t = c.table;
  assert.equal(c.event, 'units');
  assert.equal(c.size, 'full');
  assert.deepEqual(t.columns.map(x => x.key), ['unit', 'slice', 'cpu', 'memory', 'tasks', 'io']);
  assert.deepEqual(t.sort, { key: 'cpu', dir: 'desc' });
  for (const ch of t.charts) for (const s of ch.series) assert.ok(U.SERIES.includes(s.key), s.key);
  assert.ok(U.SERIES.includes(t.columns.find(x => x.spark).spark.key));
  const d = unitsEvent([NGINX, ['b.service', 's', 1, 1]]);
  const view = Cards.describe(c, d, {});
  assert.equal(view.state, 'ok');
  assert.equal(view.note, '2 units');
  const none = Cards.describe(c, { units: null }, {});
  assert.equal(none.state, 'null');
  assert.equal(none.sub, 'no per-unit data on this host');
  assert.equal(Cards.describe(c, d, { units: 'cgroup' }).state, 'failing');
  const row = U.normRow(NGINX);
  assert.deepEqual(t.columns.map(x => x.text(row)),
                   ['nginx.service', 'system.slice', '12.5%', '70.0 MiB', '5', ['0 B/s', '4.00 KiB/s']]);
  // The metrics events carry no points for it.
  assert.equal(M.makePoint(Cards.CARDS, {}, 0, 1).v.services, undefined);
});

test("a user manager's units are told apart from the system's by their manager", () => {
  const us = U.newUnits();
  const sys = Object.assign({}, NGINX, { unit: 'init.scope', manager: null, cpu: 0.2 });
  const user = Object.assign({}, NGINX, { unit: 'init.scope', manager: 'user@1000.service', cpu: 0.1 });
  assert.equal(feed(us, { timestamp: '2026-12-01T21:10:00.000Z', units: [sys, user] }, 7), 'accepted');
  assert.deepEqual(names(us.rows), ['init.scope', 'user@1000.service/init.scope']);
  assert.equal(us.series.size, 2);
});
