import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WorkmeshClient } from '../src/client/index.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { isAlive, runCli, stopAll } from './helpers/processes.js';
import { until } from './helpers/wait.js';

/** `workmesh api --procs 2`: two API processes on one port, each a cluster node. */
let redis: TestRedis;
before(async () => (redis = await startTestRedis()));
after(async () => {
  await stopAll();
  await redis.stop();
});

interface ClusterNodes {
  nodes: { id: string; role: string; pid: number }[];
}

describe('api --procs', () => {
  it('runs N processes on one port, each registered; both serve; SIGTERM stops all', async () => {
    const api = runCli(['api', '--port', '0', '--procs', '2'], { REDIS_URL: redis.url });
    const { url, nodeId } = await api.ready;
    assert.ok(url);
    const ids = nodeId.split(',');
    assert.equal(ids.length, 2);

    const client = new WorkmeshClient({ baseUrl: url });
    const cluster = (await (await fetch(`${url}/api/cluster`)).json()) as ClusterNodes;
    const apis = cluster.nodes.filter((n) => n.role === 'api');
    assert.deepEqual(apis.map((n) => n.id).sort(), [...ids].sort());
    const pids = apis.map((n) => n.pid);
    assert.equal(new Set(pids).size, 2);

    // Connections are handed out round-robin: across fresh connections both processes answer.
    const acceptedBy = new Set<string>();
    for (let i = 0; i < 20 && acceptedBy.size < 2; i++) {
      const res = await fetch(`${url}/api/work?data=p${i}`, {
        method: 'POST',
        headers: { connection: 'close' },
      });
      assert.equal(res.status, 202);
      const { callback } = (await res.json()) as { callback: string };
      const job = await client.status(callback);
      if (job.acceptedBy) acceptedBy.add(job.acceptedBy);
    }
    assert.deepEqual([...acceptedBy].sort(), [...ids].sort());

    api.child.kill('SIGTERM');
    assert.equal(await api.exited, 0);
    for (const pid of pids) assert.equal(isAlive(pid), false, `api process ${pid} still alive`);
    // They left the cluster on the way out.
    await until(
      'api nodes gone',
      () => redis.client.zcard('wm:{_cluster}:members'),
      (n) => n === 0,
      5000,
    );
  });

  it('restarts a child that dies, as a new node', async () => {
    const api = runCli(['api', '--port', '0', '--procs', '2'], { REDIS_URL: redis.url });
    const { url, nodeId } = await api.ready;
    // A connection the primary hands to the child being killed is never answered: each probe
    // gives up after 2 s and counts as "not yet", instead of waiting out undici's 300 s.
    const nodes = async (): Promise<ClusterNodes['nodes']> => {
      const res = await fetch(`${url}/api/cluster`, { signal: AbortSignal.timeout(2000) });
      return ((await res.json()) as ClusterNodes).nodes.filter((n) => n.role === 'api');
    };
    const first = await nodes();
    const victim = first[0]!;
    process.kill(victim.pid, 'SIGKILL');
    const healed = await until(
      'a replacement api node',
      () => nodes().catch(() => []),
      (ns) => ns.length === 2 && !ns.some((n) => n.pid === victim.pid),
      20_000,
      200,
    );
    assert.ok(healed.some((n) => !nodeId.split(',').includes(n.id)));
    api.child.kill('SIGTERM');
    assert.equal(await api.exited, 0);
  });

  it("a port in use fails the start with the children's error, and no process is left", async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => taken.once('listening', resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      const api = runCli(['api', '--port', String(port), '--procs', '2'], {
        REDIS_URL: redis.url,
      });
      await assert.rejects(api.ready, /in use/);
      assert.equal(await api.exited, 1);
      assert.match(api.output(), /\[WM_ERR_PORT_IN_USE\]\n$/);
      assert.doesNotMatch(api.output(), /EPIPE|Unhandled/);
    } finally {
      taken.close();
    }
  });
});
