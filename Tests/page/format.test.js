'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { M } = require('./fixtures.js');

test('bytes: binary units, three significant digits, a dash for nothing', () => {
  const cases = [[0, '0 B'], [512, '512 B'], [1024, '1.00 KiB'], [402518016, '384 MiB'], [25276514304, '23.5 GiB'],
                 [1.26 * M.GIB, '1.26 GiB'], [2 * 1099511627776, '2.00 TiB'], [null, '—'], [undefined, '—'],
                 [NaN, '—'], ['5', '—']];
  for (const [v, want] of cases) assert.equal(M.fmtBytes(v), want, String(v));
});

test('rates and operations per second', () => {
  assert.equal(M.fmtRate(123456), '121 KiB/s');
  assert.equal(M.fmtRate(7890), '7.71 KiB/s');
  assert.equal(M.fmtRate(0), '0 B/s');
  assert.equal(M.fmtRate(null), '—');
  assert.equal(M.fmtOps(10), '10/s');
  assert.equal(M.fmtOps(12345), '12.3k/s');
  assert.equal(M.fmtOps(null), '—');
});

test('percentages, integers, fixed decimals', () => {
  assert.equal(M.fmtPct(4), '4.0%');
  assert.equal(M.fmtPct(1.444, 2), '1.44%');
  assert.equal(M.fmtPct(null), '—');
  assert.equal(M.fmtInt(82.6), '83');
  assert.equal(M.fmtInt(undefined), '—');
  assert.equal(M.fmtFixed(0.18, 2), '0.18');
  assert.equal(M.fmtFixed(Infinity, 2), '—');
});

test('trim keeps about three significant digits and drops trailing zeros', () => {
  assert.deepEqual([384.2, 38.42, 3.842, 0.5, 2, -0.001].map(M.trim), ['384', '38.4', '3.84', '0.5', '2', '0']);
  assert.deepEqual([999, 12345, 1.5e6].map(M.fmtShort), ['999', '12.3k', '1.5M']);
});

test('durations', () => {
  assert.equal(M.fmtUptime(543.86), '9m 3s');
  assert.equal(M.fmtUptime(59), '59s');
  assert.equal(M.fmtUptime(3 * 86400 + 4 * 3600 + 5 * 60), '3d 4h 5m');
  assert.equal(M.fmtUptime(null), '—');
  assert.equal(M.fmtSecs(0.5), '500 ms');
  assert.equal(M.fmtSecs(1), '1 s');
  assert.equal(M.fmtSecs(120), '2 min');
  assert.equal(M.fmtMicros(480), '480 µs');
  assert.equal(M.fmtMicros(1620), '1.62 ms');
  assert.equal(M.fmtAgo(4400), '4 s');
  assert.equal(M.fmtAgo(600000), '10 min');
});

test('clock time is local hh:mm:ss', () => {
  const t = Date.UTC(2026, 10, 25, 14, 5, 9), d = new Date(t);
  const pad = n => String(n).padStart(2, '0');
  assert.equal(M.fmtClock(t), pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()));
});

test('pick reads dotted paths and tells missing from null', () => {
  const d = { pressure: { cpu: { some: 1.44, full: null } }, load: [0.18, 0.09], network: null };
  assert.equal(M.pick(d, 'pressure.cpu.some'), 1.44);
  assert.equal(M.pick(d, 'pressure.cpu.full'), null);
  assert.equal(M.pick(d, 'pressure.io.some'), undefined);
  assert.equal(M.pick(d, 'load.1'), 0.09);
  assert.equal(M.pick(d, 'network.rx'), undefined);
  assert.equal(M.pick(d, 'disk'), undefined);
  assert.equal(M.pick(d, 'toString'), undefined);
});
