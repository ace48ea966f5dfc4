import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkmeshClient, isWorkmeshError } from '../src/client/index.js';
import { FAST_CLUSTER } from './helpers/cluster.js';
import { readExecutions } from './helpers/records.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { ROOT, startApiProcess, startWorkerProcess, stopAll } from './helpers/processes.js';
import { tempDir } from './helpers/temp-dir.js';
import { until } from './helpers/wait.js';

/**
 * Batches (docs/workflows.md): jobs added to an open batch until it is closed, and a callback
 * job run exactly once when it is closed and all of them are final, with their outcomes. The
 * callback type (`tally`) and the jobs' (`leaf`) are on different masters of a test cluster.
 */
const JOBS = join(ROOT, 'test/fixtures/flow-jobs.ts');
const ENV = {
  ...FAST_CLUSTER,
  WORKMESH_JOBS: JOBS,
  WORKMESH_CLAIM_TIMEOUT_MS: '1500',
  WORKMESH_CONCURRENCY: '20',
  // The batch webhook's receiver below (loopback is allowed only when named exactly).
  WORKMESH_WEBHOOK_ALLOW: '127.0.0.1',
};
const dir = tempDir('batches');
let redis: TestRedis;
let client: WorkmeshClient;
let hooks: Server;
let hookUrl: string;
const posted: { path: string; body: Record<string, unknown> }[] = [];

before(async () => {
  hooks = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      posted.push({ path: req.url ?? '', body: JSON.parse(body) as Record<string, unknown> });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;
  redis = await startTestRedis();
  const api = startApiProcess(redis.url, ENV);
  const workers = [0, 1, 2].map(() => startWorkerProcess(redis.url, ENV));
  client = new WorkmeshClient({ baseUrl: (await api.ready).url! });
  await Promise.all(workers.map((w) => w.ready));
});
after(async () => {
  await stopAll();
  await redis.stop();
  hooks.close();
});

describe('batches', () => {
  it('a batch of 1,000 jobs added in four parts: the callback runs exactly once, with the counts done/failed/cancelled', async () => {
    const runs = join(dir, 'tally.log');
    const never = join(dir, 'never');
    const { batch, ids: first } = await client.openBatch({ type: 'tally', data: { file: runs } }, [
      { type: 'leaf', data: { v: 'held', release: never } },
      { type: 'leaf', data: { v: 'bad', fatal: true } },
    ]);
    const ids = [...first];
    for (let part = 0; part < 4; part++) {
      const jobs = Array.from({ length: part < 3 ? 250 : 248 }, (_, i) => ({
        type: 'leaf',
        data: { v: part * 250 + i },
      }));
      ids.push(...(await client.addToBatch(batch, jobs)).ids);
    }
    assert.equal(ids.length, 1000);
    // A job cancelled while it runs counts as cancelled (its outbox entry, delivered by the
    // workers' sweepers).
    await until(
      'the held job to run',
      async () => (await client.status(first[0]!)).status,
      (s) => s === 'pending',
    );
    await client.cancel(first[0]!);
    const open = await client.batch(batch);
    assert.equal(open.open, true);
    assert.equal(open.total, 1000);
    const closed = await client.closeBatch(batch);
    assert.equal(closed.open, false);
    const state = await client.wait(batch, { timeoutMs: 45_000 });
    assert.equal(state.status, 'done', state.error);
    assert.deepEqual(state.value, { done: 998, failed: 1, cancelled: 1 });
    assert.equal(readExecutions(runs, batch).length, 1);
    const final = await client.batch(batch);
    assert.deepEqual(
      [final.total, final.done, final.failed, final.cancelled, final.waiting],
      [1000, 998, 1, 1, 0],
    );
  });

  it('an open batch does not run its callback even when all its jobs are final; closing runs it once', async () => {
    const runs = join(dir, 'early.log');
    const { batch, ids } = await client.openBatch({ type: 'tally', data: { file: runs } }, [
      { type: 'leaf', data: { v: 1 } },
    ]);
    assert.equal((await client.wait(ids[0]!)).status, 'done');
    await until(
      'the job counted',
      () => client.batch(batch),
      (b) => b.done === 1,
    );
    assert.equal((await client.status(batch)).status, 'accepted');
    assert.equal(readExecutions(runs).length, 0);
    await client.closeBatch(batch);
    await client.closeBatch(batch); // idempotent
    const state = await client.wait(batch);
    assert.deepEqual(state.value, { done: 1, failed: 0, cancelled: 0 });
    assert.equal(readExecutions(runs, batch).length, 1);
  });

  it('an empty batch closed at once runs its callback; adding to a closed batch is refused (409)', async () => {
    const { batch } = await client.openBatch({ type: 'tally', data: {} }, [], true);
    assert.deepEqual((await client.wait(batch)).value, { done: 0, failed: 0, cancelled: 0 });
    await assert.rejects(client.addToBatch(batch, [{ type: 'leaf', data: { v: 1 } }]), (err) =>
      isWorkmeshError(err, 'WM_ERR_BATCH_CLOSED'),
    );
  });

  it("a webhook when all are final: the callback's callbackUrl is posted once, with the counts", async () => {
    const runs = join(dir, 'hooked.log');
    const { batch } = await client.openBatch(
      { type: 'tally', data: { file: runs }, callbackUrl: `${hookUrl}/batch-done` },
      [
        { type: 'leaf', data: { v: 1 } },
        { type: 'leaf', data: { v: 2 } },
        { type: 'leaf', data: { v: 'bad', fatal: true } },
      ],
      true,
    );
    const hook = await until(
      'the batch webhook',
      () => posted.filter((p) => p.path === '/batch-done'),
      (p) => p.length > 0,
      30_000,
    );
    assert.equal(hook.length, 1);
    assert.equal(hook[0]!.body.callback, batch);
    assert.equal(hook[0]!.body.status, 'done');
    assert.deepEqual(hook[0]!.body.value, { done: 2, failed: 1, cancelled: 0 });
    assert.equal(readExecutions(runs, batch).length, 1);
  });
});
