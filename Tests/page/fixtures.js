// Shared inputs for the page tests: the modules under test and events as the daemon sends them.
'use strict';
const path = require('node:path');
const WEB = path.join(__dirname, '..', '..', 'Sources', 'LivePage', 'web');
const M = require(path.join(WEB, 'model.js'));
const U = require(path.join(WEB, 'units.js'));
const Cards = require(path.join(WEB, 'cards.js'));

/** A metrics event from today's daemon (README "Event format"): no pressure, network or disk. */
const TODAY = {
  timestamp: '2026-11-25T14:50:12.532Z', host: 'vm', version: '0.1.0', interval: 1, cpu: 4.0,
  cpu_cores: { cpu0: 7.07, cpu1: 2.0 }, memory: 402518016, memory_total: 25276514304, load: [0.18, 0.09, 0.05],
  threads: 83, threads_running: 1, connections: 2,
  tcp_states: { established: 2, syn_sent: 0, syn_recv: 0, fin_wait1: 0, fin_wait2: 0, time_wait: 0, close: 0,
                close_wait: 0, last_ack: 0, listen: 2, closing: 0 },
  tcp_source: 'netlink', uptime: 543.86, clients: 1, collect_us: 480,
};

/** The fields the daemon will send soon (the brief's examples). */
const SOON = {
  pressure: { cpu: { some: 1.44, full: null }, memory: { some: 0.0, full: 0.0 }, io: { some: 0.08, full: 0.0 } },
  network: { rx: 123456.0, tx: 7890.0, interfaces: { eth0: { rx: 123456.0, tx: 7890.0 } } },
  disk: { read: 0.0, write: 40960.0, devices: { vda: { read: 0.0, write: 40960.0, reads: 0.0, writes: 10.0 } } },
};

/** `TODAY` merged with `extra`, stamped `seconds` after its timestamp. */
function event(extra, seconds) {
  const d = Object.assign({}, TODAY, extra || {});
  d.timestamp = new Date(Date.parse(TODAY.timestamp) + (seconds || 0) * 1000).toISOString();
  return d;
}
function card(id) { return Cards.CARDS.find(c => c.id === id); }

/** A units event (README's wire format): `units` as [name, slice, cpu, memory, …] or objects. */
function unitsEvent(units, seconds) {
  const at = new Date(Date.parse(TODAY.timestamp) + (seconds || 0) * 1000).toISOString();
  return {
    timestamp: at,
    units: units.map(u => Array.isArray(u) ? {
      unit: u[0], slice: u[1], cpu: u[2], memory: u[3], memory_anon: u[4] === undefined ? null : u[4],
      tasks: u[5] === undefined ? 1 : u[5], io_read: 0.0, io_write: 4096.0, pressure: { cpu: 0.4, memory: 0.0, io: 0.0 },
    } : u),
  };
}
/** The README's example unit. */
const NGINX = { unit: 'nginx.service', slice: 'system.slice', cpu: 12.5, memory: 73400320, memory_anon: 41943040,
                tasks: 5, io_read: 0.0, io_write: 4096.0, pressure: { cpu: 0.4, memory: 0.0, io: 0.0 } };

module.exports = { WEB, M, U, Cards, TODAY, SOON, NGINX, event, card, unitsEvent };
