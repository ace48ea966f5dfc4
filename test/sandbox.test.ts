import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkmeshClient } from '../src/client/index.js';
import { FAST_CLUSTER } from './helpers/cluster.js';
import { readExecutions } from './helpers/records.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { ROOT, startApiProcess, startWorkerProcess, stopAll } from './helpers/processes.js';
import { tempDir } from './helpers/temp-dir.js';
import { until } from './helpers/wait.js';

/**
 * Sandboxed handlers (`sandbox: 'thread'`) in real worker processes: a CPU-bound handler
 * blocks its thread, not its worker (heartbeats and renewals go on: no takeover); a timeout
 * ends a handler deaf to its signal; progress, log and errors cross from the thread.
 */
const JOBS = join(ROOT, 'test/fixtures/sandboxed.ts');
const dir = tempDir('sandbox');
const ENV = {
  ...FAST_CLUSTER,
  WORKMESH_JOBS: JOBS,
  // Renewals every second: a blocked event loop would lose the claim within the 10 s.
  WORKMESH_CLAIM_TIMEOUT_MS: '3000',
  WORKMESH_LOG_LEVEL: 'warn',
};
const MEMBERS = 'wm:{_cluster}:members';
let redis: TestRedis;
let client: WorkmeshClient;

before(async () => {
  redis = await startTestRedis();
  const api = startApiProcess(redis.url, { WORKMESH_JOBS: JOBS });
  client = new WorkmeshClient({ baseUrl: (await api.ready).url! });
});
after(async () => {
  await stopAll();
  await redis.stop();
});

describe('sandboxed handlers', () => {
  it('a handler that busy-loops 10 s in a thread does not get its worker declared gone', async () => {
    const file = join(dir, 'spin.log');
    const env = { ...ENV, WORKMESH_TYPES: 'spin' };
    const workers = [startWorkerProcess(redis.url, env), startWorkerProcess(redis.url, env)];
    const nodeIds = await Promise.all(workers.map(async (w) => (await w.ready).nodeId));
    const { callback } = await client.submit('spin', { file, ms: 10_000 }, { maxAttempts: 1 });
    // While it spins, both workers stay members (a node past its 1.5 s TTL would be removed
    // and its jobs taken over).
    let state = await client.status(callback);
    let samples = 0;
    while (state.status !== 'done' && state.status !== 'failed') {
      const members = await redis.client.zrange(MEMBERS, 0, -1);
      for (const id of nodeIds) assert.ok(members.includes(id), `${id} left the cluster`);
      samples += 1;
      await new Promise((r) => setTimeout(r, 250));
      state = await client.status(callback);
    }
    assert.equal(state.status, 'done', state.error);
    assert.ok(samples > 10, 'sampled while it ran');
    assert.equal(state.attempts, 1);
    assert.equal(state.recoveries ?? 0, 0);
    assert.equal(readExecutions(file, callback).length, 1, 'ran once');
    assert.ok(typeof state.value === 'number' && state.value > 0, 'answered from a thread');
    for (const w of workers) assert.doesNotMatch(w.output(), /took over|claim lost/);
  });

  it('a timeout terminates a handler deaf to its signal; the next job gets a new thread', async () => {
    const file = join(dir, 'forever.log');
    const env = { ...ENV, WORKMESH_TYPES: 'forever' };
    await startWorkerProcess(redis.url, env).ready;
    const { callback } = await client.submit('forever', { file });
    const state = await client.wait(callback, { timeoutMs: 30_000 });
    assert.equal(state.status, 'failed');
    assert.match(state.error ?? '', /timed out after 500 ms/);
    // Its type's concurrency is 1: a second job starts only if the stuck thread was replaced.
    const second = await client.submit('forever', { file }, { timeoutMs: 60_000 });
    await until(
      'the second job running',
      () => readExecutions(file, second.callback).length,
      (n) => n === 1,
    );
    await client.cancel(second.callback);
  });

  it('progress and log lines arrive from the thread; a throw fails the job with its message', async () => {
    const env = { ...ENV, WORKMESH_TYPES: 'report' };
    const worker = startWorkerProcess(redis.url, env);
    await worker.ready;
    const ok = await client.submit('report', {});
    const done = await client.wait(ok.callback, { timeoutMs: 30_000 });
    assert.equal(done.status, 'done', done.error);
    assert.deepEqual(done.progress, { step: 2 });
    // The line reaches this process through the worker's stdout pipe: maybe after the answer.
    await until(
      "the handler's log line, with the job's id, in the worker's log",
      () =>
        worker
          .output()
          .split('\n')
          .filter((l) => l.includes('sandboxed handler says hello'))
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      (lines) => lines.some((l) => l.jobId === ok.callback && l.marker === 'from-the-thread'),
    );
    const bad = await client.submit('report', { fail: 'no luck', fatal: true }, { maxAttempts: 3 });
    const failed = await client.wait(bad.callback, { timeoutMs: 30_000 });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error, 'no luck');
    assert.equal(failed.attempts, 1, 'an UnrecoverableError from the thread is not retried');
  });
});
