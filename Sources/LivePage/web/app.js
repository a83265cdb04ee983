// app.js: the live page's DOM side. Builds the cards from the table in cards.js, feeds events to
// the state in model.js, and draws. Everything it decides is in those two files (and tested under
// Node); this one only turns it into elements, canvas pixels and an EventSource.
(function () {
  'use strict';
  if (typeof document === 'undefined') return;  // loaded by Node: nothing to draw
  const M = self.Procstream, { CARDS, META, describe } = self.ProcstreamCards;
  const DASH = M.DASH;
  const state = M.newState(), conn = M.newConn();
  const views = {};  // card id -> {card, el, note, value, sub, canvas or box + tiles, view: describe()}
  let es = null, retryTimer = 0, renderPending = false, colorCache = null, valueKeys = {};
  const dark = self.matchMedia ? matchMedia('(prefers-color-scheme: dark)') : { matches: false };

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
  function seriesColor(s) { return s.color[dark.matches ? 1 : 0]; }
  /** A series colour on an element's swatch, through CSSOM (allowed by `style-src 'self'`). */
  function swatch(e, s) {
    e.classList.add('swatch');
    e.style.setProperty('--lc-light', s.color[0]);
    e.style.setProperty('--lc-dark', s.color[1]);
  }

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
      if (card.chart) {
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
  function colors() {
    if (colorCache) return colorCache;
    const cs = getComputedStyle(document.documentElement), c = {};
    for (const k of ['--grid', '--axis', '--muted']) c[k] = cs.getPropertyValue(k).trim() || '#888';
    return (colorCache = c);
  }
  function prepCanvas(cv) {
    const r = cv.getBoundingClientRect();
    const cs = getComputedStyle(cv), padTop = parseFloat(cs.paddingTop) || 0;
    const w = r.width, h = r.height - padTop;
    if (w < 2 || h < 2) return null;
    const dpr = self.devicePixelRatio || 1, pw = Math.round(w * dpr), ph = Math.round(h * dpr);
    if (cv.width !== pw || cv.height !== ph) { cv.width = pw; cv.height = ph; }
    const ctx = cv.getContext('2d');
    if (!ctx) return null;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    return { ctx: ctx, w: w, h: h };
  }
  /** Draws one series' runs; returns how many points it drew. */
  function plot(ctx, runs, color, fill, X, Y, baseY) {
    let drawn = 0;
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = 1.6;
    ctx.lineJoin = 'round';
    for (const r of runs) {
      drawn += r.length;
      if (r.length === 1) { ctx.beginPath(); ctx.arc(X(r[0][0]), Y(r[0][1]), 2.5, 0, Math.PI * 2); ctx.fill(); continue; }
      if (fill) {
        ctx.beginPath();
        ctx.moveTo(X(r[0][0]), baseY);
        for (const q of r) ctx.lineTo(X(q[0]), Y(q[1]));
        ctx.lineTo(X(r[r.length - 1][0]), baseY);
        ctx.closePath();
        ctx.globalAlpha = 0.14;
        ctx.fill();
        ctx.globalAlpha = 1;
      }
      ctx.beginPath();
      r.forEach((q, j) => (j ? ctx.lineTo(X(q[0]), Y(q[1])) : ctx.moveTo(X(q[0]), Y(q[1]))));
      ctx.stroke();
    }
    return drawn;
  }
  function window0() { const pts = state.pts; return (pts.length ? pts[pts.length - 1].t : 0) - M.WINDOW; }
  /** What an empty chart says: why the card has no value, if it knows. */
  function placeholder(view) {
    if (view && view.state !== 'ok') return view.sub;
    return state.latest ? 'no data' : 'waiting for data…';
  }
  function drawChart(v) {
    const card = v.card, cv = v.canvas, g = prepCanvas(cv);
    if (!g) return;
    const ctx = g.ctx, c = colors(), pts = state.pts, t0 = window0();
    const getters = card.chart.series.map((s, i) => p => (p.v[card.id] ? p.v[card.id][i] : null));
    const ext = M.extent(pts, t0, getters);
    const R = M.scaleAxis(ext.lo, ext.hi, card.chart.axis);
    ctx.font = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
    const padL = Math.ceil(Math.max(24, ...R.ticks.map(t => ctx.measureText(t.label).width)) + 8);
    const padR = 6, padT = 6, padB = 18;
    const pw = Math.max(10, g.w - padL - padR), ph = Math.max(10, g.h - padT - padB), span = R.hi - R.lo || 1;
    const X = t => padL + (t - t0) / M.WINDOW * pw;
    const Y = val => padT + (1 - (Math.min(Math.max(val, R.lo), R.hi) - R.lo) / span) * ph;
    ctx.lineWidth = 1;
    ctx.strokeStyle = c['--grid'];
    ctx.fillStyle = c['--axis'];
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    for (const tk of R.ticks) {
      const y = Math.round(Y(tk.v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(padL, y); ctx.lineTo(padL + pw, y); ctx.stroke();
      ctx.fillText(tk.label, padL - 5, Math.min(Math.max(y, padT + 5), padT + ph - 1));
    }
    ctx.textBaseline = 'alphabetic';
    for (let k = 0; k <= 5; k++) {
      const x = Math.round(padL + (M.WINDOW - k * 60000) / M.WINDOW * pw) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, padT); ctx.lineTo(x, padT + ph); ctx.stroke();
      ctx.textAlign = k === 0 ? 'right' : k === 5 ? 'left' : 'center';
      ctx.fillText(k === 0 ? 'now' : '-' + k + 'm', x, g.h - 4);
    }
    let drawn = 0;
    ctx.save();
    ctx.beginPath(); ctx.rect(padL - 3, padT - 3, pw + 6, ph + 6); ctx.clip();
    // The first series is drawn last, on top.
    for (let i = card.chart.series.length - 1; i >= 0; i--) {
      const s = card.chart.series[i];
      drawn = Math.max(drawn, plot(ctx, M.seriesRuns(pts, t0, getters[i]), seriesColor(s), card.chart.fill, X, Y, Y(R.lo)));
    }
    ctx.restore();
    if (drawn > 0) {
      cv.dataset.points = String(drawn);
    } else {
      delete cv.dataset.points;
      ctx.fillStyle = c['--muted'];
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(placeholder(v.view), padL + pw / 2, padT + ph / 2);
    }
  }
  function renderTiles(v) {
    const card = v.card, t = card.tiles;
    const last = v.tileIds ? v.tileIds.split('\n') : null;
    const ids = t.ids(state.latest, last);
    if (ids && ids.length && ids.join('\n') !== v.tileIds) buildTiles(v, ids);
    if (!v.tiles.length) return;
    const d = state.latest, items = d ? M.tileValues(card, d) : null, c = colors(), t0 = window0();
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
      const g = prepCanvas(tile.cv);
      if (!g) continue;
      const ctx = g.ctx;
      ctx.strokeStyle = c['--grid'];
      ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(0, g.h - 0.5); ctx.lineTo(g.w, g.h - 0.5); ctx.stroke();
      const X = tt => 1 + (tt - t0) / M.WINDOW * (g.w - 2);
      const Y = val => 2 + (1 - (Math.min(Math.max(val, R.lo), R.hi) - R.lo) / (R.hi - R.lo || 1)) * (g.h - 3);
      let drawn = 0;
      for (let i = t.series.length - 1; i >= 0; i--) {
        const runs = M.seriesRuns(state.pts, t0, getter(tile.id, i));
        drawn = Math.max(drawn, plot(ctx, runs, seriesColor(t.series[i]), !!t.series[i].fill, X, Y, g.h));
      }
      if (drawn > 0) tile.cv.dataset.points = String(drawn); else delete tile.cv.dataset.points;
    }
  }

  // ---------- render loop ----------
  function render() {
    renderPending = false;
    try {
      renderValues();
      renderErrors();
      for (const card of CARDS) {
        if (card.chart) drawChart(views[card.id]);
        else if (card.tiles) renderTiles(views[card.id]);
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
    try { src = new EventSource('events'); } catch (x) { es = null; M.connFailed(conn, 2); retry(); updateState(); return; }
    es = src;
    src.addEventListener('open', () => { if (src === es) { M.connOpened(conn); updateState(); } });
    src.addEventListener('metrics', e => {
      if (src !== es) return;
      M.connEvent(conn, now());
      const r = M.applyMetrics(state, CARDS, e.data, e.lastEventId);
      document.body.dataset.events = String(state.received);
      if (r === 'duplicate') document.body.dataset.dropped = String(state.dropped);
      conn.intervalS = state.intervalS;
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
  const redraw = () => { colorCache = null; valueKeys = {}; scheduleRender(); };
  addEventListener('resize', redraw);
  if (dark.addEventListener) dark.addEventListener('change', redraw);
  if (self.ResizeObserver) {
    const ro = new ResizeObserver(() => scheduleRender());
    document.querySelectorAll('canvas.chart, .tiles').forEach(e => ro.observe(e));
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
