// The console's jobs page (#/jobs/<filters>): jobs found with GET /api/jobs's filters (type,
// status, time range, a data field), a selection (checkboxes, all on the page), and bulk
// actions on it (retry, cancel, delete), each confirmed in a dialog and reported: how many
// were acted on, how many skipped and why. Built with app.js's helpers (passed in).
'use strict';
(function () {
  const { h } = window.WMDom;
  const { URLSearchParams } = window;

  const STATUSES = ['accepted', 'pending', 'done', 'failed', 'cancelled'];
  const SINCE = [
    ['', 'any time'],
    ['15m', 'last 15 minutes'],
    ['1h', 'last hour'],
    ['24h', 'last 24 hours'],
    ['7d', 'last 7 days'],
  ];
  const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 };
  const VERB = { retry: 'Retry', cancel: 'Cancel', delete: 'Delete' };
  const DONE = { retry: 'retried', cancel: 'cancelled', delete: 'deleted' };

  /** The page's filters from its route (`type=hash&status=failed&since=1h`). */
  function filtersOf(arg) {
    const p = new URLSearchParams(arg || '');
    return {
      type: p.get('type') || '',
      status: p.get('status') || '',
      time: p.get('time') === 'finished' ? 'finished' : 'created',
      since: p.get('since') || '',
      data: p.get('data') || '',
    };
  }

  /** The route of a set of filters (what a count's link points at). */
  function route(f) {
    const p = new URLSearchParams();
    for (const k of ['type', 'status', 'since', 'data']) if (f[k]) p.set(k, f[k]);
    if (f.time === 'finished') p.set('time', 'finished');
    const text = p.toString();
    return text ? `#/jobs/${encodeURIComponent(text)}` : '#/jobs';
  }

  /** GET /console/api/jobs's query for the filters; a relative `since` counted from now. */
  function query(f, cursor) {
    const p = new URLSearchParams({ limit: '50' });
    if (f.type) p.set('type', f.type);
    if (f.status) p.set('status', f.status);
    if (f.time === 'finished') p.set('time', 'finished');
    const ago = /^(\d+)([mhd])$/.exec(f.since);
    if (ago) p.set('since', String(Date.now() - Number(ago[1]) * UNIT_MS[ago[2]]));
    const eq = f.data.indexOf('=');
    if (eq > 0) p.set(`data.${f.data.slice(0, eq).trim()}`, f.data.slice(eq + 1));
    if (cursor) p.set('cursor', cursor);
    return p.toString();
  }

  /** The confirmation dialog, one for the console, outside the page (a redraw keeps it). */
  function confirmDialog() {
    let dialog = document.getElementById('jobs-confirm');
    if (!dialog) {
      dialog = h(
        'dialog',
        { id: 'jobs-confirm', class: 'panel' },
        h('p', { id: 'jobs-confirm-text' }),
        h(
          'div',
          { class: 'actions' },
          h('button', { id: 'jobs-confirm-yes', class: 'primary' }, 'Confirm'),
          h('button', { id: 'jobs-confirm-no' }, 'Back'),
        ),
      );
      document.body.append(dialog);
    }
    return (text) =>
      new Promise((resolve) => {
        document.getElementById('jobs-confirm-text').textContent = text;
        const yes = document.getElementById('jobs-confirm-yes');
        const no = document.getElementById('jobs-confirm-no');
        const done = (answer) => {
          yes.removeEventListener('click', onYes);
          no.removeEventListener('click', onNo);
          dialog.removeEventListener('cancel', onNo);
          dialog.close();
          resolve(answer);
        };
        const onYes = () => done(true);
        const onNo = () => done(false);
        yes.addEventListener('click', onYes);
        no.addEventListener('click', onNo);
        dialog.addEventListener('cancel', onNo);
        dialog.showModal();
      });
  }

  /** The report of an action: counts, then each reason with how many it skipped. */
  function reportOf(r) {
    const reasons = new Map();
    for (const x of r.results) {
      if (x.outcome !== 'skipped') continue;
      reasons.set(x.reason, [...(reasons.get(x.reason) || []), x.id]);
    }
    return h(
      'div',
      { class: 'report', id: 'jobs-report' },
      h(
        'p',
        null,
        h('b', { id: 'jobs-report-acted' }, `${r.acted} ${DONE[r.action]}`),
        ', ',
        h('span', { id: 'jobs-report-skipped' }, `${r.skipped} skipped`),
      ),
      reasons.size > 0 &&
        h(
          'ul',
          null,
          [...reasons].map(([reason, ids]) =>
            h(
              'li',
              { 'data-reason': reason },
              `${ids.length} × ${reason}: `,
              h('span', { class: 'mono muted' }, ids.slice(0, 5).join(', ')),
              ids.length > 5 ? ` and ${ids.length - 5} more` : '',
            ),
          ),
        ),
    );
  }

  function pages(ui) {
    const { show, badge, table, empty, api, toast, when, jobLink } = ui;
    const ask = confirmDialog();

    function jobs(arg) {
      const here = ui.current();
      const filters = filtersOf(arg);
      let types = [];
      let list = null;
      let error = null;
      let report = null;
      // Cursors of the pages before this one: "Newer" goes back one.
      const before = [];
      let cursor = '';
      const picked = new Set();

      const select = (name, options, value) =>
        h(
          'select',
          { name, id: `jobs-${name}` },
          // Keyed: a redraw never turns one option into another (the choice would move).
          options.map(([v, label]) =>
            h('option', { value: v, selected: v === value, key: v }, label),
          ),
        );

      function filterForm() {
        return h(
          'form',
          { id: 'jobs-filter', class: 'panel filters', autocomplete: 'off' },
          h(
            'label',
            null,
            'type ',
            select('type', [['', 'all types'], ...types.map((t) => [t, t])], filters.type),
          ),
          h(
            'label',
            null,
            'status ',
            select('status', [['', 'any status'], ...STATUSES.map((s) => [s, s])], filters.status),
          ),
          h(
            'label',
            null,
            select(
              'time',
              [
                ['created', 'created'],
                ['finished', 'finished'],
              ],
              filters.time,
            ),
            ' ',
            select('since', SINCE, filters.since),
          ),
          h(
            'label',
            null,
            'data ',
            h('input', {
              name: 'data',
              id: 'jobs-data',
              placeholder: 'path=value',
              value: filters.data,
            }),
          ),
          h('button', { type: 'submit', class: 'primary' }, 'Apply'),
        );
      }

      function row(j) {
        return h(
          'tr',
          { 'data-job': j.callback, key: j.callback },
          h(
            'td',
            null,
            h('input', {
              type: 'checkbox',
              'data-pick': j.callback,
              'aria-label': `select ${j.callback}`,
              checked: picked.has(j.callback),
            }),
          ),
          h('td', null, jobLink(j.callback)),
          h('td', null, j.type),
          h('td', null, badge(j.status)),
          h('td', { class: 'muted' }, when(j.createdAt)),
          h('td', { class: 'muted' }, when(j.finishedAt)),
          h('td', { class: 'error-cell' }, j.error || ''),
        );
      }

      function draw() {
        if (ui.current() !== here) return;
        const rows = list ? list.jobs : [];
        const allPicked = rows.length > 0 && rows.every((j) => picked.has(j.callback));
        const bulk = (action, cls) =>
          h(
            'button',
            { 'data-bulk': action, class: cls, disabled: picked.size === 0 },
            VERB[action],
          );
        show(
          h('h1', null, 'Jobs'),
          filterForm(),
          h(
            'div',
            { class: 'panel section' },
            h(
              'div',
              { class: 'page-head' },
              h('span', { id: 'jobs-selected' }, `${picked.size} selected`),
              h(
                'div',
                { class: 'actions' },
                bulk('retry'),
                bulk('cancel'),
                bulk('delete', 'danger'),
              ),
            ),
            report,
            error
              ? h('div', { class: 'empty', id: 'jobs-error' }, error)
              : !list
                ? h('p', { class: 'muted' }, 'Loading…')
                : rows.length === 0 && !list.cursor
                  ? empty('No job matches.', { id: 'no-jobs' })
                  : table(
                      { id: 'jobs' },
                      [
                        h('input', {
                          type: 'checkbox',
                          id: 'jobs-all',
                          'aria-label': 'select all on this page',
                          checked: allPicked,
                        }),
                        'callback',
                        'type',
                        'status',
                        'created',
                        'finished',
                        'error',
                      ],
                      rows.map(row),
                    ),
            h(
              'div',
              { class: 'actions pager' },
              before.length > 0 && h('button', { id: 'jobs-newer' }, '← Newer'),
              list && list.cursor && h('button', { id: 'jobs-older' }, 'Older →'),
            ),
          ),
        );
        // A box the user ticked no longer follows its attribute: set what it shows.
        for (const box of document.querySelectorAll('#jobs [data-pick]'))
          box.checked = picked.has(box.dataset.pick);
        const all = document.getElementById('jobs-all');
        if (all) all.checked = allPicked;
      }

      async function load() {
        try {
          list = await api('GET', `/console/api/jobs?${query(filters, cursor)}`);
          error = null;
        } catch (err) {
          error = err.message;
        }
        draw();
      }

      async function act(action) {
        const ids = [...picked];
        const ok = await ask(
          `${VERB[action]} ${ids.length} job${ids.length === 1 ? '' : 's'}?${
            action === 'delete' ? ' Deleted jobs are gone for good.' : ''
          }`,
        );
        if (!ok) return;
        try {
          const r = await api('POST', '/console/api/jobs/actions', { action, ids });
          report = reportOf(r);
          picked.clear();
          toast(`${r.acted} ${DONE[action]}, ${r.skipped} skipped`);
        } catch (err) {
          toast(err.message, true);
        }
        await load();
      }

      function onClick(e) {
        if (ui.current() !== here) return;
        const t = e.target;
        if (t.matches('[data-pick]')) {
          if (t.checked) picked.add(t.dataset.pick);
          else picked.delete(t.dataset.pick);
          draw();
        } else if (t.id === 'jobs-all') {
          for (const j of list ? list.jobs : []) {
            if (t.checked) picked.add(j.callback);
            else picked.delete(j.callback);
          }
          draw();
        } else if (t.closest('[data-bulk]')) {
          void act(t.closest('[data-bulk]').dataset.bulk);
        } else if (t.id === 'jobs-older' && list && list.cursor) {
          before.push(cursor);
          cursor = list.cursor;
          list = null;
          void load();
        } else if (t.id === 'jobs-newer' && before.length > 0) {
          cursor = before.pop();
          list = null;
          void load();
        }
      }
      function onSubmit(e) {
        if (e.target.id !== 'jobs-filter') return;
        e.preventDefault();
        const form = e.target.elements;
        location.hash = route({
          type: form.type.value,
          status: form.status.value,
          time: form.time.value,
          since: form.since.value,
          data: form.data.value.trim(),
        });
      }
      const pageEl = document.getElementById('page');
      pageEl.addEventListener('click', onClick);
      pageEl.addEventListener('submit', onSubmit);

      api('GET', '/console/api/types').then(
        (r) => {
          types = r.types.map((t) => t.name);
          draw();
          // What the filters say, now that every type is an option.
          const type = document.getElementById('jobs-type');
          if (type && ui.current() === here) type.value = filters.type;
        },
        () => undefined,
      );
      draw();
      void load();
      return {
        load,
        leave() {
          pageEl.removeEventListener('click', onClick);
          pageEl.removeEventListener('submit', onSubmit);
        },
      };
    }

    return { jobs };
  }

  window.WMJobs = { pages, route };
})();
