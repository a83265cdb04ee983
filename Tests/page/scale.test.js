'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { M, card } = require('./fixtures.js');

const labels = r => r.ticks.map(t => t.label);

test('niceStep picks 1, 2, 2.5 or 5 times a power of ten', () => {
  assert.deepEqual([1, 3, 6, 7.5, 14, 0.3, 300].map(r => M.niceStep(r, 3)), [0.5, 1, 2, 2.5, 5, 0.1, 100]);
  assert.equal(M.niceStep(7.5, 3, true), 5);
  assert.equal(M.niceStep(0, 3), 1);
});

test('a fixed axis is used as it is', () => {
  const r = M.scaleAxis(3, 9, card('cpu').chart.axis);
  assert.deepEqual(labels(r), ['0%', '25%', '50%', '75%', '100%']);
});

test('memory is fitted to its data, not to 0..total', () => {
  const axis = card('memory').chart.axis;
  // 384 MiB in use, nearly flat: the axis sits around it with round MiB ticks.
  const r = M.scaleAxis(402518016, 402818016, axis);
  assert.deepEqual(labels(r), ['380M', '385M', '390M']);
  assert.ok(r.lo <= 402518016 && r.hi >= 402818016);
  // Moving between 1.01 and 1.08 GiB: GiB labels with the decimals the step needs.
  assert.deepEqual(labels(M.scaleAxis(1.01 * M.GIB, 1.08 * M.GIB, axis)), ['1.00G', '1.05G', '1.10G']);
  // A completely flat line still gets an axis around it, never a zero span.
  const flat = M.scaleAxis(8 * M.GIB, 8 * M.GIB, axis);
  assert.ok(flat.lo < 8 * M.GIB && flat.hi > 8 * M.GIB, JSON.stringify(flat));
});

test('a byte unit too coarse for the step gives way to a smaller one', () => {
  const r = M.scaleAxis(M.GIB, M.GIB + 3 * M.MIB, { kind: 'bytes', minSpan: M.MIB });
  assert.ok(labels(r).every(l => l.endsWith('M')), labels(r).join(' '));
});

test('rates start at zero; an idle link still has a readable axis', () => {
  const axis = card('network').chart.axis;
  assert.deepEqual(labels(M.scaleAxis(null, null, axis)), ['0', '0.5K', '1.0K']);
  assert.deepEqual(labels(M.scaleAxis(7890, 123456, axis)), ['0', '50K', '100K', '150K']);
});

test('counts take whole steps', () => {
  assert.deepEqual(labels(M.scaleAxis(null, null, card('connections').chart.axis)), ['0', '2', '4']);
  const r = M.scaleAxis(83, 90, card('threads').chart.axis);
  assert.ok(r.ticks.every(t => Number.isInteger(t.v)));
  assert.ok(r.lo <= 83 && r.hi >= 90);
});

test('properties over many ranges: data inside, steps even, labels distinct', () => {
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const kinds = [{ kind: 'bytes' }, { kind: 'bytes', zero: true, minSpan: M.KIB }, { zero: true, minSpan: 1 },
                 { integer: true, minSpan: 10 }, { suffix: '%', zero: true, minSpan: 1 },
                 card('memory').chart.axis];
  for (let i = 0; i < 3000; i++) {
    const opts = kinds[i % kinds.length];
    const mag = Math.pow(10, rand() * 12), lo = rand() * mag, hi = lo + rand() * rand() * mag;
    const r = M.scaleAxis(lo, hi, opts), where = JSON.stringify({ lo, hi, opts: opts.kind, r: labels(r) });
    assert.ok(r.lo <= lo + 1e-9 * mag && r.hi >= hi - 1e-9 * mag, 'data outside the axis ' + where);
    assert.ok(r.ticks.length >= 2 && r.ticks.length <= 9, 'tick count ' + where);
    assert.equal(new Set(labels(r)).size, r.ticks.length, 'labels repeat ' + where);
    assert.ok(r.ticks.every(t => t.label.length <= 7), 'label too long ' + where);
  }
});

test('series runs break at nulls and at gaps in time', () => {
  const pts = [0, 1, 2, 3, 20, 21].map(s => ({ t: s * 1000, iv: 1000, v: s === 2 ? null : s }));
  const runs = M.seriesRuns(pts, 0, p => p.v);
  assert.deepEqual(runs.map(r => r.map(q => q[1])), [[0, 1], [3], [20, 21]]);
  assert.deepEqual(M.extent(pts, 1500, [p => p.v]), { lo: 3, hi: 21 });
  assert.deepEqual(M.extent([], 0, [p => p.v]), { lo: null, hi: null });
});
