// draw.js: canvas drawing shared by the cards (app.js) and the services table (services.js): a
// chart with axes over the 5-minute window, a sparkline, series colours. It holds no page state:
// callers pass the points, the window's start and getters (model.js seriesRuns / extent).
(function () {
  'use strict';
  if (typeof document === 'undefined') return;  // loaded by Node: nothing to draw
  const M = self.Procstream;
  const dark = self.matchMedia ? matchMedia('(prefers-color-scheme: dark)') : { matches: false };
  let colorCache = null;

  function colors() {
    if (colorCache) return colorCache;
    const cs = getComputedStyle(document.documentElement), c = {};
    for (const k of ['--grid', '--axis', '--muted']) c[k] = cs.getPropertyValue(k).trim() || '#888';
    return (colorCache = c);
  }
  /** After a theme change: read the page's colours again. */
  function reset() { colorCache = null; }
  function seriesColor(s) { return s.color[dark.matches ? 1 : 0]; }
  /** A series colour on an element's swatch, through CSSOM (allowed by `style-src 'self'`). */
  function swatch(e, s) {
    e.classList.add('swatch');
    e.style.setProperty('--lc-light', s.color[0]);
    e.style.setProperty('--lc-dark', s.color[1]);
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
  /**
   * A chart on canvas cv of pts from t0 over the window: series [{get(p), color, fill}], the y
   * axis from scaleAxis options `axis`, and `empty` written in the middle when nothing is drawn.
   * Sets cv.dataset.points to the points drawn (what the browser test reads).
   */
  function chart(cv, pts, t0, series, axis, empty) {
    const g = prepCanvas(cv);
    if (!g) return;
    const ctx = g.ctx, c = colors();
    const ext = M.extent(pts, t0, series.map(s => s.get));
    const R = M.scaleAxis(ext.lo, ext.hi, axis);
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
    for (let i = series.length - 1; i >= 0; i--) {
      const s = series[i];
      drawn = Math.max(drawn, plot(ctx, M.seriesRuns(pts, t0, s.get), seriesColor(s), !!s.fill, X, Y, Y(R.lo)));
    }
    ctx.restore();
    if (drawn > 0) {
      cv.dataset.points = String(drawn);
    } else {
      delete cv.dataset.points;
      ctx.fillStyle = c['--muted'];
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(empty, padL + pw / 2, padT + ph / 2);
    }
  }
  /** A sparkline without labels on scale R (a scaleAxis result); sets cv.dataset.points. */
  function spark(cv, pts, t0, series, R) {
    const g = prepCanvas(cv);
    if (!g) return;
    const ctx = g.ctx;
    ctx.strokeStyle = colors()['--grid'];
    ctx.lineWidth = 1;
    ctx.beginPath(); ctx.moveTo(0, g.h - 0.5); ctx.lineTo(g.w, g.h - 0.5); ctx.stroke();
    const X = tt => 1 + (tt - t0) / M.WINDOW * (g.w - 2);
    const Y = val => 2 + (1 - (Math.min(Math.max(val, R.lo), R.hi) - R.lo) / (R.hi - R.lo || 1)) * (g.h - 3);
    let drawn = 0;
    for (let i = series.length - 1; i >= 0; i--) {
      const s = series[i];
      drawn = Math.max(drawn, plot(ctx, M.seriesRuns(pts, t0, s.get), seriesColor(s), !!s.fill, X, Y, g.h));
    }
    if (drawn > 0) cv.dataset.points = String(drawn); else delete cv.dataset.points;
  }

  self.ProcstreamDraw = { dark, colors, reset, seriesColor, swatch, chart, spark };
})();
