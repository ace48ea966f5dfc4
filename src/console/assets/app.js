// The workmesh console: one page, hash routes, live from /console/api/stream (server-sent
// events carrying the monitor's whole snapshot). Plain browser JavaScript, no build step.
'use strict';
(function () {
  const { line, esc } = window.WMCharts;
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
  const badge = (text) => `<span class="badge ${esc(text)}">${esc(text)}</span>`;
  const jobLink = (id) => `<a class="mono" href="#/job/${encodeURIComponent(id)}">${esc(id)}</a>`;
  const nodeLink = (id) => `<a class="mono" href="#/node/${encodeURIComponent(id)}">${esc(id)}</a>`;
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
  function nodeRole(n) {
    return n.role;
  }

  function topology(s) {
    const W = 900;
    const workers = s.nodes.filter((n) => n.role === 'worker');
    const others = s.nodes.filter((n) => n.role !== 'worker');
    const queues = s.queues;
    const rows = Math.max(workers.length, others.length, queues.length + 1, 2);
    const rowH = 46;
    const H = 30 + rows * rowH;
    const xL = 150;
    const xC = 450;
    const xR = 750;
    const yOf = (i, n) => 20 + ((i + 0.5) * (H - 40)) / n;
    const redisY = yOf(0, queues.length + 1);
    const queueY = new Map(queues.map((q, i) => [q.queue, yOf(i + 1, queues.length + 1)]));
    let edges = '';
    let shapes = '';
    const short = (id) => (id.length > 24 ? `${id.slice(0, 10)}…${id.slice(-10)}` : id);
    const box = (x, y, w, label, sub, cls, href) => {
      const inner = `<rect x="${x - w / 2}" y="${y - 17}" width="${w}" height="34" rx="7" class="${cls}"/>
        <text x="${x}" y="${y - 2}" text-anchor="middle" font-size="12" fill="#d8dee9">${esc(label)}</text>
        <text x="${x}" y="${y + 11}" text-anchor="middle" font-size="10" fill="#8593a6">${esc(sub)}</text>`;
      return href ? `<a href="${href}" data-node="${esc(href.slice(7))}">${inner}</a>` : inner;
    };
    others.forEach((n, i) => {
      const y = yOf(i, others.length);
      edges += `<line x1="${xL + 85}" y1="${y}" x2="${xC - 70}" y2="${redisY}" stroke="#3b4a5e" stroke-width="1.5"/>`;
      shapes += box(
        xL,
        y,
        170,
        short(n.id),
        `${n.role} · ${n.host}`,
        `node ${n.role}`,
        `#/node/${encodeURIComponent(n.id)}`,
      );
    });
    workers.forEach((n, i) => {
      const y = yOf(i, workers.length);
      const active = n.figures.inFlight > 0;
      for (const t of n.offers.types) {
        const qy = queueY.get(t);
        if (qy === undefined) continue;
        edges += `<line x1="${xR - 85}" y1="${y}" x2="${xC + 60}" y2="${qy}" stroke="${active ? '#57c785' : '#3b4a5e'}" stroke-width="${active ? 2 : 1.2}"/>`;
      }
      const state =
        n.meta && n.meta.state && n.meta.state !== 'running' ? ` · ${n.meta.state}` : '';
      shapes += box(
        xR,
        y,
        170,
        short(n.id),
        `${n.figures.inFlight} in flight${state}`,
        `node worker`,
        `#/node/${encodeURIComponent(n.id)}`,
      );
    });
    shapes += box(
      xC,
      redisY,
      140,
      'Redis',
      s.redisOk ? 'registry · streams' : 'unreachable',
      s.redisOk ? 'redis' : 'redis down',
    );
    queues.forEach((q) => {
      const y = queueY.get(q.queue);
      edges += `<line x1="${xC}" y1="${redisY + 17}" x2="${xC}" y2="${y - 17}" stroke="#2a3544" stroke-width="1"/>`;
      shapes += box(xC, y, 120, q.queue, `${q.waiting} waiting · ${q.active} active`, 'queue');
    });
    if (s.nodes.length === 0)
      shapes += `<text x="${W / 2}" y="${H - 10}" text-anchor="middle" fill="#8593a6" font-size="12">no live node</text>`;
    return `<div class="panel topology"><h2>Cluster</h2><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="cluster topology">
      ${edges}${shapes}</svg></div>`;
  }

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
        const stat = (label, value, id) =>
          `<div class="panel stat"><div class="value" id="${id}">${esc(value)}</div><div class="label">${esc(label)}</div></div>`;
        const recent = s.recentJobs.slice(0, 10);
        // The latest known p50, as the latency chart's legend shows it: an interval in which
        // no job finished has none.
        const lastP50 = [t, ...[...s.history.throughput].reverse()]
          .map((p) => p.latencyP50Ms)
          .find((v) => v !== null && v !== undefined);
        page.innerHTML = `
          <div class="grid cols-4">
            ${stat('nodes', s.nodes.length, 'stat-nodes')}
            ${stat('workers', s.nodes.filter((n) => n.role === 'worker').length, 'stat-workers')}
            ${stat('waiting', waiting, 'stat-waiting')}
            ${stat('done / s', rate(t.donePerSec), 'stat-done')}
            ${stat('latency p50', lastP50 === undefined ? '–' : ms(lastP50), 'stat-latency')}
            ${stat('dead letters', dead, 'stat-dead')}
          </div>
          <div class="section">${topology(s)}</div>
          <div class="grid cols-2 section">
            ${line('Throughput', throughputSeries(s), { unit: '/s' })}
            ${line('Latency (accepted → final)', latencySeries(s), { format: ms })}
          </div>
          <div class="grid cols-2 section">
            <div class="panel"><h2>Recent jobs</h2>${
              recent.length
                ? `<table><tr><th>callback</th><th>status</th><th>at</th></tr>${recent
                    .map(
                      (j) =>
                        `<tr><td>${jobLink(j.id)}</td><td>${badge(j.status)}</td><td class="muted">${clock(j.at)}</td></tr>`,
                    )
                    .join('')}</table>`
                : '<div class="empty">No job events since the monitor started.</div>'
            }</div>
            <div class="panel"><h2>Membership</h2>${eventsTable(s.events.slice(-10).reverse())}</div>
          </div>`;
      },
    };
  }

  function eventsTable(events) {
    if (!events.length) return '<div class="empty">No membership change yet.</div>';
    return `<table id="events"><tr><th>at</th><th>event</th><th>node</th><th>role</th></tr>${events
      .map(
        (e) =>
          `<tr><td class="muted">${clock(e.at)}</td><td>${badge(e.event)}${e.reason ? ` <span class="muted">${esc(e.reason)}</span>` : ''}</td><td class="id">${esc(e.nodeId)}</td><td>${esc(e.role)}</td></tr>`,
      )
      .join('')}</table>`;
  }

  function nodeActions(n) {
    const worker = n.role === 'worker';
    return `<div class="actions">
      <button data-action="ping" data-id="${esc(n.id)}">Ping</button>
      ${worker ? `${n.meta && (n.meta.state === 'draining' || n.meta.state === 'drained') ? `<button data-action="resume" data-id="${esc(n.id)}">Resume</button>` : `<button data-action="drain" data-id="${esc(n.id)}">Drain</button>`}<button class="danger" data-action="stop" data-id="${esc(n.id)}">Stop</button>` : ''}
    </div>`;
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
        page.innerHTML = `<h1>Nodes</h1><div class="panel">${
          s.nodes.length
            ? `<table id="nodes"><tr><th>node</th><th>role</th><th>host</th><th class="num">uptime</th><th class="num">heartbeat</th><th class="num">in flight</th><th class="num">processed</th><th class="num">failed</th><th class="num">heap</th><th class="num">RSS</th><th class="num">CPU</th><th class="num">loop lag</th><th></th></tr>${s.nodes
                .map(
                  (
                    n,
                  ) => `<tr data-node="${esc(n.id)}"><td>${nodeLink(n.id)}${n.meta && n.meta.state && n.meta.state !== 'running' ? ' ' + badge(n.meta.state) : ''}</td><td>${badge(nodeRole(n))}</td><td>${esc(n.host)}</td>
                  <td class="num">${duration(s.at - n.startedAt)}</td><td class="num">${(n.heartbeatAgeMs / 1000).toFixed(1)}s</td>
                  <td class="num">${n.figures.inFlight}</td><td class="num">${n.figures.processed}</td><td class="num">${n.figures.failed}</td>
                  <td class="num">${mb(n.figures.heapUsedBytes)}</td><td class="num">${mb(n.figures.rssBytes)}</td>
                  <td class="num">${n.figures.cpuPercent.toFixed(1)}%</td><td class="num">${n.figures.eventLoopLagMs.toFixed(1)} ms</td><td>${nodeActions(n)}</td></tr>`,
                )
                .join('')}</table>`
            : '<div class="empty">No live node.</div>'
        }</div>
        <div class="panel section"><h2>Membership</h2>${eventsTable(s.events.slice().reverse())}</div>`;
      },
    };
  }

  function node(id) {
    return {
      render(s) {
        const n = s.nodes.find((x) => x.id === id);
        if (!n) {
          page.innerHTML = `<div class="page-head"><h1 class="mono">${esc(id)}</h1>${badge('left')}</div>
            <div class="panel" id="node-gone">This node is not (or no longer) a live member of the cluster.</div>`;
          return;
        }
        const h = (s.history.nodes[id] || []).map((p) => p);
        const pts = (f) => h.map((p) => ({ t: p.at, v: f(p) }));
        const info = [
          ['role', badge(n.role)],
          ['state', n.meta && n.meta.state ? badge(n.meta.state) : '–'],
          ['host / pid', `${esc(n.host)} / ${n.pid}`],
          ['version', esc(n.version)],
          [
            'up since',
            `${when(new Date(n.startedAt).toISOString())} (${duration(s.at - n.startedAt)})`,
          ],
          ['heartbeat', `${(n.heartbeatAgeMs / 1000).toFixed(1)} s ago (TTL ${n.ttlMs / 1000} s)`],
          [
            'offers',
            n.offers.types.length
              ? `${n.offers.types.map(esc).join(', ')} (${n.offers.concurrency} at once)`
              : '–',
          ],
          [
            'jobs',
            `${n.figures.inFlight} in flight · ${n.figures.processed} processed · ${n.figures.failed} failed`,
          ],
          ...Object.entries(n.meta || {})
            .filter(([k]) => k !== 'state')
            .map(([k, v]) => [esc(k), esc(v)]),
        ];
        page.innerHTML = `<div class="page-head"><h1 class="mono" id="node-id">${esc(n.id)}</h1>${nodeActions(n)}</div>
          <div class="grid cols-2">
            <div class="panel"><h2>Node</h2><dl class="kv">${info.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl></div>
            ${line('Active jobs', [{ name: 'in flight', color: '#e3b341', points: pts((p) => p.inFlight) }])}
            ${line(
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
            )}
            ${line('CPU', [{ name: 'CPU', color: '#57c785', points: pts((p) => p.cpuPercent) }], { unit: '%' })}
            ${line('Event-loop lag (p99)', [{ name: 'lag', color: '#e5534b', points: pts((p) => p.eventLoopLagMs) }], { unit: 'ms' })}
          </div>`;
      },
    };
  }

  function queues() {
    return {
      render(s) {
        page.innerHTML = `<h1>Queues</h1><div class="panel">${
          s.queues.length
            ? `<table id="queues"><tr><th>queue</th><th class="num">waiting</th><th class="num">active</th><th class="num">delayed</th><th class="num">dead</th><th class="num">accepted</th><th class="num">done</th><th class="num">failed</th><th class="num">jobs/s</th><th>workers</th></tr>${s.queues
                .map((q) => {
                  const w = s.nodes.filter(
                    (n) => n.role === 'worker' && n.offers.types.includes(q.queue),
                  ).length;
                  return `<tr data-queue="${esc(q.queue)}"><td><b>${esc(q.queue)}</b></td><td class="num">${q.waiting}</td><td class="num">${q.active}</td><td class="num">${q.delayed}</td>
                    <td class="num">${q.dead ? `<a href="#/dead">${q.dead}</a>` : 0}</td><td class="num">${q.accepted}</td><td class="num">${q.done}</td><td class="num">${q.failed}</td><td class="num">${rate(q.perSec)}</td><td>${w}</td></tr>`;
                })
                .join('')}</table>`
            : '<div class="empty">No queue yet.</div>'
        }</div>`;
      },
    };
  }

  function job(id) {
    let job = null;
    let loading = false;
    let missing = false;
    const FINAL = ['done', 'failed', 'cancelled'];
    async function load() {
      if (loading) return;
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
    }
    function draw() {
      if (current.arg !== id) return;
      if (missing) {
        page.innerHTML = `<h1 class="mono">${esc(id)}</h1><div class="panel" id="job-missing">${esc(missing)}</div>`;
        return;
      }
      if (!job) return;
      const j = job;
      const kv = [
        ['type', esc(j.type)],
        ['attempts', `${j.attempts} of ${j.maxAttempts}`],
        ['created', when(j.createdAt)],
        ['started', when(j.startedAt)],
        ['finished', when(j.finishedAt)],
        ['accepted by', j.acceptedBy ? nodeLink(j.acceptedBy) : '–'],
        ['worked by', j.workedBy ? nodeLink(j.workedBy) : '–'],
        ['result kept', `${j.resultTtlSec} s once final`],
      ];
      const first = j.events && j.events[0] ? j.events[0].at : 0;
      const events = (j.events || [])
        .map((e) => {
          const { n, status, at, ...extra } = e;
          // Extras of an event (attempt, worker, progress, error): one readable line.
          const more = Object.entries(extra)
            .map(([k, v]) =>
              k === 'worker' && typeof v === 'string'
                ? ` · ${nodeLink(v)}`
                : ` · <span class="muted">${esc(k)}</span> ${esc(typeof v === 'string' ? v : JSON.stringify(v))}`,
            )
            .join('');
          const stamp = new Date(at).toISOString().slice(11, 23);
          const since = at > first ? ` <span class="muted">(+${ms(at - first)})</span>` : '';
          return `<li><span class="muted">#${n}</span><span>${badge(status)}</span><span><span class="muted">${stamp}</span>${since}${more}</span></li>`;
        })
        .join('');
      const history = (j.history || [])
        .map(
          (h) =>
            `<tr><td>${h.attempt}</td><td class="muted">${when(h.at)}</td><td>${esc(h.error)}</td><td>${nodeLink(h.worker)}</td></tr>`,
        )
        .join('');
      page.innerHTML = `<div class="page-head"><h1 class="mono" id="job-id">${esc(j.callback)}</h1><span id="job-status">${badge(j.status)}</span>
          ${j.status === 'failed' ? `<button data-dead-retry="${esc(j.callback)}">Retry</button>` : ''}</div>
        <div class="grid cols-2">
          <div class="panel"><h2>Job</h2><dl class="kv">${kv.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join('')}</dl></div>
          <div class="panel"><h2>History</h2><ol class="timeline" id="job-events">${events || '<li class="muted">no events</li>'}</ol></div>
          <div class="panel"><h2>Data</h2><pre>${esc(JSON.stringify(j.data, null, 2))}</pre></div>
          <div class="panel"><h2>${j.error !== undefined && j.value === undefined ? 'Error' : 'Result'}</h2><pre id="job-result">${esc(
            j.value !== undefined
              ? JSON.stringify(j.value, null, 2)
              : j.error !== undefined
                ? j.error
                : j.progress !== undefined
                  ? `progress: ${JSON.stringify(j.progress)}`
                  : '(not yet)',
          )}</pre></div>
          ${history ? `<div class="panel"><h2>Failed attempts</h2><table><tr><th>#</th><th>at</th><th>error</th><th>worker</th></tr>${history}</table></div>` : ''}
        </div>`;
    }
    page.innerHTML = `<h1 class="mono">${esc(id)}</h1><p class="muted">Loading…</p>`;
    void load();
    let heardAt = 0;
    return {
      render(s) {
        // Reread while the job is not final, and whenever the monitor hears a new event of it
        // (a dead letter retried from this page runs again).
        const heard = s.recentJobs.find((r) => r.id === id);
        const news = heard !== undefined && heard.at !== heardAt;
        if (heard) heardAt = heard.at;
        if (!job || !FINAL.includes(job.status) || news) void load();
      },
    };
  }

  function dead() {
    let lastKey = '';
    async function load() {
      try {
        const d = await api('GET', '/console/api/dead');
        const any = d.queues.some((q) => q.jobs.length);
        page.innerHTML = `<h1>Dead letters</h1>${
          any
            ? d.queues
                .filter((q) => q.jobs.length)
                .map(
                  (
                    q,
                  ) => `<div class="panel section" data-dead-queue="${esc(q.queue)}"><div class="page-head"><h2>${esc(q.queue)} · ${q.total}</h2>
                  <div class="actions"><button data-dead-all="retry" data-queue="${esc(q.queue)}">Retry all</button><button class="danger" data-dead-all="purge" data-queue="${esc(q.queue)}">Purge all</button></div></div>
                  <table><tr><th>callback</th><th>failed</th><th>attempts</th><th>error</th><th></th></tr>${q.jobs
                    .map(
                      (
                        j,
                      ) => `<tr data-dead="${esc(j.callback)}"><td>${jobLink(j.callback)}</td><td class="muted">${when(j.finishedAt)}</td><td class="num">${j.attempts}</td><td>${esc(j.error || '')}</td>
                      <td><div class="actions"><button class="retry" data-dead-retry="${esc(j.callback)}">Retry</button><button class="danger purge" data-dead-purge="${esc(j.callback)}">Purge</button></div></td></tr>`,
                    )
                    .join('')}</table></div>`,
                )
                .join('')
            : '<div class="panel empty" id="no-dead">No dead letters. Jobs that fail for good land here, to retry or purge.</div>'
        }`;
      } catch (err) {
        page.innerHTML = `<h1>Dead letters</h1><div class="panel">${esc(err.message)}</div>`;
      }
    }
    void load();
    return {
      render(s) {
        const key = s.queues.map((q) => `${q.queue}:${q.dead}`).join(',');
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
    page.innerHTML = `<h1>Submit work</h1><form id="submit" class="panel" autocomplete="off">
        <label for="type">Job type</label><select id="type" name="type"></select>
        <p class="muted" id="type-doc"></p>
        <label for="data">Data (JSON)</label><textarea id="data" name="data" spellcheck="false">"some-string-goes-here"</textarea>
        <p><button class="primary" type="submit">Submit</button></p>
      </form>`;
    const form = document.getElementById('submit');
    const select = form.elements.type;
    const dataField = form.elements.data;
    let types = [];
    api('GET', '/console/api/types').then(
      (r) => {
        types = r.types;
        select.innerHTML = types
          .map((t) => `<option value="${esc(t.name)}">${esc(t.name)}</option>`)
          .join('');
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

  // ---------- router ----------
  const routes = { '': overview, nodes, node, queues, job, dead, submit };
  function route() {
    const [, name = '', arg] = (location.hash || '#/').split('/').map(decodeURIComponent);
    const make = routes[name] || overview;
    document.querySelectorAll('[data-nav]').forEach((a) => {
      const nav = a.dataset.nav === 'overview' ? '' : a.dataset.nav;
      a.classList.toggle('active', nav === name || (name === 'node' && nav === 'nodes'));
    });
    current = { name, arg };
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
