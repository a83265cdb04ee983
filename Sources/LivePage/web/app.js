// app.js: the live page's DOM side. Builds the cards from the table in cards.js, feeds events to
// the state in model.js and units.js, and draws (canvas work in draw.js, the services table in
// services.js). Everything it decides is in the pure files (and tested under Node); this one only
// turns it into elements and an EventSource.
(function () {
  'use strict';
  if (typeof document === 'undefined') return;  // loaded by Node: nothing to draw
  const M = self.Procstream, U = self.ProcstreamUnits, D = self.ProcstreamDraw, S = self.ProcstreamServices;
  const { CARDS, META, describe } = self.ProcstreamCards;
  const DASH = M.DASH;
  const state = M.newState(), conn = M.newConn(), units = U.newUnits();
  const views = {};  // card id -> {card, el, note, value, sub, canvas or box + tiles, view: describe()}
  let es = null, retryTimer = 0, renderPending = false, valueKeys = {};

  function $(id) { return document.getElementById(id); }
  function now() { return performance.now(); }
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function setText(e, text, na) {
    if (!e) return;
    if (e.textContent !== text) e.textContent = text;
    if (na !== undefined) e.classList.toggle('na', !!na);
  }
  const swatch = D.swatch;

  // ---------- building the page from the table ----------
  function build() {
    const meta = $('meta');
    for (const m of META) {
      const span = el('span', null, m.label + ' ');
      span.appendChild(el('b', null, DASH)).id = m.id;
      meta.appendChild(span);
    }
    const main = $('main');
    for (const card of CARDS) {
      const sec = el('section', 'card' + (card.size ? ' ' + card.size : ''));
      sec.id = 'card-' + card.id;
      sec.dataset.card = card.id;
      const h2 = sec.appendChild(el('h2'));
      h2.appendChild(el('span', 'title', card.title));
      const v = { card: card, el: sec, note: h2.appendChild(el('span', 'note')), tileIds: null, tiles: [] };
      if (card.value) { v.value = sec.appendChild(el('div', 'value', DASH)); v.value.id = card.id; }
      v.sub = sec.appendChild(el('div', 'sub'));
      v.sub.id = card.id + '-sub';
      if (card.table) {
        S.build(v, units, scheduleRender);
      } else if (card.chart) {
        v.canvas = sec.appendChild(el('canvas', 'chart'));
        v.canvas.dataset.metric = card.id;
        v.canvas.setAttribute('aria-label', card.title + ', last 5 minutes');
      } else if (card.tiles) {
        v.box = sec.appendChild(el('div', 'tiles ' + (card.tiles.layout || 'grid'), ''));
        v.box.id = card.id + '-tiles';
        v.box.appendChild(el('span', 'empty', 'waiting for data…'));
      }
      main.appendChild(sec);
      views[card.id] = v;
    }
  }
  function buildTiles(v, ids) {
    const box = v.box, t = v.card.tiles;
    while (box.firstChild) box.removeChild(box.firstChild);
    v.tiles = ids.map(id => {
      const tile = box.appendChild(el('div', 'tile'));
      tile.dataset.item = id;
      const row = tile.appendChild(el('div', 'row'));
      row.appendChild(el('span', 'name', t.label(id)));
      const val = row.appendChild(el('span', 'tv', DASH));
      const cv = tile.appendChild(el('canvas', 'spark'));
      cv.dataset.item = id;
      const detail = t.detail ? tile.appendChild(el('div', 'detail', '')) : null;
      if (t.series.length > 1) { swatch(val, t.series[0]); if (detail) swatch(detail, t.series[1]); }
      return { id: id, val: val, cv: cv, detail: detail };
    });
    v.tileIds = ids.join('\n');
  }

  // ---------- values ----------
  function renderValue(v, view) {
    const key = JSON.stringify([view.value, view.of]);
    if (valueKeys[v.card.id] === key) return;
    valueKeys[v.card.id] = key;
    const box = v.value;
    while (box.firstChild) box.removeChild(box.firstChild);
    const parts = Array.isArray(view.value);
    box.classList.toggle('parts', parts);
    if (parts) {
      view.value.forEach((pair, i) => {
        const part = box.appendChild(el('span', 'part'));
        const k = part.appendChild(el('span', 'k', pair[0]));
        const s = v.card.chart && v.card.chart.series[i];
        if (s) swatch(k, s);
        part.appendChild(document.createTextNode(pair[1]));
        if (i < view.value.length - 1) box.appendChild(document.createTextNode(' '));
      });
    } else {
      box.appendChild(document.createTextNode(view.value));
      if (view.of) box.appendChild(el('span', 'of', view.of));
    }
  }
  function renderValues() {
    const d = state.latest || {};
    const host = typeof d.host === 'string' && d.host ? d.host : null;
    setText($('host'), host || DASH, !host);
    if (host && document.title !== host + ' · procstream') document.title = host + ' · procstream';
    const ver = typeof d.version === 'string' && d.version ? d.version : null;
    setText($('version'), ver ? 'v' + ver.replace(/^v/, '') : '');
    for (const m of META) { const t = state.latest ? m.text(d) : DASH; setText($(m.id), t, t === DASH); }
    const failing = M.failingFields(state);
    for (const card of CARDS) {
      if (card.table) continue;  // described from its own event, in services.js
      const v = views[card.id], view = state.latest ? describe(card, d, failing) : null;
      v.view = view;
      if (!view) continue;
      if (v.value) { renderValue(v, view); v.value.classList.toggle('na', view.state !== 'ok'); }
      setText(v.sub, view.sub);
      setText(v.note, view.state === 'failing' ? 'failing: ' + view.source : view.note);
      v.el.classList.toggle('failing', view.state === 'failing');
      v.el.dataset.state = view.state;
    }
  }

  // ---------- source errors ----------
  function renderErrors() {
    const box = $('errors'), list = $('error-list');
    while (list.firstChild) list.removeChild(list.firstChild);
    for (const [src, en] of state.errors) {
      const li = list.appendChild(el('li'));
      li.appendChild(el('span', 'src', src));
      li.appendChild(document.createTextNode(': ' + (en.message || 'failed') + ' '));
      li.appendChild(el('span', 'when', '(since ' + M.fmtClock(en.first) + (en.count > 1 ? ', ' + en.count + '×' : '') + ')'));
    }
    box.hidden = state.errors.size === 0;
  }

  // ---------- charts ----------
  function window0() { const pts = state.pts; return (pts.length ? pts[pts.length - 1].t : 0) - M.WINDOW; }
  /** What an empty chart says: why the card has no value, if it knows. */
  function placeholder(view) {
    if (view && view.state !== 'ok') return view.sub;
    return state.latest ? 'no data' : 'waiting for data…';
  }
  function drawChart(v) {
    const card = v.card;
    const series = card.chart.series.map((s, i) => ({
      get: p => (p.v[card.id] ? p.v[card.id][i] : null), color: s.color, fill: card.chart.fill }));
    D.chart(v.canvas, state.pts, window0(), series, card.chart.axis, placeholder(v.view));
  }
  function renderTiles(v) {
    const card = v.card, t = card.tiles;
    const last = v.tileIds ? v.tileIds.split('\n') : null;
    const ids = t.ids(state.latest, last);
    if (ids && ids.length && ids.join('\n') !== v.tileIds) buildTiles(v, ids);
    if (!v.tiles.length) return;
    const d = state.latest, items = d ? M.tileValues(card, d) : null, t0 = window0();
    const getter = (id, i) => p => (p.v[card.id] && p.v[card.id][id] ? p.v[card.id][id][i] : null);
    // One scale for all of a card's tiles, so they compare at a glance; a fitted one is noted.
    const all = [];
    for (const tile of v.tiles) t.series.forEach((s, i) => all.push(getter(tile.id, i)));
    const ext = M.extent(state.pts, t0, all), R = M.scaleAxis(ext.lo, ext.hi, t.axis);
    if (!t.axis.fixed && ext.lo !== null && !v.el.classList.contains('failing')) {
      setText(v.note, 'scale 0–' + R.ticks[R.ticks.length - 1].label);
    }
    for (const tile of v.tiles) {
      const vals = items && items[tile.id] ? items[tile.id] : t.series.map(() => null);
      const text = t.value(vals);
      setText(tile.val, text, text === DASH);
      if (tile.detail) setText(tile.detail, t.detail(vals), vals[1] === null);
      D.spark(tile.cv, state.pts, t0, t.series.map((sr, i) => ({ get: getter(tile.id, i), color: sr.color, fill: sr.fill })), R);
    }
  }

  // ---------- render loop ----------
  function render() {
    renderPending = false;
    try {
      renderValues();
      renderErrors();
      const failing = M.failingFields(state);
      for (const card of CARDS) {
        if (card.chart) drawChart(views[card.id]);
        else if (card.tiles) renderTiles(views[card.id]);
        else if (card.table) S.render(views[card.id], units, failing);
      }
    } catch (x) {
      console.warn('procstream: drawing failed', x);  // the next event redraws
    }
  }
  function scheduleRender() {
    if (renderPending) return;
    renderPending = true;
    requestAnimationFrame(render);
    setTimeout(() => { if (renderPending) render(); }, 1000);  // rAF does not run in hidden tabs
  }

  // ---------- connection ----------
  function updateState() {
    if (es) conn.ready = es.readyState;
    const t = now(), st = M.connState(conn, t), badge = $('state');
    setText(badge, st);
    if (badge.dataset.state !== st) badge.dataset.state = st;
    setText($('status'), M.connStatus(conn, t));
    $('main').classList.toggle('stale', st !== 'live');
  }
  function retry() {
    if (retryTimer) return;
    retryTimer = setTimeout(() => { retryTimer = 0; connect(); }, M.connRetry(conn, now()));
  }
  function connect() {
    clearTimeout(retryTimer);
    retryTimer = 0;
    if (es) es.close();
    M.connStarted(conn);
    let src;
    try { src = new EventSource('events?units=1'); } catch (x) { es = null; M.connFailed(conn, 2); retry(); updateState(); return; }
    es = src;
    src.addEventListener('open', () => { if (src === es) { M.connOpened(conn); updateState(); } });
    src.addEventListener('metrics', e => {
      if (src !== es) return;
      M.connEvent(conn, now());
      const r = M.applyMetrics(state, CARDS, e.data, e.lastEventId);
      if (r === 'accepted') U.noteMetrics(units);
      document.body.dataset.events = String(state.received);
      if (r === 'duplicate') document.body.dataset.dropped = String(state.dropped);
      conn.intervalS = state.intervalS;
      scheduleRender();
      updateState();
    });
    // Per-unit figures of the same tick (same id); replayed history fills the unit series at once.
    src.addEventListener('units', e => {
      if (src !== es) return;
      M.connEvent(conn, now());
      U.applyUnits(units, e.data, e.lastEventId, state.intervalS);
      document.body.dataset.unitEvents = String(units.received);
      scheduleRender();
      updateState();
    });
    src.addEventListener('error', e => {
      if (src !== es) return;
      if (typeof e.data === 'string') {  // an `event: error` from the daemon: a source failed
        M.connEvent(conn, now());
        M.applyError(state, e.data, Date.now());
        scheduleRender();
      } else {                           // the connection failed
        M.connFailed(conn, src.readyState);
        if (src.readyState === 2) retry();
      }
      updateState();
    });
    updateState();
  }
  function tick() {
    if (es) conn.ready = es.readyState;
    const action = M.connTick(conn, now());
    if (action === 'retry') retry();
    else if (action === 'restart') connect();
    if (M.expireErrors(state, Date.now())) scheduleRender();
    updateState();
  }

  build();
  const redraw = () => { D.reset(); valueKeys = {}; scheduleRender(); };
  addEventListener('resize', redraw);
  if (D.dark.addEventListener) D.dark.addEventListener('change', redraw);
  if (self.ResizeObserver) {
    const ro = new ResizeObserver(() => scheduleRender());
    document.querySelectorAll('canvas.chart, .tiles, .svc-wrap').forEach(e => ro.observe(e));
  }
  if (typeof EventSource === 'undefined') {
    setText($('status'), 'this browser does not support Server-Sent Events');
    setText($('state'), 'stopped');
    $('state').dataset.state = 'stopped';
    return;
  }
  scheduleRender();
  connect();
  setInterval(tick, 500);
})();
