// The console's metrics history page (#/history, #/history/<type>): jobs accepted, done and
// failed, and the p50/p95 of their wait and run times, over the last hour, 24 hours or 14
// days, from /console/api/history (kept in Redis 14 days). Drawn with uPlot (served from the
// console's own origin): drag across a chart to zoom in (read again at a finer step), hover
// for a tooltip, "Whole range" to zoom out.
'use strict';
(function () {
  const { h } = window.WMDom;
  const MIN = 60_000;
  const RANGES = { '1h': 60 * MIN, '24h': 1440 * MIN, '14d': 14 * 1440 * MIN };
  const STEPS = [
    ['1m', 1],
    ['5m', 5],
    ['15m', 15],
    ['30m', 30],
    ['1h', 60],
    ['3h', 180],
    ['6h', 360],
    ['1d', 1440],
  ];
  /** The finest step that draws a span in at most ~400 points. */
  function stepFor(spanMs) {
    for (const [name, min] of STEPS) if (spanMs / (min * MIN) <= 400) return name;
    return '1d';
  }

  const CHARTS = [
    {
      id: 'counts',
      title: 'Jobs per step',
      unit: '',
      series: [
        ['accepted', 'accepted', '#5b8def'],
        ['done', 'done', '#2fa36b'],
        ['failed', 'failed', '#d9534f'],
      ],
    },
    {
      id: 'wait',
      title: 'Wait time (queued → started), ms',
      unit: ' ms',
      series: [
        ['waitP50Ms', 'p50', '#5b8def'],
        ['waitP95Ms', 'p95', '#e0a030'],
      ],
    },
    {
      id: 'run',
      title: 'Run time, ms',
      unit: ' ms',
      series: [
        ['runP50Ms', 'p50', '#2fa36b'],
        ['runP95Ms', 'p95', '#e0a030'],
      ],
    },
  ];

  // Muted labels and grid on the console's dark panels.
  const AXIS = {
    stroke: '#8593a6',
    grid: { stroke: '#2a3544', width: 1 },
    ticks: { stroke: '#2a3544', width: 1 },
  };
  const stamp = (sec) => new Date(sec * 1000).toISOString().replace('T', ' ').slice(0, 16);
  const fmt = (v, unit) =>
    v === null || v === undefined ? '–' : `${Math.round(v * 10) / 10}${unit}`;

  /** A tooltip inside the chart's plot area, following the cursor: the step and its values. */
  function tooltip(spec) {
    let tip;
    return {
      hooks: {
        init(u) {
          tip = h('div', { class: 'hist-tip', hidden: true });
          u.over.append(tip);
        },
        setCursor(u) {
          const i = u.cursor.idx;
          if (i === null || i === undefined || u.cursor.left < 0) {
            tip.hidden = true;
            return;
          }
          tip.replaceChildren(
            h('b', null, stamp(u.data[0][i])),
            ...spec.series.map(([, label], s) =>
              h('div', null, `${label}: ${fmt(u.data[s + 1][i], spec.unit)}`),
            ),
          );
          tip.hidden = false;
          const left = Math.min(u.cursor.left + 12, u.over.clientWidth - tip.offsetWidth - 4);
          tip.style.left = `${Math.max(0, left)}px`;
          // A chart that follows another's cursor gets a top from the other's y scale: clamp it.
          const top = Math.min(Math.max(u.cursor.top, 0), u.over.clientHeight);
          tip.style.top = `${Math.max(0, top - tip.offsetHeight - 8)}px`;
        },
      },
    };
  }

  function page(ui) {
    return function history(arg) {
      const here = ui.current();
      const state = { type: arg || '', range: '1h', from: null, to: null };
      let charts = [];
      let loadedAt = 0;
      let stepMs = MIN;
      const destroy = () => {
        charts.forEach((c) => c.destroy());
        charts = [];
      };
      window.addEventListener('hashchange', destroy, { once: true });

      const select = h('select', { name: 'type', 'aria-label': 'Job type' }, [
        h('option', { value: '' }, 'every type'),
      ]);
      const rangeButtons = Object.keys(RANGES).map((r) =>
        h('button', { type: 'button', 'data-range': r }, r),
      );
      const reset = h(
        'button',
        { type: 'button', 'data-zoom-reset': true, hidden: true },
        'Whole range',
      );
      const summary = h('p', { class: 'muted', id: 'history-summary' }, 'Loading…');
      const boxes = CHARTS.map((c) =>
        h('div', { class: 'panel hist-chart', 'data-chart': c.id }, h('h3', null, c.title)),
      );
      ui.show(
        h('h2', null, 'Metrics history'),
        h('div', { class: 'hist-bar' }, select, ...rangeButtons, reset),
        summary,
        h('div', { id: 'history' }, boxes),
      );

      ui.api('GET', '/console/api/types').then(
        ({ types }) => {
          for (const t of types) select.append(h('option', { value: t.name }, t.name));
          select.value = state.type;
        },
        () => undefined,
      );
      select.addEventListener('change', () => {
        location.hash = select.value
          ? `#/history/${encodeURIComponent(select.value)}`
          : '#/history';
      });
      rangeButtons.forEach((b) =>
        b.addEventListener('click', () => {
          state.range = b.dataset.range;
          state.from = state.to = null;
          void load();
        }),
      );
      reset.addEventListener('click', () => {
        state.from = state.to = null;
        void load();
      });

      function zoomTo(u) {
        const { left, width } = u.select;
        if (width < 5) return;
        const from = Math.floor(u.posToVal(left, 'x') * 1000);
        // A point is drawn at its step's start: the range ends with the step under the edge.
        const to = Math.min(Date.now(), Math.ceil(u.posToVal(left + width, 'x') * 1000) + stepMs);
        if (to - from < MIN) return;
        state.from = from;
        state.to = to;
        void load();
      }

      function draw(answer) {
        destroy();
        const xs = answer.points.map((p) => Date.parse(p.at) / 1000);
        CHARTS.forEach((spec, i) => {
          const box = boxes[i];
          box.querySelector('.uplot')?.remove();
          const data = [xs, ...spec.series.map(([field]) => answer.points.map((p) => p[field]))];
          const chart = new window.uPlot(
            {
              width: Math.max(300, box.clientWidth - 24),
              height: 190,
              cursor: { drag: { x: true, y: false, setScale: false }, sync: { key: 'history' } },
              legend: { show: true, live: false },
              scales: { x: { time: true } },
              // UTC on the axis, as in the summary and the tooltips.
              tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
              axes: [AXIS, { ...AXIS, size: 56 }],
              series: [
                {},
                ...spec.series.map(([, label, stroke]) => ({
                  label,
                  stroke,
                  width: 1.5,
                  spanGaps: false,
                  // A lone value between gaps is only seen as a point.
                  points: { show: spec.id !== 'counts' || answer.points.length <= 120, size: 5 },
                })),
              ],
              plugins: [tooltip(spec)],
              hooks: { setSelect: [zoomTo] },
            },
            data,
            box,
          );
          charts.push(chart);
        });
      }

      async function load() {
        const now = Date.now();
        loadedAt = now;
        const to = state.to ?? now;
        const from = state.from ?? now - RANGES[state.range];
        const step = stepFor(to - from);
        rangeButtons.forEach((b) =>
          b.classList.toggle('active', state.from === null && b.dataset.range === state.range),
        );
        reset.hidden = state.from === null;
        const q = new URLSearchParams({ from: String(from), to: String(to), step });
        if (state.type) q.set('type', state.type);
        let answer;
        try {
          answer = await ui.api('GET', `/console/api/history?${q}`);
        } catch (err) {
          if (ui.current() === here) summary.textContent = err.message;
          return;
        }
        if (ui.current() !== here) return;
        const total = (f) => answer.points.reduce((n, p) => n + p[f], 0);
        summary.replaceChildren(
          `${state.type || 'Every type'}, ${stamp(from / 1000)} to ${stamp(to / 1000)} UTC, `,
          `step ${answer.step}: `,
          h('b', { 'data-total': 'accepted' }, total('accepted')),
          ' accepted, ',
          h('b', { 'data-total': 'done' }, total('done')),
          ' done, ',
          h('b', { 'data-total': 'failed' }, total('failed')),
          ' failed. Drag across a chart to zoom in.',
        );
        summary.dataset.step = answer.step;
        stepMs = STEPS.find(([name]) => name === answer.step)[1] * MIN;
        draw(answer);
      }

      // Live while showing the latest range (not while zoomed in): read again every 10 s.
      const render = () => {
        if (state.from === null && Date.now() - loadedAt > 10_000) void load();
      };
      void load();
      return { load, render };
    };
  }

  window.WMHistory = { page };
})();
