// The cluster as a graph for the console's overview: API, monitor and shell nodes linked to
// Redis, workers linked to the queues they take (green while they run jobs), each queue with
// its counts. WMTopology.topology(snapshot) answers the element of the panel.
'use strict';
(function () {
  const { h, svg } = window.WMDom;

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
    const edges = [];
    const shapes = [];
    const edge = (x1, y1, x2, y2, stroke, width) =>
      edges.push(svg('line', { x1, y1, x2, y2, stroke, 'stroke-width': width }));
    const short = (id) => (id.length > 24 ? `${id.slice(0, 10)}…${id.slice(-10)}` : id);
    const label = (x, y, size, fill, text) =>
      svg('text', { x, y, 'text-anchor': 'middle', 'font-size': size, fill }, text);
    /** A box; with a node id, a link to that node's page. */
    const box = (x, y, w, title, sub, cls, nodeId) => {
      const inner = [
        svg('rect', { x: x - w / 2, y: y - 17, width: w, height: 34, rx: 7, class: cls }),
        label(x, y - 2, 12, '#d8dee9', title),
        label(x, y + 11, 10, '#8593a6', sub),
      ];
      shapes.push(
        nodeId === undefined
          ? inner
          : svg(
              'a',
              { href: `#/node/${encodeURIComponent(nodeId)}`, 'data-node': nodeId, key: nodeId },
              inner,
            ),
      );
    };
    others.forEach((n, i) => {
      const y = yOf(i, others.length);
      edge(xL + 85, y, xC - 70, redisY, '#3b4a5e', 1.5);
      box(xL, y, 170, short(n.id), `${n.role} · ${n.host}`, `node ${n.role}`, n.id);
    });
    workers.forEach((n, i) => {
      const y = yOf(i, workers.length);
      const active = n.figures.inFlight > 0;
      for (const t of n.offers.types) {
        const qy = queueY.get(t);
        if (qy === undefined) continue;
        edge(xR - 85, y, xC + 60, qy, active ? '#57c785' : '#3b4a5e', active ? 2 : 1.2);
      }
      const state =
        n.meta && n.meta.state && n.meta.state !== 'running' ? ` · ${n.meta.state}` : '';
      box(xR, y, 170, short(n.id), `${n.figures.inFlight} in flight${state}`, 'node worker', n.id);
    });
    box(
      xC,
      redisY,
      140,
      'Redis',
      s.redisOk ? 'registry · streams' : 'unreachable',
      s.redisOk ? 'redis' : 'redis down',
    );
    queues.forEach((q) => {
      const y = queueY.get(q.queue);
      edge(xC, redisY + 17, xC, y - 17, '#2a3544', 1);
      box(xC, y, 120, q.queue, `${q.waiting} waiting · ${q.active} active`, 'queue');
    });
    if (s.nodes.length === 0) shapes.push(label(W / 2, H - 10, 12, '#8593a6', 'no live node'));
    return h(
      'div',
      { class: 'panel topology' },
      h('h2', null, 'Cluster'),
      svg(
        'svg',
        { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'cluster topology' },
        edges,
        shapes,
      ),
    );
  }

  window.WMTopology = { topology };
})();
