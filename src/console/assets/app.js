// The workmesh console: one page, hash routes, live from /console/api/stream (server-sent
// events carrying the monitor's whole snapshot). Plain browser JavaScript, no build step.
// Pages are built as elements (dom.js), never from HTML strings: a value is text wherever it
// lands, and each snapshot patches the page in place rather than rebuilding it.
'use strict';
(function () {
  const { h, patch } = window.WMDom;
  const { line } = window.WMCharts;
  const { topology } = window.WMTopology;
  const page = document.getElementById('page');
  const live = document.getElementById('live');
  let snapshot = null;
  let current = null; // { name, arg, render(snapshot), leave() }

  // ---------- helpers ----------
  const mb = (b) => `${Math.round(b / 1048576)} MB`;
  const clock = (ms) => new Date(ms).toISOString().slice(11, 19);
  const when = (iso) => (iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 19) : '–');
  function duration(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
    if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor(s / 60) % 60}m`;
    return `${Math.floor(s / 86400)}d ${Math.floor(s / 3600) % 24}h`;
  }
  const show = (...children) => patch(page, children);
  const badge = (text) => h('span', { class: `badge ${text}` }, text);
  const jobLink = (id) => h('a', { class: 'mono', href: `#/job/${encodeURIComponent(id)}` }, id);
  const nodeLink = (id) => h('a', { class: 'mono', href: `#/node/${encodeURIComponent(id)}` }, id);
  const muted = (text) => h('span', { class: 'muted' }, text);
  const empty = (text, attrs) => h('div', { class: 'empty', ...attrs }, text);
  /** A table as the HTML parser would make it (rows in a tbody); head: labels, or [label, class]. */
  const table = (attrs, head, rows) =>
    h(
      'table',
      attrs,
      h(
        'tbody',
        null,
        h(
          'tr',
          null,
          head.map((th) =>
            Array.isArray(th) ? h('th', { class: th[1] }, th[0]) : h('th', null, th),
          ),
        ),
        rows,
      ),
    );
  /** A definition list of [term, description] pairs. */
  const kv = (pairs) =>
    h(
      'dl',
      { class: 'kv' },
      pairs.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
    );
  const num = (value) => h('td', { class: 'num' }, value);
  const rate = (n) => (n >= 100 ? Math.round(n) : Math.round(n * 10) / 10);

  function toast(text, error) {
    const el = document.getElementById('toast');
    el.textContent = text;
    el.className = `toast${error ? ' error' : ''}`;
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => (el.hidden = true), 4000);
  }

  async function api(method, path, body) {
    const res = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
    if (res.status === 401) {
      location.href = '/login';
      throw new Error('not logged in');
    }
    const json = await res.json().catch(() => ({}));
    if (!res.ok)
      throw new Error(
        json.error ? `${json.error.message} [${json.error.code}]` : `HTTP ${res.status}`,
      );
    return json;
  }

  // ---------- live updates ----------
  function connect() {
    const source = new EventSource('/console/api/stream');
    source.addEventListener('snapshot', (e) => {
      snapshot = JSON.parse(e.data);
      live.classList.toggle('off', !snapshot.redisOk);
      live.textContent = snapshot.redisOk ? `live · ${clock(snapshot.at)}` : 'Redis unreachable';
      if (current && current.render) current.render(snapshot);
    });
    source.onerror = () => {
      live.classList.add('off');
      live.textContent = 'reconnecting';
      // A lost session makes the stream fail: check, and go to the login page if so.
      fetch('/console/api/snapshot', { credentials: 'same-origin' }).then(
        (r) => {
          if (r.status === 401) location.href = '/login';
        },
        () => undefined,
      );
    };
  }

  // ---------- pages ----------
  function throughputSeries(s) {
    const h = s.history.throughput;
    return [
      { name: 'done/s', color: '#57c785', points: h.map((p) => ({ t: p.at, v: p.donePerSec })) },
      {
        name: 'failed/s',
        color: '#e5534b',
        points: h.map((p) => ({ t: p.at, v: p.failedPerSec })),
      },
      {
        name: 'accepted/s',
        color: '#5fb3f9',
        points: h.map((p) => ({ t: p.at, v: p.acceptedPerSec })),
      },
    ];
  }

  function latencySeries(s) {
    const h = s.history.throughput;
    return [
      { name: 'p50', color: '#5fb3f9', points: h.map((p) => ({ t: p.at, v: p.latencyP50Ms })) },
      { name: 'p95', color: '#b392f0', points: h.map((p) => ({ t: p.at, v: p.latencyP95Ms })) },
    ];
  }

  const ms = (v) => (v >= 1000 ? `${Math.round(v / 100) / 10}s` : `${Math.round(v)}ms`);

  function overview() {
    return {
      render(s) {
        const t = s.throughput;
        const waiting = s.queues.reduce((a, q) => a + q.waiting, 0);
        const dead = s.queues.reduce((a, q) => a + q.dead, 0);
        // A count with a list behind it links to the jobs page, filtered (jobs.js).
        const stat = (label, value, id, filters) =>
          h(
            'div',
            { class: 'panel stat' },
            h(
              'div',
              { class: 'value', id },
              filters ? h('a', { href: window.WMJobs.route(filters) }, value) : value,
            ),
            h('div', { class: 'label' }, label),
          );
        const recent = s.recentJobs.slice(0, 10);
        // The latest known p50, as the latency chart's legend shows it: an interval in which
        // no job finished has none.
        const lastP50 = [t, ...[...s.history.throughput].reverse()]
          .map((p) => p.latencyP50Ms)
          .find((v) => v !== null && v !== undefined);
        show(
          h(
            'div',
            { class: 'grid cols-4' },
            stat('nodes', s.nodes.length, 'stat-nodes'),
            stat('workers', s.nodes.filter((n) => n.role === 'worker').length, 'stat-workers'),
            stat('waiting', waiting, 'stat-waiting', { status: 'accepted' }),
            stat('done / s', rate(t.donePerSec), 'stat-done'),
            stat('latency p50', lastP50 === undefined ? '–' : ms(lastP50), 'stat-latency'),
            stat('dead letters', dead, 'stat-dead', { status: 'failed' }),
          ),
          h('div', { class: 'section' }, topology(s)),
          h(
            'div',
            { class: 'grid cols-2 section' },
            line('Throughput', throughputSeries(s), { unit: '/s' }),
            line('Latency (accepted → final)', latencySeries(s), { format: ms }),
          ),
          h(
            'div',
            { class: 'grid cols-2 section' },
            h(
              'div',
              { class: 'panel' },
              h('h2', null, 'Recent jobs'),
              recent.length
                ? table(
                    null,
                    ['callback', 'status', 'at'],
                    recent.map((j) =>
                      h(
                        'tr',
                        null,
                        h('td', null, jobLink(j.id)),
                        h('td', null, badge(j.status)),
                        h('td', { class: 'muted' }, clock(j.at)),
                      ),
                    ),
                  )
                : empty('No job events since the monitor started.'),
            ),
            h(
              'div',
              { class: 'panel' },
              h('h2', null, 'Membership'),
              eventsTable(s.events.slice(-10).reverse()),
            ),
          ),
        );
      },
    };
  }

  function eventsTable(events) {
    if (!events.length) return empty('No membership change yet.');
    return table(
      { id: 'events' },
      ['at', 'event', 'node', 'role'],
      events.map((e) =>
        h(
          'tr',
          null,
          h('td', { class: 'muted' }, clock(e.at)),
          h('td', null, badge(e.event), e.reason ? [' ', muted(e.reason)] : null),
          h('td', { class: 'id' }, e.nodeId),
          h('td', null, e.role),
        ),
      ),
    );
  }

  function nodeActions(n) {
    // Keyed by action: a press on Drain must not be let go on the Resume that replaced it.
    const button = (action, label, cls) =>
      h('button', { class: cls, 'data-action': action, 'data-id': n.id, key: action }, label);
    const worker = n.role === 'worker';
    const paused = n.meta && (n.meta.state === 'draining' || n.meta.state === 'drained');
    return h(
      'div',
      { class: 'actions' },
      button('ping', 'Ping'),
      worker && [
        paused ? button('resume', 'Resume') : button('drain', 'Drain'),
        button('stop', 'Stop', 'danger'),
      ],
    );
  }

  async function nodeAction(action, id) {
    if ((action === 'stop' || action === 'drain') && !confirm(`${action} ${id}?`)) return;
    try {
      const r = await api('POST', `/console/api/nodes/${encodeURIComponent(id)}/${action}`);
      if (action === 'ping') toast(`pong from ${id} in ${r.ms} ms`);
      else if (action === 'resume') toast(`${id}: resuming`);
      else
        toast(
          `${id}: ${action === 'drain' ? 'draining' : 'stopping'} (${r.result.inFlight} in flight)`,
        );
    } catch (err) {
      toast(`${action} ${id}: ${err.message}`, true);
    }
  }

  page.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-action]');
    if (b) void nodeAction(b.dataset.action, b.dataset.id);
  });

  function nodes() {
    return {
      render(s) {
        const head = [
          'node',
          'role',
          'host',
          ...[
            'uptime',
            'heartbeat',
            'in flight',
            'processed',
            'failed',
            'heap',
            'RSS',
            'CPU',
            'loop lag',
          ].map((label) => [label, 'num']),
          '',
        ];
        const row = (n) =>
          h(
            'tr',
            { 'data-node': n.id, key: n.id },
            h(
              'td',
              null,
              nodeLink(n.id),
              n.meta && n.meta.state && n.meta.state !== 'running' && [' ', badge(n.meta.state)],
            ),
            h('td', null, badge(n.role)),
            h('td', null, n.host),
            num(duration(s.at - n.startedAt)),
            num(`${(n.heartbeatAgeMs / 1000).toFixed(1)}s`),
            num(n.figures.inFlight),
            num(n.figures.processed),
            num(n.figures.failed),
            num(mb(n.figures.heapUsedBytes)),
            num(mb(n.figures.rssBytes)),
            num(`${n.figures.cpuPercent.toFixed(1)}%`),
            num(`${n.figures.eventLoopLagMs.toFixed(1)} ms`),
            h('td', null, nodeActions(n)),
          );
        show(
          h('h1', null, 'Nodes'),
          h(
            'div',
            { class: 'panel' },
            s.nodes.length
              ? table({ id: 'nodes' }, head, s.nodes.map(row))
              : empty('No live node.'),
          ),
          h(
            'div',
            { class: 'panel section' },
            h('h2', null, 'Membership'),
            eventsTable(s.events.slice().reverse()),
          ),
        );
      },
    };
  }

  function node(id) {
    return {
      render(s) {
        const n = s.nodes.find((x) => x.id === id);
        if (!n) {
          show(
            h('div', { class: 'page-head' }, h('h1', { class: 'mono' }, id), badge('left')),
            h(
              'div',
              { class: 'panel', id: 'node-gone' },
              'This node is not (or no longer) a live member of the cluster.',
            ),
          );
          return;
        }
        const history = s.history.nodes[id] || [];
        const pts = (f) => history.map((p) => ({ t: p.at, v: f(p) }));
        const info = [
          ['role', badge(n.role)],
          ['state', n.meta && n.meta.state ? badge(n.meta.state) : '–'],
          ['host / pid', `${n.host} / ${n.pid}`],
          ['version', n.version],
          [
            'up since',
            `${when(new Date(n.startedAt).toISOString())} (${duration(s.at - n.startedAt)})`,
          ],
          ['heartbeat', `${(n.heartbeatAgeMs / 1000).toFixed(1)} s ago (TTL ${n.ttlMs / 1000} s)`],
          [
            'offers',
            n.offers.types.length
              ? `${n.offers.types.join(', ')} (${n.offers.concurrency} at once)`
              : '–',
          ],
          [
            'jobs',
            `${n.figures.inFlight} in flight · ${n.figures.processed} processed · ${n.figures.failed} failed`,
          ],
          ...Object.entries(n.meta || {}).filter(([k]) => k !== 'state'),
        ];
        show(
          h(
            'div',
            { class: 'page-head' },
            h('h1', { class: 'mono', id: 'node-id' }, n.id),
            nodeActions(n),
          ),
          h(
            'div',
            { class: 'grid cols-2' },
            h('div', { class: 'panel' }, h('h2', null, 'Node'), kv(info)),
            line('Active jobs', [
              { name: 'in flight', color: '#e3b341', points: pts((p) => p.inFlight) },
            ]),
            line(
              'Memory',
              [
                { name: 'RSS', color: '#b392f0', points: pts((p) => p.rssBytes / 1048576) },
                {
                  name: 'heap used',
                  color: '#5fb3f9',
                  points: pts((p) => p.heapUsedBytes / 1048576),
                },
              ],
              { unit: 'MB', format: (v) => String(Math.round(v)) },
            ),
            line('CPU', [{ name: 'CPU', color: '#57c785', points: pts((p) => p.cpuPercent) }], {
              unit: '%',
            }),
            line(
              'Event-loop lag (p99)',
              [{ name: 'lag', color: '#e5534b', points: pts((p) => p.eventLoopLagMs) }],
              { unit: 'ms' },
            ),
          ),
        );
      },
    };
  }

  function job(id) {
    const here = current;
    let job = null;
    let loading = false;
    let again = false;
    let missing = false;
    async function load() {
      // News heard while a read is under way may be newer than what it reads: read once more.
      if (loading) {
        again = true;
        return;
      }
      loading = true;
      try {
        job = await api('GET', `/console/api/jobs/${encodeURIComponent(id)}`);
        missing = false;
      } catch (err) {
        missing = err.message;
      } finally {
        loading = false;
      }
      draw();
      if (again) {
        again = false;
        void load();
      }
    }
    function eventItem(e, first) {
      const { n, status, at, ...extra } = e;
      // Extras of an event (attempt, worker, progress, error): one readable line.
      const more = Object.entries(extra).map(([k, v]) =>
        k === 'worker' && typeof v === 'string'
          ? [' · ', nodeLink(v)]
          : [' · ', muted(k), ` ${typeof v === 'string' ? v : JSON.stringify(v)}`],
      );
      const stamp = new Date(at).toISOString().slice(11, 23);
      return h(
        'li',
        null,
        muted(`#${n}`),
        h('span', null, badge(status)),
        h('span', null, muted(stamp), at > first && [' ', muted(`(+${ms(at - first)})`)], more),
      );
    }
    function draw() {
      if (current !== here) return;
      if (missing) {
        show(
          h('h1', { class: 'mono' }, id),
          h('div', { class: 'panel', id: 'job-missing' }, missing),
        );
        return;
      }
      if (!job) return;
      const j = job;
      const first = j.events && j.events[0] ? j.events[0].at : 0;
      const events = (j.events || []).map((e) => eventItem(e, first));
      const history = (j.history || []).map((f) =>
        h(
          'tr',
          null,
          h('td', null, f.attempt),
          h('td', { class: 'muted' }, when(f.at)),
          h('td', null, f.error),
          h('td', null, nodeLink(f.worker)),
        ),
      );
      const lines = (j.log || []).map((l) =>
        h(
          'tr',
          null,
          h('td', null, l.attempt),
          h('td', { class: 'muted' }, when(l.at)),
          h('td', { class: 'mono' }, l.text),
        ),
      );
      const result =
        j.value !== undefined
          ? JSON.stringify(j.value, null, 2)
          : j.error !== undefined
            ? j.error
            : j.progress !== undefined
              ? `progress: ${JSON.stringify(j.progress)}`
              : '(not yet)';
      show(
        h(
          'div',
          { class: 'page-head' },
          h('h1', { class: 'mono', id: 'job-id' }, j.callback),
          h('span', { id: 'job-status' }, badge(j.status)),
          j.status === 'failed' && h('button', { 'data-dead-retry': j.callback }, 'Retry'),
        ),
        h(
          'div',
          { class: 'grid cols-2' },
          h(
            'div',
            { class: 'panel' },
            h('h2', null, 'Job'),
            kv([
              ['type', j.type],
              ['attempts', `${j.attempts} of ${j.maxAttempts}`],
              ['created', when(j.createdAt)],
              ['started', when(j.startedAt)],
              ['finished', when(j.finishedAt)],
              ['accepted by', j.acceptedBy ? nodeLink(j.acceptedBy) : '–'],
              ['worked by', j.workedBy ? nodeLink(j.workedBy) : '–'],
              ['result kept', `${j.resultTtlSec} s once final`],
            ]),
          ),
          h(
            'div',
            { class: 'panel' },
            h('h2', null, 'History'),
            h(
              'ol',
              { class: 'timeline', id: 'job-events' },
              events.length ? events : h('li', { class: 'muted' }, 'no events'),
            ),
          ),
          h(
            'div',
            { class: 'panel' },
            h('h2', null, 'Data'),
            h('pre', null, JSON.stringify(j.data, null, 2)),
          ),
          h(
            'div',
            { class: 'panel' },
            h('h2', null, j.error !== undefined && j.value === undefined ? 'Error' : 'Result'),
            h('pre', { id: 'job-result' }, result),
          ),
          history.length > 0 &&
            h(
              'div',
              { class: 'panel' },
              h('h2', null, 'Failed attempts'),
              table(null, ['#', 'at', 'error', 'worker'], history),
            ),
          h(
            'div',
            { class: 'panel' },
            h('h2', null, 'Log'),
            lines.length > 0
              ? table({ id: 'job-log' }, ['attempt', 'at', 'line'], lines)
              : h('p', { class: 'muted', id: 'job-log' }, 'no lines (ctx.addLog)'),
          ),
        ),
      );
    }
    show(h('h1', { class: 'mono' }, id), h('p', { class: 'muted' }, 'Loading…'));
    void load();
    let heardAt = 0;
    return {
      render(s) {
        // Reread while the job is not final, and whenever the monitor hears a new event of it
        // (a dead letter retried from this page runs again).
        const heard = s.recentJobs.find((r) => r.id === id);
        const news = heard !== undefined && heard.at !== heardAt;
        if (heard) heardAt = heard.at;
        if (!job || !job.final || news) void load();
      },
    };
  }

  // A flow's tree (docs/workflows.md), each node with its live status: reread on every
  // snapshot (about a second) until the root is final.
  function flow(id) {
    const here = current;
    let tree = null;
    let missing = false;
    let loading = false;
    const short = (v) => {
      const t = JSON.stringify(v);
      return t === undefined ? '' : t.length > 60 ? `${t.slice(0, 59)}…` : t;
    };
    function nodeItem(n) {
      return h(
        'li',
        { key: n.id, 'data-flow-node': n.id },
        badge(n.status),
        ' ',
        jobLink(n.id),
        n.waitingFor !== undefined && [' ', muted(`waiting for ${n.waitingFor}`)],
        n.onFail !== undefined && n.onFail !== 'fail' && [' ', muted(`onFail ${n.onFail}`)],
        n.value !== undefined && [' ', h('code', null, short(n.value))],
        n.error !== undefined && [' ', h('span', { class: 'flow-error' }, n.error)],
        n.children.length > 0 && h('ul', { class: 'flow-tree' }, n.children.map(nodeItem)),
      );
    }
    function draw() {
      if (current !== here) return;
      if (missing) {
        show(
          h('h1', { class: 'mono' }, id),
          h('div', { class: 'panel', id: 'flow-missing' }, missing),
        );
        return;
      }
      if (!tree) return;
      show(
        h(
          'div',
          { class: 'page-head' },
          h('h1', { class: 'mono', id: 'flow-id' }, `flow ${tree.id}`),
          h('span', { id: 'flow-status' }, badge(tree.status)),
        ),
        h(
          'div',
          { class: 'panel' },
          h('ul', { class: 'flow-tree', id: 'flow-tree' }, nodeItem(tree)),
        ),
      );
    }
    async function load() {
      if (loading) return;
      loading = true;
      try {
        tree = await api('GET', `/console/api/flows/${encodeURIComponent(id)}`);
        missing = false;
      } catch (err) {
        missing = err.message;
      } finally {
        loading = false;
      }
      draw();
    }
    show(h('h1', { class: 'mono' }, id), h('p', { class: 'muted' }, 'Loading…'));
    void load();
    return {
      render() {
        if (!tree || !['done', 'failed', 'cancelled'].includes(tree.status)) void load();
      },
    };
  }

  function dead() {
    const here = current;
    const keyOf = (s) => s.queues.map((q) => `${q.queue}:${q.dead}`).join(',');
    // What the first load reads already: no second read when the first snapshot comes.
    let lastKey = snapshot ? keyOf(snapshot) : '';
    const deadRow = (j) =>
      h(
        'tr',
        { 'data-dead': j.callback, key: j.callback },
        h('td', null, jobLink(j.callback)),
        h('td', { class: 'muted' }, when(j.finishedAt)),
        num(j.attempts),
        h('td', null, j.error || ''),
        h(
          'td',
          null,
          h(
            'div',
            { class: 'actions' },
            h('button', { class: 'retry', 'data-dead-retry': j.callback }, 'Retry'),
            h('button', { class: 'danger purge', 'data-dead-purge': j.callback }, 'Purge'),
          ),
        ),
      );
    const queuePanel = (q) =>
      h(
        'div',
        { class: 'panel section', 'data-dead-queue': q.queue, key: q.queue },
        h(
          'div',
          { class: 'page-head' },
          h('h2', null, `${q.queue} · ${q.total}`),
          h(
            'div',
            { class: 'actions' },
            h('button', { 'data-dead-all': 'retry', 'data-queue': q.queue }, 'Retry all'),
            h(
              'button',
              { class: 'danger', 'data-dead-all': 'purge', 'data-queue': q.queue },
              'Purge all',
            ),
          ),
        ),
        table(null, ['callback', 'failed', 'attempts', 'error', ''], q.jobs.map(deadRow)),
      );
    async function load() {
      let body;
      try {
        const d = await api('GET', '/console/api/dead');
        const full = d.queues.filter((q) => q.jobs.length);
        body = full.length
          ? full.map(queuePanel)
          : h(
              'div',
              { class: 'panel empty', id: 'no-dead' },
              'No dead letters. Jobs that fail for good land here, to retry or purge.',
            );
      } catch (err) {
        body = h('div', { class: 'panel' }, err.message);
      }
      if (current === here) show(h('h1', null, 'Dead letters'), body);
    }
    void load();
    return {
      render(s) {
        const key = keyOf(s);
        if (key !== lastKey) {
          lastKey = key;
          void load();
        }
      },
      load,
    };
  }

  page.addEventListener('click', async (e) => {
    const retry = e.target.closest('[data-dead-retry]');
    const purge = e.target.closest('[data-dead-purge]');
    const all = e.target.closest('[data-dead-all]');
    try {
      if (retry) {
        const id = retry.dataset.deadRetry;
        await api('POST', `/console/api/dead/${encodeURIComponent(id)}/retry`);
        toast(`${id} is queued again`);
      } else if (purge) {
        const id = purge.dataset.deadPurge;
        if (!confirm(`Purge ${id} for good?`)) return;
        await api('DELETE', `/console/api/dead/${encodeURIComponent(id)}`);
        toast(`${id} purged`);
      } else if (all) {
        const q = all.dataset.queue;
        const verb = all.dataset.deadAll;
        if (!confirm(`${verb} every dead letter of ${q}?`)) return;
        const r = await api(
          verb === 'retry' ? 'POST' : 'DELETE',
          `/console/api/queues/${encodeURIComponent(q)}/dead${verb === 'retry' ? '/retry' : ''}`,
        );
        toast(`${q}: ${r.retried ?? r.purged} ${verb === 'retry' ? 'retried' : 'purged'}`);
      } else return;
      if (current && current.load) await current.load();
    } catch (err) {
      toast(err.message, true);
    }
  });

  function submit() {
    show(
      h('h1', null, 'Submit work'),
      h(
        'form',
        { id: 'submit', class: 'panel', autocomplete: 'off' },
        h('label', { for: 'type' }, 'Job type'),
        h('select', { id: 'type', name: 'type' }),
        h('p', { class: 'muted', id: 'type-doc' }),
        h('label', { for: 'data' }, 'Data (JSON)'),
        h('textarea', { id: 'data', name: 'data', spellcheck: 'false' }, '"some-string-goes-here"'),
        h('p', null, h('button', { class: 'primary', type: 'submit' }, 'Submit')),
      ),
    );
    const form = document.getElementById('submit');
    const select = form.elements.type;
    const dataField = form.elements.data;
    let types = [];
    api('GET', '/console/api/types').then(
      (r) => {
        types = r.types;
        select.replaceChildren(...types.map((t) => h('option', { value: t.name }, t.name)));
        describe();
      },
      (err) => toast(err.message, true),
    );
    function describe() {
      const t = types.find((x) => x.name === select.value);
      document.getElementById('type-doc').textContent = t ? t.description : '';
      if (t && t.example !== undefined) dataField.value = JSON.stringify(t.example, null, 2);
    }
    select.addEventListener('change', describe);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      let data;
      try {
        data = JSON.parse(dataField.value);
      } catch {
        toast('Data is not valid JSON (a string needs quotes).', true);
        return;
      }
      try {
        const r = await api('POST', '/console/api/work', { type: select.value, data });
        location.hash = `#/job/${encodeURIComponent(r.callback)}`;
      } catch (err) {
        toast(err.message, true);
      }
    });
    return {};
  }

  // ---------- schedules ----------
  function schedules() {
    const here = current;
    const row = (s) => {
      const last = s.runs[0];
      return h(
        'tr',
        { 'data-schedule': s.id, key: s.id },
        h('td', { class: 'mono' }, s.id),
        h('td', null, s.type),
        h(
          'td',
          { class: 'mono' },
          s.definition.cron
            ? `${s.definition.cron}${s.definition.tz ? ` (${s.definition.tz})` : ''}`
            : `every ${duration(s.definition.everyMs)}`,
        ),
        h('td', null, badge(s.status)),
        h('td', { class: 'muted' }, when(s.nextTick)),
        h(
          'td',
          null,
          last
            ? last.job
              ? [muted(`${when(last.tick)} `), jobLink(last.job)]
              : muted(`${when(last.tick)} skipped (${last.skipped})`)
            : muted('never'),
        ),
        num(s.count),
        num(s.lagMs === null ? '–' : `${s.lagMs} ms`),
        h(
          'td',
          null,
          s.status === 'ended'
            ? ''
            : h(
                'button',
                {
                  'data-schedule-action': s.status === 'paused' ? 'resume' : 'pause',
                  'data-id': s.id,
                },
                s.status === 'paused' ? 'Resume' : 'Pause',
              ),
        ),
      );
    };
    async function load() {
      let body;
      try {
        const d = await api('GET', '/console/api/schedules');
        body = d.schedules.length
          ? h(
              'div',
              { class: 'panel' },
              table(
                { id: 'schedules' },
                [
                  'id',
                  'type',
                  'when',
                  'status',
                  'next fire',
                  'last run',
                  ['fired', 'num'],
                  ['lag', 'num'],
                  '',
                ],
                d.schedules.map(row),
              ),
            )
          : h(
              'div',
              { class: 'panel empty', id: 'no-schedules' },
              "No schedules. Add one with POST /api/schedules, `workmesh schedule add`, or a job type's `schedules`.",
            );
      } catch (err) {
        body = h('div', { class: 'panel' }, err.message);
      }
      if (current === here) show(h('h1', null, 'Schedules'), body);
    }
    void load();
    // Ticks are not in the monitor's snapshot: reread every few seconds while shown.
    let lastLoad = Date.now();
    return {
      render() {
        if (Date.now() - lastLoad >= 2000) {
          lastLoad = Date.now();
          void load();
        }
      },
      load,
    };
  }
  page.addEventListener('click', async (e) => {
    const button = e.target.closest('[data-schedule-action]');
    if (!button) return;
    const { scheduleAction, id } = button.dataset;
    try {
      await api('POST', `/console/api/schedules/${encodeURIComponent(id)}/${scheduleAction}`);
      toast(`${id}: ${scheduleAction === 'pause' ? 'paused' : 'resumed'}`);
      if (current.load) void current.load();
    } catch (err) {
      toast(err.message, true);
    }
  });

  // ---------- router ----------
  // The queue list and a job type's page (queues.js).
  const queuePages = window.WMQueues.pages({
    show,
    badge,
    kv,
    table,
    num,
    empty,
    rate,
    api,
    toast,
    current: () => current,
    snapshot: () => snapshot,
  });
  page.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-queue-action]');
    if (b) void queuePages.queueAction(b.dataset.queueAction, b.dataset.type);
  });

  // The jobs page: filters, a selection and bulk actions (jobs.js).
  const jobPages = window.WMJobs.pages({
    show,
    badge,
    table,
    empty,
    api,
    toast,
    when,
    jobLink,
    current: () => current,
  });
  // The metrics history (history.js).
  const historyPage = window.WMHistory.page({ show, api, current: () => current });

  // ---------- router ----------
  const routes = {
    jobs: jobPages.jobs,
    '': overview,
    nodes,
    node,
    queues: queuePages.queues,
    queue: queuePages.queue,
    job,
    dead,
    submit,
    schedules,
    flow,
    history: historyPage,
  };
  function route() {
    const [, name = '', arg] = (location.hash || '#/').split('/').map(decodeURIComponent);
    const make = routes[name] || overview;
    document.querySelectorAll('[data-nav]').forEach((a) => {
      const nav = a.dataset.nav === 'overview' ? '' : a.dataset.nav;
      a.classList.toggle(
        'active',
        nav === name ||
          (name === 'node' && nav === 'nodes') ||
          (name === 'queue' && nav === 'queues'),
      );
    });
    if (current && current.leave) current.leave();
    current = { name, arg };
    // A new page starts from nothing: only the page it was drawn by is patched in place.
    page.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
    Object.assign(current, make(arg));
    if (snapshot && current.render) current.render(snapshot);
  }
  window.addEventListener('hashchange', route);
  document.getElementById('find').addEventListener('submit', (e) => {
    e.preventDefault();
    const id = e.target.elements.callback.value.trim();
    if (id) location.hash = `#/job/${encodeURIComponent(id)}`;
  });
  route();
  connect();
})();
