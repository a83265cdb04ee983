'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { M } = require('./fixtures.js');

// readyState as EventSource has it.
const CONNECTING = 0, OPEN = 1, CLOSED = 2;

test('connecting, then live on the first event', () => {
  const c = M.newConn();
  assert.equal(M.connState(c, 0), 'stopped');  // no EventSource yet
  M.connStarted(c);
  assert.equal(M.connState(c, 0), 'reconnecting');
  assert.equal(M.connStatus(c, 0), 'connecting…');
  M.connOpened(c);
  assert.equal(M.connState(c, 10), 'reconnecting');  // open is not live: no data yet
  assert.equal(M.connStatus(c, 10), 'connected — waiting for data…');
  M.connEvent(c, 100);
  assert.equal(M.connState(c, 100), 'live');
  assert.equal(M.connStatus(c, 100), 'receiving every 1 s');
});

test('silence past 3 intervals + 2 s is not live; much longer restarts the stream', () => {
  const c = M.newConn();
  c.intervalS = 1;
  M.connStarted(c); M.connOpened(c); M.connEvent(c, 0);
  assert.equal(M.connThreshold(c), 5000);
  assert.equal(M.connState(c, 5000), 'live');
  assert.equal(M.connState(c, 5001), 'reconnecting');
  assert.match(M.connStatus(c, 8000), /^connected, but no events for 8 s/);
  assert.equal(M.connTick(c, 15000), null);
  assert.equal(M.connTick(c, 15001), 'restart');
});

test('a dropped connection that EventSource retries by itself is "reconnecting"', () => {
  const c = M.newConn();
  M.connStarted(c); M.connOpened(c); M.connEvent(c, 0);
  M.connFailed(c, CONNECTING);
  assert.equal(M.connState(c, 10), 'reconnecting');
  assert.match(M.connStatus(c, 3000), /^daemon unreachable — reconnecting… \(last data 3 s ago\)$/);
  assert.equal(M.connTick(c, 3000), null);  // nothing for us to do
  M.connOpened(c);
  M.connEvent(c, 4000);
  assert.equal(M.connState(c, 4000), 'live');
});

test('a closed stream (HTTP error) is "stopped" and retried with backoff 2, 4, 8, 10, 10 s', () => {
  const c = M.newConn();
  M.connStarted(c);
  const waits = [];
  for (let i = 0; i < 5; i++) {
    M.connFailed(c, CLOSED);
    assert.equal(M.connState(c, 0), 'stopped');
    assert.equal(M.connTick(c, 0), 'retry');
    waits.push(M.connRetry(c, 1000 * i, 0));
    assert.equal(M.connTick(c, 0), null);  // a retry is scheduled already
    assert.match(M.connStatus(c, 1000 * i), /retrying in \d+ s$/);
    M.connStarted(c);
  }
  assert.deepEqual(waits, [2000, 4000, 8000, 10000, 10000]);
  M.connOpened(c);
  M.connEvent(c, 0);
  assert.equal(M.connRetry(c, 0, 0.999), 2000 + 499);  // an event resets the backoff; jitter < 500 ms
});

test('the interval sets the live threshold', () => {
  const c = M.newConn();
  c.intervalS = 10;
  M.connStarted(c); M.connOpened(c); M.connEvent(c, 0);
  assert.equal(M.connState(c, 31000), 'live');
  assert.equal(M.connState(c, 32001), 'reconnecting');
  assert.equal(M.connStatus(c, 0), 'receiving every 10 s');
});
