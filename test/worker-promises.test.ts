import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkmeshClient } from '../src/client/index.js';
import type { ClusterNode } from '../src/cluster/index.js';
import { cancelJob } from '../src/queue/index.js';
import { Keys } from '../src/redis/index.js';
import { FAST_CLUSTER, nextChange, startTestNode } from './helpers/cluster.js';
import { readAborted, readExecutions } from './helpers/records.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import {
  ROOT,
  startApiProcess,
  startWorkerProcess,
  stopAll,
  type RoleProcess,
} from './helpers/processes.js';
import { until } from './helpers/wait.js';

/**
 * Promises of docs/reliability.md about a worker and its running jobs that no other test
 * keeps: a timeout frees the slot of a handler that ignores its signal, a lost cancel message
 * is caught by the claim renewal, SIGTERM lets jobs finish within the grace, and a drain lets
 * them finish however long they take.
 */
const JOBS = `${join(ROOT, 'test/fixtures/jobs.ts')},${join(ROOT, 'test/fixtures/deaf.ts')}`;
const ENV = {
  ...FAST_CLUSTER,
  WORKMESH_JOBS: JOBS,
  WORKMESH_CLAIM_TIMEOUT_MS: '900',
  WORKMESH_BACKOFF_MS: '50',
};
const dir = mkdtempSync(join(tmpdir(), 'workmesh-worker-promises-'));
let redis: TestRedis;
let client: WorkmeshClient;
let observer: ClusterNode;
let n = 0;
const file = (): string => join(dir, `run-${(n += 1)}.log`);
const lines = (f: string): string[] =>
  existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean) : [];

before(async () => {
  redis = await startTestRedis();
  const api = startApiProcess(redis.url, ENV);
  client = new WorkmeshClient({ baseUrl: (await api.ready).url! });
  observer = await startTestNode(redis.url);
});
after(async () => {
  await observer.stop();
  await stopAll();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A worker of one job type; the test stops it before it ends. */
async function worker(
  type: string,
  env: Record<string, string> = {},
): Promise<RoleProcess & { readonly id: string }> {
  const w = startWorkerProcess(redis.url, { ...ENV, WORKMESH_TYPES: type, ...env });
  return { ...w, id: (await w.ready).nodeId };
}

async function stop(w: RoleProcess): Promise<number | null> {
  w.child.kill('SIGTERM');
  return w.exited;
}

describe('a job past its timeout', () => {
  it('frees its slot even if its handler ignores the signal: the next job runs while it hangs on', async () => {
    const w = await worker('deaf'); // concurrency 1: one deaf job at a time
    try {
      const f = file();
      const hung = await client.submit(
        'deaf',
        { file: f, ms: 20_000 },
        { timeoutMs: 300, maxAttempts: 1 },
      );
      const next = await client.submit('deaf', { file: f, ms: 0 });
      const done = await client.wait(next.callback, { timeoutMs: 30_000 });
      assert.equal(done.status, 'done');
      // The hung handler is still waiting on its timer: the next job ran beside it, in the
      // slot the timeout freed, not after it.
      assert.deepEqual(lines(f), [
        `start ${hung.callback}`,
        `start ${next.callback}`,
        `end ${next.callback}`,
      ]);
      const failed = await client.status(hung.callback);
      assert.equal(failed.status, 'failed');
      assert.equal(failed.error, 'timed out after 300 ms');
      assert.equal(failed.attempts, 1);
    } finally {
      await stop(w);
    }
  });
});

describe('a cancel message that was lost', () => {
  it('is caught by the next claim renewal: the running job is aborted', async () => {
    const w = await worker('record');
    try {
      const f = file();
      const { callback } = await client.submit('record', { file: f, ms: 60_000 });
      await until(
        'it runs',
        () => readExecutions(f).length,
        (c) => c === 1,
      );
      // What DELETE /api/work/<id> does in Redis (cancel.lua), without the cluster message
      // that tells the worker: the message is lost.
      const result = await cancelJob(redis.client, new Keys('wm'), 'record', callback);
      assert.equal(result.outcome, 'running');
      await until(
        'its signal to fire',
        () => readAborted(f),
        (a) => a.includes(callback),
      );
      const state = await client.status(callback);
      assert.equal(state.status, 'cancelled');
      assert.equal(state.value, undefined);
      assert.equal(readExecutions(f).length, 1, 'not run again');
    } finally {
      await stop(w);
    }
  });
});

describe('SIGTERM and drain', () => {
  it('SIGTERM: a running job that ends within the grace ends done; the worker leaves after it', async () => {
    const w = await worker('record', {
      WORKMESH_SHUTDOWN_GRACE_MS: '60000',
      WORKMESH_LOG_LEVEL: 'info',
    });
    const f = file();
    const { callback } = await client.submit('record', { file: f, ms: 1500 });
    await until(
      'it runs',
      () => readExecutions(f).length,
      (c) => c === 1,
    );
    // The job's status when the worker's `left` is seen: it must be final by then.
    const left = nextChange(observer, 'left', w.id);
    const statusAtLeave = left.then(async () => (await client.status(callback)).status);
    w.child.kill('SIGTERM');
    assert.equal(await w.exited, 0, w.output());
    assert.equal((await left).reason, 'shutdown');
    assert.equal(await statusAtLeave, 'done', 'the job ended before the worker left');
    const state = await client.status(callback);
    assert.equal(state.status, 'done');
    assert.equal(state.attempts, 1);
    assert.deepEqual(readAborted(f), [], 'its signal never fired');
    assert.match(w.output(), /"reason":"SIGTERM"/);
    assert.deepEqual(
      readExecutions(f).map((e) => e.id),
      [callback],
    );
  });

  it('drain: running jobs finish past the shutdown grace, the worker stays in the cluster, claims nothing, and is drained', async () => {
    const w = await worker('record', { WORKMESH_SHUTDOWN_GRACE_MS: '100' });
    try {
      const id = w.id;
      const f = file();
      const { callback } = await client.submit('record', { file: f, ms: 1500 });
      await until(
        'it runs',
        () => readExecutions(f).length,
        (c) => c === 1,
      );
      assert.deepEqual(await observer.call(id, 'drain'), { draining: true, inFlight: 1 });
      const stateOf = async (): Promise<string | undefined> =>
        (await observer.readMembers()).find((m) => m.id === id)?.meta?.state;
      await until('drained', stateOf, (s) => s === 'drained');
      // Drained: its claim loops have ended; a job submitted now must stay queued.
      const later = await client.submit('record', { file: f });
      const state = await client.status(callback);
      assert.equal(state.status, 'done', 'finished, not handed back at the 100 ms grace');
      assert.equal(state.attempts, 1);
      assert.deepEqual(readAborted(f), []);
      assert.ok(
        (await observer.readMembers()).some((m) => m.id === id),
        'still a member of the cluster',
      );
      assert.equal((await client.status(later.callback)).status, 'accepted', 'not claimed');
      const [pending] = (await redis.client.xpending('wm:{record}:stream', 'workers')) as [number];
      assert.equal(pending, 0, 'no entry held by the drained worker');
      assert.deepEqual(
        readExecutions(f).map((e) => e.id),
        [callback],
      );
    } finally {
      await stop(w);
    }
  });
});
