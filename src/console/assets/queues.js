// The console's queue pages: the list of queues (#/queues) and a job type's page (#/queue/<type>)
// with its state, limits, what they hold back, and pause / resume. Built with app.js's helpers
// (passed in), live: each snapshot of the stream rereads the types' controls.
'use strict';
(function () {
  const { h } = window.WMDom;

  /** `20 / 1 s`, a rate limit as read. */
  const per = (r) => `${r.max} / ${r.perMs % 1000 === 0 ? `${r.perMs / 1000} s` : `${r.perMs} ms`}`;
  const typeOf = (queue) => queue.split('~')[0];
  /** A count linking to the jobs it counts (the jobs page, filtered). */
  const count = (n, filters) => (n ? h('a', { href: window.WMJobs.route(filters) }, n) : n);

  /**
   * Reads `path` when asked, one read at a time (asked again meanwhile: once more after it),
   * and hands each answer (or error) to `then` while the page is still shown.
   */
  function reader(ui, path, then) {
    const here = ui.current();
    let loading = false;
    let again = false;
    async function load() {
      if (loading) {
        again = true;
        return;
      }
      loading = true;
      let answer;
      let error;
      try {
        answer = await ui.api('GET', path);
      } catch (err) {
        error = err.message;
      } finally {
        loading = false;
      }
      if (ui.current() === here) then(answer, error);
      if (again) {
        again = false;
        void load();
      }
    }
    return load;
  }

  function pages(ui) {
    const { show, badge, kv, table, num, empty, rate } = ui;

    function limitsPairs(l) {
      return [
        ['rate', l.rate ? per(l.rate) : '–'],
        ['concurrency', l.concurrency === undefined ? '–' : `${l.concurrency} at once`],
        ['per group: rate', l.groupRate ? per(l.groupRate) : '–'],
        [
          'per group: concurrency',
          l.groupConcurrency === undefined ? '–' : `${l.groupConcurrency} at once`,
        ],
      ];
    }

    function queueActions(q) {
      // Keyed by action: a press on Pause must not be let go on the Resume that replaced it.
      return h(
        'div',
        { class: 'actions' },
        q.paused
          ? h(
              'button',
              { 'data-queue-action': 'resume', 'data-type': q.type, key: 'resume' },
              'Resume',
            )
          : h(
              'button',
              { class: 'danger', 'data-queue-action': 'pause', 'data-type': q.type, key: 'pause' },
              'Pause',
            ),
      );
    }

    /** The list: the monitor's per-queue figures, each row linking to its type's page. */
    function queues() {
      let states = new Map();
      let last = null;
      const load = reader(ui, '/console/api/queues', (answer) => {
        if (answer) states = new Map(answer.queues.map((q) => [q.type, q]));
        if (last) draw(last);
      });
      function draw(s) {
        const head = [
          'queue',
          'state',
          ...['waiting', 'active', 'delayed', 'dead', 'accepted', 'done', 'failed', 'jobs/s'].map(
            (label) => [label, 'num'],
          ),
          'workers',
        ];
        const row = (q) => {
          const type = typeOf(q.queue);
          const state = states.get(type);
          const w = s.nodes.filter(
            (n) => n.role === 'worker' && n.offers.types.includes(q.queue),
          ).length;
          return h(
            'tr',
            { 'data-queue': q.queue, key: q.queue },
            h(
              'td',
              null,
              h('a', { href: `#/queue/${encodeURIComponent(type)}` }, h('b', null, q.queue)),
            ),
            h('td', null, state ? badge(state.paused ? 'paused' : 'running') : null),
            // Every count links to the jobs page, filtered (jobs.js); delayed jobs are accepted.
            num(count(q.waiting, { type, status: 'accepted' })),
            num(count(q.active, { type, status: 'pending' })),
            num(count(q.delayed, { type, status: 'accepted' })),
            num(count(q.dead, { type, status: 'failed', time: 'finished' })),
            num(count(q.accepted, { type })),
            num(count(q.done, { type, status: 'done' })),
            num(count(q.failed, { type, status: 'failed' })),
            num(rate(q.perSec)),
            h('td', null, w),
          );
        };
        show(
          h('h1', null, 'Queues'),
          h(
            'div',
            { class: 'panel' },
            s.queues.length
              ? table({ id: 'queues' }, head, s.queues.map(row))
              : empty('No queue yet.'),
          ),
        );
      }
      return {
        render(s) {
          last = s;
          draw(s);
          void load();
        },
      };
    }

    /** A job type's page: state, limits, held back, pause / resume. */
    function queue(type) {
      let snapshotQueues = [];
      const load = reader(ui, `/console/api/queues/${encodeURIComponent(type)}`, (q, error) => {
        if (error) {
          show(
            h('h1', { class: 'mono' }, type),
            h('div', { class: 'panel', id: 'queue-missing' }, error),
          );
          return;
        }
        draw(q);
      });
      function draw(q) {
        const byPriority = Object.entries(q.waiting.byPriority).sort(
          (a, b) => Number(b[0]) - Number(a[0]),
        );
        const held = q.heldBack;
        const parts = snapshotQueues.filter((x) => typeOf(x.queue) === type);
        const perSec = parts.reduce((a, x) => a + x.perSec, 0);
        show(
          h(
            'div',
            { class: 'page-head' },
            h('h1', { class: 'mono', id: 'queue-type' }, q.type),
            h('span', { id: 'queue-state' }, badge(q.paused ? 'paused' : 'running')),
            queueActions(q),
          ),
          h(
            'div',
            { class: 'grid cols-2' },
            h(
              'div',
              { class: 'panel' },
              h('h2', null, 'Queue'),
              h(
                'div',
                { id: 'queue-figures' },
                kv([
                  ['paused', q.paused ? 'yes: no job starts; submissions wait' : 'no'],
                  ['partitions', q.partitions],
                  ['waiting', count(q.waiting.total, { type: q.type, status: 'accepted' })],
                  ['active', count(q.active, { type: q.type, status: 'pending' })],
                  ['delayed', count(q.delayed, { type: q.type, status: 'accepted' })],
                  ['dead', count(q.dead, { type: q.type, status: 'failed', time: 'finished' })],
                  ['jobs/s', rate(perSec)],
                  ...(q.heldUntil ? [['held back until', q.heldUntil]] : []),
                ]),
              ),
            ),
            h(
              'div',
              { class: 'panel', id: 'queue-limits' },
              h('h2', null, 'Limits'),
              kv(limitsPairs(q.limits)),
            ),
            h(
              'div',
              { class: 'panel' },
              h('h2', null, 'Waiting by priority'),
              byPriority.length
                ? table(
                    { id: 'queue-priorities' },
                    ['priority', ['waiting', 'num']],
                    byPriority.map(([p, n]) => h('tr', { key: p }, h('td', null, p), num(n))),
                  )
                : empty('Nothing waits.'),
            ),
            h(
              'div',
              { class: 'panel', id: 'queue-held' },
              h('h2', null, 'Held back now'),
              kv([
                ['by pause', held.byPause],
                ['by rate (or a retryAfterMs hold)', held.byRate],
                ['by concurrency', held.byConcurrency],
                ['over a group limit', held.groupsParked],
              ]),
            ),
          ),
        );
      }
      void load();
      return {
        render(s) {
          snapshotQueues = s.queues;
          void load();
        },
      };
    }

    async function queueAction(action, type) {
      if (!window.confirm(`${action} ${type}?`)) return;
      try {
        const q = await ui.api('POST', `/console/api/queues/${encodeURIComponent(type)}/${action}`);
        ui.toast(`${type}: ${q.paused ? 'paused' : 'resumed'} (${q.waiting.total} waiting)`);
        const current = ui.current();
        if (current && current.render && ui.snapshot()) current.render(ui.snapshot());
      } catch (err) {
        ui.toast(`${action} ${type}: ${err.message}`, true);
      }
    }

    return { queues, queue, queueAction };
  }

  window.WMQueues = { pages };
})();
