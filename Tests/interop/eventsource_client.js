// The npm `eventsource` package (Debian's node-eventsource) subscribed to URL; prints one JSON
// line per event with its receive time (see common.Client). It reconnects by itself after the
// server's `retry:` and sends Last-Event-ID. Usage: node eventsource_client.js URL
'use strict';
const EventSource = require('eventsource'); // NODE_PATH=/usr/share/nodejs (set by the suite)

const out = (fields) => process.stdout.write(JSON.stringify({ t: Date.now() / 1000, ...fields }) + '\n');

out({ start: true });
const source = new EventSource(process.argv[2]);
source.onopen = () => out({ open: true });
source.onerror = (e) => out({ error: (e && (e.message || e.status)) || 'connection lost' });
source.addEventListener('metrics', (e) => out({ id: e.lastEventId, event: e.type, data: e.data }));
setTimeout(() => process.exit(3), 60000); // the suite stops it sooner; never outlive it
