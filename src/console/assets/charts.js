// Hand-written SVG line charts for the console: no library, no canvas, redrawn on every
// snapshot. WMCharts.line(title, series, options) answers the HTML of one chart panel.
'use strict';
(function () {
  const W = 560;
  const H = 170;
  const PAD = { left: 46, right: 10, top: 8, bottom: 22 };

  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }

  // A round upper bound for the axis whose quarters are round too: 1, 2, 4, 8 x 10^n.
  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = 10 ** Math.floor(Math.log10(v));
    for (const m of [1, 2, 4, 8, 10]) if (v <= m * p) return m * p;
    return 10 * p;
  }

  function clock(ms) {
    return new Date(ms).toISOString().slice(11, 19);
  }

  /**
   * series: [{ name, color, points: [{ t, v }] }] (v null = gap); options: { unit, format,
   * max }. The y axis starts at 0.
   */
  function line(title, series, options = {}) {
    const fmt = options.format || ((v) => (Math.round(v * 10) / 10).toString());
    const all = series.flatMap((s) => s.points.filter((p) => p.v !== null && p.v !== undefined));
    const ts = series.flatMap((s) => s.points.map((p) => p.t));
    const t0 = ts.length ? Math.min(...ts) : 0;
    const t1 = ts.length ? Math.max(...ts) : 1;
    const top = options.max ?? niceMax(Math.max(0, ...all.map((p) => p.v)));
    const x = (t) => PAD.left + ((t - t0) / Math.max(1, t1 - t0)) * (W - PAD.left - PAD.right);
    const y = (v) => PAD.top + (1 - v / top) * (H - PAD.top - PAD.bottom);
    let grid = '';
    for (let i = 0; i <= 4; i++) {
      const v = (top * i) / 4;
      const gy = y(v).toFixed(1);
      grid += `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${gy}" y2="${gy}" stroke="#2a3544" stroke-width="1"/>`;
      grid += `<text x="${PAD.left - 6}" y="${gy}" dy="4" text-anchor="end" fill="#8593a6" font-size="11">${esc(fmt(v))}</text>`;
    }
    if (ts.length) {
      grid += `<text x="${PAD.left}" y="${H - 5}" fill="#8593a6" font-size="11">${clock(t0)}</text>`;
      grid += `<text x="${W - PAD.right}" y="${H - 5}" text-anchor="end" fill="#8593a6" font-size="11">${clock(t1)}</text>`;
    }
    let paths = '';
    for (const s of series) {
      let d = '';
      let pen = false;
      s.points.forEach((p, i) => {
        // A point with no neighbour would draw nothing: mark it with a dot.
        const alone = (q) => q === undefined || q.v === null || q.v === undefined;
        if (p.v !== null && p.v !== undefined && alone(s.points[i - 1]) && alone(s.points[i + 1]))
          paths += `<circle cx="${x(p.t).toFixed(1)}" cy="${y(p.v).toFixed(1)}" r="2.5" fill="${s.color}"/>`;
      });
      for (const p of s.points) {
        if (p.v === null || p.v === undefined) {
          pen = false;
          continue;
        }
        d += `${pen ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
        pen = true;
      }
      if (d)
        paths += `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8" stroke-linejoin="round"/>`;
    }
    const legend = series
      .map((s) => {
        const last = [...s.points].reverse().find((p) => p.v !== null && p.v !== undefined);
        const now = last ? `${fmt(last.v)}${options.unit ? ' ' + options.unit : ''}` : '–';
        const swatch = `<svg width="12" height="4" aria-hidden="true"><rect width="12" height="4" rx="1" fill="${s.color}"/></svg>`;
        return `<span>${swatch} ${esc(s.name)} <b>${esc(now)}</b></span>`;
      })
      .join('');
    const empty =
      ts.length < 2
        ? `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#8593a6" font-size="12">collecting…</text>`
        : '';
    return `<div class="panel chart"><h2>${esc(title)}</h2><div class="legend">${legend}</div><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">${grid}${paths}${empty}</svg></div>`;
  }

  window.WMCharts = { line, esc };
})();
