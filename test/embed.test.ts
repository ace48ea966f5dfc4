import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  isWorkmeshError,
  loadConfig,
  startApi,
  startWorker,
  workmeshApi,
  workmeshConsole,
  type Config,
  type WorkerHandle,
} from '../src/index.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { until } from './helpers/wait.js';

interface Snapshot {
  nodes: { id: string; role: string }[];
}

describe('embedded: the API and the console as Fastify plugins, a worker in this process', () => {
  let redis: TestRedis;
  let config: Config;
  let app: FastifyInstance;
  let base: string;
  let worker: WorkerHandle;

  before(async () => {
    redis = await startTestRedis();
    config = loadConfig({
      REDIS_URL: redis.url,
      WORKMESH_LOG_LEVEL: 'silent',
      WORKMESH_PERMUTE_DELAY_MS: '0',
      WORKMESH_HEARTBEAT_MS: '200',
      WORKMESH_NODE_TTL_MS: '1000',
      WORKMESH_SYSMON_INTERVAL_MS: '200',
    });
    // Someone's own app: its routes and its 404 answer stay its own.
    app = Fastify();
    app.get('/hello', () => ({ hello: 'world' }));
    app.setNotFoundHandler((_request, reply) => reply.status(404).send({ mine: true }));
    await app.register(workmeshApi, { config });
    await app.register(workmeshConsole, { config });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    worker = await startWorker({ config });
  });

  after(async () => {
    await worker.stop(1000);
    await app.close();
    await redis.stop();
  });

  it("runs the seed's flow: submit, the worker runs it, status done", async () => {
    const res = await fetch(`${base}/api/work?data=some-string-goes-here`, { method: 'POST' });
    assert.equal(res.status, 202);
    const { callback } = (await res.json()) as { callback: string };
    const status = await fetch(`${base}/api/status/${callback}?wait=20`);
    const body = (await status.json()) as { status: string; value: string };
    assert.equal(body.status, 'done');
    assert.deepEqual([...body.value].sort(), [...'some-string-goes-here'].sort());
  });

  it("answers bad input with a catalogue code; the app's own routes and 404 are untouched", async () => {
    const bad = await fetch(`${base}/api/work`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'nosuch', data: 1 }),
    });
    assert.equal(bad.status, 400);
    const { error } = (await bad.json()) as { error: { code: string } };
    assert.equal(error.code, 'WM_ERR_JOB_UNKNOWN_TYPE');
    assert.deepEqual(await (await fetch(`${base}/hello`)).json(), { hello: 'world' });
    const missing = await fetch(`${base}/nowhere`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { mine: true });
  });

  it('serves the console, which sees the API and the worker as cluster nodes', async () => {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
    const snapshot = await until(
      'the console sees the api and the worker',
      async () => (await (await fetch(`${base}/console/api/snapshot`)).json()) as Snapshot,
      (s) => s.nodes.some((n) => n.id === worker.nodeId) && s.nodes.some((n) => n.role === 'api'),
    );
    assert.ok(snapshot.nodes.some((n) => n.role === 'sysmon'));
  });

  it("the embedded worker answers the console's drain and resume as `workmesh worker` does", async () => {
    const action = (name: string) =>
      fetch(`${base}/console/api/nodes/${worker.nodeId}/${name}`, { method: 'POST' });
    assert.equal((await action('drain')).status, 200);
    await until(
      'draining',
      () => worker.draining,
      (d) => d,
    );
    assert.equal((await action('resume')).status, 200);
    await until(
      'resumed',
      () => worker.draining,
      (d) => !d,
    );
    // Claims again: a job submitted now runs.
    const res = await fetch(`${base}/api/work?data=abc`, { method: 'POST' });
    const { callback } = (await res.json()) as { callback: string };
    const body = (await (await fetch(`${base}/api/status/${callback}?wait=20`)).json()) as {
      status: string;
    };
    assert.equal(body.status, 'done');
  });

  it('startApi() runs `workmesh api` in this process: its own port, a cluster node', async () => {
    const api = await startApi({ config: { ...config, apiPort: 0 } });
    try {
      const res = await fetch(`${api.url}/api/work?data=xyz`, { method: 'POST' });
      const { callback } = (await res.json()) as { callback: string };
      const body = (await (await fetch(`${api.url}/api/status/${callback}?wait=20`)).json()) as {
        status: string;
      };
      assert.equal(body.status, 'done');
      assert.ok(api.node.registered());
    } finally {
      await api.stop();
    }
  });

  it('refuses to be mounted under a prefix (the paths are the documented ones)', async () => {
    const other = Fastify();
    await assert.rejects(
      async () => {
        await other.register(workmeshApi, { config, prefix: '/jobs' });
        await other.ready();
      },
      (err: unknown) => isWorkmeshError(err, 'WM_ERR_CONFIG_INVALID'),
    );
    await other.close();
  });

  it('a `stop` call stops the embedded worker, not the process it lives in', async () => {
    const res = await fetch(`${base}/console/api/nodes/${worker.nodeId}/stop`, { method: 'POST' });
    assert.equal(res.status, 200);
    await until(
      'the worker left the cluster',
      async () => (await (await fetch(`${base}/console/api/snapshot`)).json()) as Snapshot,
      (s) => !s.nodes.some((n) => n.id === worker.nodeId),
    );
    // Still here: this very test runs on. stop() again is the same stop, already done.
    await worker.stop();
  });
});
