'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { M, Cards, SOON, event } = require('./fixtures.js');

const CARDS = Cards.CARDS;
function feed(st, d, id) { return M.applyMetrics(st, CARDS, JSON.stringify(d), id === undefined ? '' : String(id)); }

test('an event becomes the latest state and one chart point per card', () => {
  const st = M.newState();
  assert.equal(feed(st, event(SOON), 100), 'accepted');
  assert.equal(st.latest.host, 'vm');
  assert.equal(st.pts.length, 1);
  const v = st.pts[0].v;
  assert.deepEqual(v.cpu, [4.0]);
  assert.deepEqual(v.load, [0.18, 0.09, 0.05]);
  assert.deepEqual(v.network, [123456.0, 7890.0]);
  assert.deepEqual(v.disk, [0.0, 40960.0]);
  assert.deepEqual(v.cores, { cpu0: [7.07], cpu1: [2.0] });
  assert.deepEqual(v.pressure, { cpu: [1.44, null], memory: [0, 0], io: [0.08, 0] });
});

test("today's daemon: the new sources' points are empty, not zero", () => {
  const st = M.newState();
  feed(st, event(), 1);
  assert.deepEqual(st.pts[0].v.network, [null, null]);
  assert.deepEqual(st.pts[0].v.disk, [null, null]);
  assert.equal(st.pts[0].v.pressure, null);
  feed(st, event({ pressure: null, cpu_cores: { cpu0: 5, cpu1: null } }, 1), 2);
  assert.equal(st.pts[1].v.pressure, null);
  assert.deepEqual(st.pts[1].v.cores, { cpu0: [5], cpu1: [null] });
});

test('replayed ids are dropped; a restarted daemon numbering anew is not', () => {
  const st = M.newState();
  assert.equal(feed(st, event({}, 0), 10), 'accepted');
  assert.equal(feed(st, event({}, 1), 11), 'accepted');
  assert.equal(feed(st, event({}, 1), 11), 'duplicate');
  assert.equal(feed(st, event({}, 0), 10), 'duplicate');      // older id, older time: a replay
  assert.equal(feed(st, event({}, 5), 3), 'accepted');        // older id, later time: a restart
  assert.equal(M.applyMetrics(st, CARDS, 'not json', '12'), 'invalid');
  assert.equal(M.applyMetrics(st, CARDS, '[1,2]', '13'), 'invalid');
  assert.deepEqual([st.received, st.accepted, st.dropped], [7, 3, 4]);
  assert.equal(st.lastId, 3);
});

test('points: at most two a bucket, five minutes kept, restart on time going back', () => {
  const st = M.newState();
  for (let i = 0; i < 1000; i++) feed(st, event({ interval: 0.5 }, i * 0.5), 1000 + i);
  assert.ok(st.pts.length <= 2 * 300 + 4, String(st.pts.length));
  for (let i = 2; i < st.pts.length; i++) assert.ok(st.pts[i].t - st.pts[i - 2].t >= M.BUCKET);
  const span = st.pts[st.pts.length - 1].t - st.pts[0].t;
  assert.ok(span <= M.WINDOW + 2 * M.BUCKET && span >= M.WINDOW - 2 * M.BUCKET, String(span));
  assert.equal(st.intervalS, 0.5);
  feed(st, event({}, -100), 5000);  // the clock went backwards
  assert.equal(st.pts.length, 1);
});

test('an error naming its fields marks those cards failing until the fields return', () => {
  const st = M.newState();
  feed(st, event(), 1);
  const err = { source: 'meminfo', message: 'open(/proc/meminfo): No such file or directory (errno 2)',
                fields: ['memory', 'memory_total'] };
  assert.equal(M.applyError(st, JSON.stringify(err), 1000), 'meminfo');
  feed(st, event({ memory: null, memory_total: null }, 1), 2);
  const failing = M.failingFields(st);
  assert.deepEqual(failing, { memory: 'meminfo', memory_total: 'meminfo' });
  const mem = Cards.describe(CARDS.find(c => c.id === 'memory'), st.latest, failing);
  assert.equal(mem.state, 'failing');
  assert.equal(mem.source, 'meminfo');
  assert.equal(mem.value, '—');
  assert.equal(Cards.describe(CARDS.find(c => c.id === 'cpu'), st.latest, failing).state, 'ok');
  M.applyError(st, JSON.stringify(err), 2000);
  assert.equal(st.errors.get('meminfo').count, 2);
  feed(st, event({}, 2), 3);  // memory is back: cleared at once
  assert.equal(st.errors.size, 0);
});

test('an error without fields only lists the source, and expires when errors stop', () => {
  const st = M.newState();
  feed(st, event(), 1);
  M.applyError(st, JSON.stringify({ source: 'meminfo', message: 'gone' }), 1000);
  assert.deepEqual(M.failingFields(st), {});
  assert.equal(st.errors.get('meminfo').fields, null);
  feed(st, event({ memory: null }, 1), 2);
  assert.equal(M.expireErrors(st, 5000), false);  // one quiet event is not enough
  feed(st, event({}, 2), 3);
  assert.equal(M.expireErrors(st, 1500), false);  // nor is a short while
  assert.equal(M.expireErrors(st, 5000), true);
  assert.equal(st.errors.size, 0);
});

test('malformed error events still show up, under "unknown"', () => {
  const st = M.newState();
  assert.equal(M.applyError(st, 'not json', 1), 'unknown');
  assert.equal(st.errors.get('unknown').message, 'not json');
  M.applyError(st, JSON.stringify({ source: 'x', message: 'm', fields: ['ok', 3, null] }), 2);
  assert.deepEqual(st.errors.get('x').fields, ['ok']);
});
