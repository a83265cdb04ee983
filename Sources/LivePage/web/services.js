// services.js: the services card's DOM, from its entry in cards.js (a table card) and the units
// state in units.js. Built once: the filter box, the open unit's panel and the table keep their
// elements; a render moves and refills the rows it reuses (one per unit shown), and app.js calls
// it at most once per animation frame. Everything it decides (sorting, filtering, the series) is
// in units.js and tested under Node.
(function () {
  'use strict';
  if (typeof document === 'undefined') return;  // loaded by Node: nothing to draw
  const M = self.Procstream, U = self.ProcstreamUnits, D = self.ProcstreamDraw, { describe } = self.ProcstreamCards;
  const DASH = M.DASH;
  const narrow = self.matchMedia ? matchMedia('(max-width: 1000px)') : { matches: false };

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function setText(e, text, na) {
    if (e.textContent !== text) e.textContent = text;
    if (na !== undefined) e.classList.toggle('na', !!na);
  }
  function attr(e, name, value) { if (e.getAttribute(name) !== value) e.setAttribute(name, value); }

  // ---------- building ----------
  /** The card's body under its heading: filter and count, the open unit's panel, the table. */
  function build(v, units, request) {
    const t = v.card.table, sec = v.el;
    const ui = v.svc = { t: t, units: units, request: request, sort: Object.assign({}, t.sort), filter: '',
                         open: null, scroll: false, rows: new Map() };
    ui.tools = sec.appendChild(el('div', 'svc-tools'));
    const input = ui.tools.appendChild(el('input', 'svc-filter'));
    input.id = 'services-filter';
    input.type = 'search';
    input.placeholder = 'Filter units';
    input.autocomplete = 'off';
    input.spellcheck = false;
    input.setAttribute('aria-label', 'Filter units by name');
    input.addEventListener('input', () => { ui.filter = input.value; request(); });
    ui.count = ui.tools.appendChild(el('span', 'svc-count'));
    ui.count.id = 'services-count';

    ui.body = sec.appendChild(el('div', 'svc-body'));
    ui.panel = buildPanel(ui);
    const wrap = ui.body.appendChild(el('div', 'svc-wrap'));
    const table = wrap.appendChild(el('table', 'svc'));
    table.id = 'services-table';
    const head = table.appendChild(el('thead')).appendChild(el('tr'));
    ui.ths = t.columns.map(col => {
      const th = head.appendChild(el('th', 'c-' + col.key + (col.num ? ' num' : '')));
      th.scope = 'col';
      th.dataset.key = col.key;
      const b = th.appendChild(el('button', 'sort', col.label));
      if (col.hint) b.appendChild(el('span', 'hint', ' ' + col.hint));
      b.type = 'button';
      b.title = 'Sort by ' + col.label + (col.hint ? ' ' + col.hint : '');
      b.addEventListener('click', () => { ui.sort = U.nextSort(ui.sort, col.key, col.dir); request(); });
      return th;
    });
    ui.tbody = table.appendChild(el('tbody'));
    ui.tbody.addEventListener('click', e => {
      const tr = e.target.closest ? e.target.closest('tr[data-unit]') : null;
      if (tr) toggle(ui, tr.dataset.unit);
    });
    ui.tbody.addEventListener('keydown', e => {
      const tr = e.target.closest ? e.target.closest('tr[data-unit]') : null;
      if (tr && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); toggle(ui, tr.dataset.unit); }
    });
    ui.more = wrap.appendChild(el('div', 'svc-more'));
    ui.more.id = 'services-more';
    ui.empty = sec.appendChild(el('div', 'empty', 'waiting for data…'));
    ui.tools.hidden = ui.body.hidden = true;
  }
  function buildPanel(ui) {
    const p = { el: ui.body.appendChild(el('div', 'svc-panel')), charts: [] };
    p.el.id = 'unit-detail';
    p.el.hidden = true;
    p.el.setAttribute('aria-live', 'polite');
    const head = p.el.appendChild(el('div', 'ud-head'));
    const title = head.appendChild(el('div', 'ud-title'));
    p.name = title.appendChild(el('span', 'ud-name'));
    p.slice = title.appendChild(el('span', 'ud-slice'));
    p.status = title.appendChild(el('span', 'ud-status'));
    p.status.id = 'unit-status';
    const close = head.appendChild(el('button', 'ud-close', '×'));
    close.type = 'button';
    close.id = 'unit-close';
    close.title = 'Close';
    close.setAttribute('aria-label', 'Close the unit details');
    close.addEventListener('click', () => toggle(ui, null));
    p.facts = p.el.appendChild(el('div', 'ud-facts'));
    const box = p.el.appendChild(el('div', 'ud-charts'));
    for (const c of ui.t.charts) {
      const fig = box.appendChild(el('div', 'ud-chart'));
      const cap = fig.appendChild(el('div', 'ud-cap'));
      cap.appendChild(el('span', 'ud-ctitle', c.title));
      if (c.series.length > 1) for (const s of c.series) D.swatch(cap.appendChild(el('span', 'k', s.label)), s);
      const cv = fig.appendChild(el('canvas', 'chart'));
      cv.dataset.metric = 'unit-' + c.id;
      cv.setAttribute('aria-label', 'unit ' + c.title + ', last 5 minutes');
      p.charts.push({ def: c, cv: cv, series: c.series.map(s => ({ get: U.getter(s.key), color: s.color, fill: c.fill })) });
    }
    return p;
  }
  /** Opens unit `name`'s panel, or closes it (clicking the open one again, or null). */
  function toggle(ui, name) {
    ui.open = name && ui.open !== name ? name : null;
    ui.units.pinned = ui.open;  // its series outlives the bound on units while it is open
    ui.scroll = !!ui.open;
    ui.request();
  }
  function makeRow(ui, name) {
    const tr = el('tr');
    tr.dataset.unit = name;
    tr.tabIndex = 0;
    const row = { tr: tr, cells: [], spark: null, sparkKey: '' };
    for (const col of ui.t.columns) {
      const td = tr.appendChild(el('td', 'c-' + col.key + (col.num ? ' num' : '') + (col.muted ? ' muted' : '')));
      const cell = { col: col, td: td, parts: [] };
      if (col.key === 'unit') {  // the slice again under the name, for narrow screens without its column
        cell.parts.push(td.appendChild(el('span', 'u-name')));
        td.title = name;
        cell.slice = td.appendChild(el('span', 'u-slice'));
      } else if (col.spark) {
        const box = td.appendChild(el('div', 'spark-cell'));
        row.spark = box.appendChild(el('canvas', 'spark'));
        row.spark.dataset.unit = name;
        row.sparkSeries = [{ get: U.getter(col.spark.key), color: col.spark.color, fill: true }];
        cell.parts.push(box.appendChild(el('span', 'v')));
      }
      row.cells.push(cell);
    }
    return row;
  }
  function fillRow(row, r) {
    for (const cell of row.cells) {
      const col = cell.col, text = col.text(r), parts = Array.isArray(text) ? text : [text];
      while (cell.parts.length < parts.length) cell.parts.push(cell.td.appendChild(el('span', 'p')));
      parts.forEach((p, i) => setText(cell.parts[i], p, p === DASH));
      if (cell.slice) setText(cell.slice, r.slice);
      if (col.num) { const x = col.value(r); attr(cell.td, 'data-v', x === null ? '' : String(x)); }
    }
  }

  // ---------- rendering ----------
  function render(v, units, failing) {
    const ui = v.svc, card = v.card, t = ui.t;
    const avail = U.availability(units);
    const d = avail === 'none' ? { units: null } : avail === 'ok' ? units.latest : null;
    const view = d ? describe(card, d, failing) : null;
    if (view) {
      setText(v.sub, view.sub);
      setText(v.note, view.state === 'failing' ? 'failing: ' + view.source : view.note);
      v.el.classList.toggle('failing', view.state === 'failing');
      v.el.dataset.state = view.state;
    }
    const ok = !!view && view.state === 'ok';
    ui.tools.hidden = ui.body.hidden = !ok;
    ui.empty.hidden = !!view;  // a view that is not ok says why in the sub line
    if (!ok) return;

    const col = t.columns.find(c => c.key === ui.sort.key) || t.columns[0];
    const tv = U.tableView(units.rows, { filter: ui.filter, value: col.value, dir: ui.sort.dir, max: t.max });
    ui.ths.forEach((th, i) => {
      const on = t.columns[i] === col;
      attr(th, 'aria-sort', on ? (ui.sort.dir === 'asc' ? 'ascending' : 'descending') : 'none');
      th.classList.toggle('sorted', on);
    });
    setText(ui.count, ui.filter.trim() ? tv.matched + ' of ' + tv.total + ' match' : '');
    setText(ui.more, tv.more ? tv.more + ' more' + (ui.filter.trim() ? '' : ' — filter to find them') : '');
    ui.more.hidden = !tv.more && tv.rows.length > 0;
    if (!tv.rows.length) setText(ui.more, ui.filter.trim() ? 'no unit matches' : 'no units');

    const shown = new Set(tv.rows.map(r => r.unit));
    for (const [name, row] of ui.rows) if (!shown.has(name)) { row.tr.remove(); ui.rows.delete(name); }
    tv.rows.forEach((r, i) => {
      let row = ui.rows.get(r.unit);
      if (!row) ui.rows.set(r.unit, (row = makeRow(ui, r.unit)));
      fillRow(row, r);
      row.tr.classList.toggle('selected', r.unit === ui.open);
      const at = ui.tbody.children[i];
      if (at !== row.tr) ui.tbody.insertBefore(row.tr, at || null);
    });
    renderSparks(ui, units, tv.rows);
    renderPanel(ui, units);
  }
  /** The rows' CPU sparklines on one scale, redrawn only when the data, scale or size changed. */
  function renderSparks(ui, units, rows) {
    const spark = ui.t.columns.find(c => c.spark);
    if (!spark || units.lastT === null) return;
    const t0 = units.lastT - M.WINDOW, get = U.getter(spark.spark.key);
    let lo = null, hi = null;
    for (const r of rows) {
      const s = units.series.get(r.unit);
      if (!s) continue;
      const e = M.extent(s.pts, t0, [get]);
      if (e.lo !== null && (lo === null || e.lo < lo)) lo = e.lo;
      if (e.hi !== null && (hi === null || e.hi > hi)) hi = e.hi;
    }
    const R = M.scaleAxis(lo, hi, ui.t.sparkAxis);
    attr(ui.ths[ui.t.columns.indexOf(spark)].querySelector('button'), 'title',
         'Sort by CPU (sparklines: last 5 minutes, 0–' + R.ticks[R.ticks.length - 1].label + ')');
    for (const r of rows) {
      const row = ui.rows.get(r.unit), s = units.series.get(r.unit);
      const key = [units.lastT, R.lo, R.hi, row.spark.clientWidth, D.dark.matches].join('|');
      if (row.sparkKey === key) continue;
      row.sparkKey = key;
      D.spark(row.spark, s ? s.pts : [], t0, row.sparkSeries, R);
    }
  }
  function renderPanel(ui, units) {
    const p = ui.panel, name = ui.open;
    ui.body.classList.toggle('open', !!name);
    p.el.hidden = !name;
    if (!name) return;
    const status = U.unitStatus(units, name), s = units.series.get(name);
    const row = units.rows.find(r => r.unit === name) || null;
    attr(p.el, 'data-unit', name);
    attr(p.el, 'data-status', status);
    setText(p.name, name);
    setText(p.slice, row ? row.slice : s ? s.slice : '');
    setText(p.status, status === 'running' ? 'running'
      : 'stopped' + (s ? ' · last seen ' + M.fmtClock(s.lastSeen) : ''));
    renderFacts(p, row ? ui.t.facts(row) : null);
    const t0 = (units.lastT || 0) - M.WINDOW;
    for (const c of p.charts) {
      D.chart(c.cv, s ? s.pts : [], t0, c.series, c.def.axis, status === 'running' ? 'no data' : 'stopped');
    }
    if (ui.scroll) {
      ui.scroll = false;
      if (narrow.matches && p.el.scrollIntoView) p.el.scrollIntoView({ block: 'nearest' });
    }
  }
  function renderFacts(p, facts) {
    const key = JSON.stringify(facts);
    if (p.factsKey === key) return;
    p.factsKey = key;
    while (p.facts.firstChild) p.facts.removeChild(p.facts.firstChild);
    p.facts.hidden = !facts;
    for (const [k, val] of facts || []) {
      const part = p.facts.appendChild(el('span', 'part'));
      part.appendChild(el('span', 'k', k));
      part.appendChild(el('span', val === DASH ? 'na' : null, val));
    }
  }

  self.ProcstreamServices = { build, render };
})();
