'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { M, Cards, TODAY, SOON, event, card } = require('./fixtures.js');

const CARDS = Cards.CARDS;
const topField = path => path.split('.')[0];

test('the table: unique ids, fields named, every series reads one of its fields', () => {
  assert.equal(new Set(CARDS.map(c => c.id)).size, CARDS.length);
  for (const c of CARDS) {
    assert.ok(c.title && Array.isArray(c.fields) && c.fields.length, c.id);
    assert.ok(!!c.chart !== !!c.tiles || (!c.chart && !c.tiles), c.id + ': a chart or tiles, not both');
    for (const s of c.chart ? c.chart.series : []) {
      assert.ok(c.fields.includes(topField(s.path)), c.id + ' reads ' + s.path + ' outside its fields');
      assert.ok(Array.isArray(s.color) && s.color.length === 2 && s.color.every(x => /^#[0-9a-f]{6}$/.test(x)), c.id);
    }
  }
  for (const id of ['cpu', 'memory', 'threads', 'connections', 'load', 'cores', 'pressure', 'network', 'disk']) {
    assert.ok(card(id), 'no ' + id + ' card');
  }
});

test("today's daemon: the old cards show values, the new ones a dash", () => {
  const d = event();
  const text = id => Cards.describe(card(id), d, {});
  assert.equal(text('cpu').value, '4.0%');
  assert.equal(text('cpu').note, '2 cores');
  assert.equal(text('memory').value, '384 MiB');
  assert.equal(text('memory').of, 'of 23.5 GiB');
  assert.equal(text('memory').sub, '1.6% in use (total − available)');
  assert.deepEqual(text('load').value, [['1m', '0.18'], ['5m', '0.09'], ['15m', '0.05']]);
  assert.equal(text('threads').value, '83');
  assert.equal(text('threads').sub, '1 running');
  assert.equal(text('connections').sub, 'established 2 · time_wait 0 · listen 2');
  for (const id of ['pressure', 'network', 'disk']) {
    assert.equal(text(id).state, 'absent', id);
    assert.equal(text(id).value, '—', id);
    assert.equal(text(id).sub, 'not sent by this daemon', id);
  }
});

test('the new sources, as the daemon will send them', () => {
  const d = event(SOON);
  const net = Cards.describe(card('network'), d, {});
  assert.deepEqual(net.value, [['rx', '121 KiB/s'], ['tx', '7.71 KiB/s']]);
  assert.equal(net.sub, 'eth0 128 KiB/s');
  const disk = Cards.describe(card('disk'), d, {});
  assert.deepEqual(disk.value, [['read', '0 B/s'], ['write', '40.0 KiB/s']]);
  assert.equal(disk.sub, 'reads 0/s · writes 10/s · vda');
  assert.equal(Cards.describe(card('pressure'), d, {}).state, 'ok');
  const tiles = M.tileValues(card('pressure'), d), t = card('pressure').tiles;
  assert.deepEqual(t.ids(d).map(id => [t.label(id), t.value(tiles[id]), t.detail(tiles[id])]),
                   [['CPU', '1.44%', 'full —'], ['memory', '0.00%', 'full 0.00%'], ['I/O', '0.08%', 'full 0.00%']]);
});

test('no PSI on this kernel: "pressure": null', () => {
  const p = Cards.describe(card('pressure'), event({ pressure: null }), {});
  assert.equal(p.state, 'null');
  assert.equal(p.sub, 'not available on this kernel');
  assert.equal(M.tileValues(card('pressure'), event({ pressure: null })), null);
});

test('null fields from a failed source without an error naming them', () => {
  const m = Cards.describe(card('memory'), event({ memory: null, memory_total: null }), {});
  assert.equal(m.state, 'null');
  assert.equal(m.value, '—');
  assert.equal(m.sub, 'unavailable');
});

test('per-core tiles are keyed by the kernel CPU id, and keep the last set while cores are null', () => {
  const t = card('cores').tiles;
  assert.deepEqual(t.ids(event({ cpu_cores: { cpu0: 1, cpu2: null } }), null), ['cpu0', 'cpu2']);
  assert.deepEqual(t.ids(event({ cpu_cores: null }), ['cpu0', 'cpu2']), ['cpu0', 'cpu2']);
  assert.equal(t.value([null]), '—');
  assert.equal(t.value([7.07]), '7%');
});

test('interfaces and devices: busiest first, the rest counted', () => {
  const ifs = { a: { rx: 1, tx: 0 }, b: { rx: 500, tx: 500 }, c: { rx: 9, tx: 0 }, d: { rx: 0, tx: 0 } };
  const show = (n, i) => n + '=' + (i.rx + i.tx);
  assert.equal(Cards.busiest(ifs, i => i.rx + i.tx, show, 2), 'b=1000 · c=9 · +2 more');
  assert.equal(Cards.busiest(null, () => 0, show, 2), '');
  assert.equal(Cards.sum({ x: { reads: 1 }, y: { reads: 2.5 }, z: {} }, 'reads'), 3.5);
});

test('the meta line', () => {
  const text = Object.fromEntries(Cards.META.map(m => [m.id, m.text(TODAY)]));
  assert.equal(text.uptime, '9m 3s');
  assert.equal(text.interval, '1 s');
  assert.equal(text.collect, '480 µs');
  assert.equal(text['tcp-source'], 'netlink');
});
