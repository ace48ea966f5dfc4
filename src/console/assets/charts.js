// Hand-written SVG line charts for the console: no library, no canvas, redrawn on every
// snapshot. WMCharts.line(title, series, options) answers the element of one chart panel.
'use strict';
(function () {
  const { h, svg } = window.WMDom;
  const W = 560;
  const H = 170;
  const PAD = { left: 46, right: 10, top: 8, bottom: 22 };
  const MUTED = '#8593a6';

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

  const present = (p) => p !== undefined && p.v !== null && p.v !== undefined;

  /**
   * series: [{ name, color, points: [{ t, v }] }] (v null = gap); options: { unit, format,
   * max }. The y axis starts at 0.
   */
  function line(title, series, options = {}) {
    const fmt = options.format || ((v) => (Math.round(v * 10) / 10).toString());
    const all = series.flatMap((s) => s.points.filter(present));
    const ts = series.flatMap((s) => s.points.map((p) => p.t));
    const t0 = ts.length ? Math.min(...ts) : 0;
    const t1 = ts.length ? Math.max(...ts) : 1;
    const top = options.max ?? niceMax(Math.max(0, ...all.map((p) => p.v)));
    const x = (t) => PAD.left + ((t - t0) / Math.max(1, t1 - t0)) * (W - PAD.left - PAD.right);
    const y = (v) => PAD.top + (1 - v / top) * (H - PAD.top - PAD.bottom);
    const label = (attrs, text) => svg('text', { fill: MUTED, 'font-size': 11, ...attrs }, text);
    const grid = [];
    for (let i = 0; i <= 4; i++) {
      const v = (top * i) / 4;
      const gy = y(v).toFixed(1);
      grid.push(
        svg('line', {
          x1: PAD.left,
          x2: W - PAD.right,
          y1: gy,
          y2: gy,
          stroke: '#2a3544',
          'stroke-width': 1,
        }),
        label({ x: PAD.left - 6, y: gy, dy: 4, 'text-anchor': 'end' }, fmt(v)),
      );
    }
    if (ts.length) {
      grid.push(
        label({ x: PAD.left, y: H - 5 }, clock(t0)),
        label({ x: W - PAD.right, y: H - 5, 'text-anchor': 'end' }, clock(t1)),
      );
    }
    const paths = [];
    for (const s of series) {
      // A point with no neighbour would draw nothing: mark it with a dot.
      s.points.forEach((p, i) => {
        if (present(p) && !present(s.points[i - 1]) && !present(s.points[i + 1]))
          paths.push(
            svg('circle', { cx: x(p.t).toFixed(1), cy: y(p.v).toFixed(1), r: 2.5, fill: s.color }),
          );
      });
      let d = '';
      let pen = false;
      for (const p of s.points) {
        if (!present(p)) {
          pen = false;
          continue;
        }
        d += `${pen ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`;
        pen = true;
      }
      if (d)
        paths.push(
          svg('path', {
            d,
            fill: 'none',
            stroke: s.color,
            'stroke-width': 1.8,
            'stroke-linejoin': 'round',
          }),
        );
    }
    const legend = series.map((s) => {
      const last = [...s.points].reverse().find(present);
      const now = last ? `${fmt(last.v)}${options.unit ? ' ' + options.unit : ''}` : '–';
      const swatch = svg(
        'svg',
        { width: 12, height: 4, 'aria-hidden': 'true' },
        svg('rect', { width: 12, height: 4, rx: 1, fill: s.color }),
      );
      return h('span', null, swatch, ` ${s.name} `, h('b', null, now));
    });
    const empty =
      ts.length < 2 &&
      svg(
        'text',
        { x: W / 2, y: H / 2, 'text-anchor': 'middle', fill: MUTED, 'font-size': 12 },
        'collecting…',
      );
    return h(
      'div',
      { class: 'panel chart' },
      h('h2', null, title),
      h('div', { class: 'legend' }, legend),
      svg(
        'svg',
        { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title },
        grid,
        paths,
        empty,
      ),
    );
  }

  window.WMCharts = { line };
})();
