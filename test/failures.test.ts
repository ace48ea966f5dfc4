import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkmeshClient } from '../src/client/index.js';
import { isWorkmeshError } from '../src/errors/index.js';
import { FAST_CLUSTER } from './helpers/cluster.js';
import { readAborted, readExecutions } from './helpers/records.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { ROOT, startApiProcess, startWorkerProcess, stopAll } from './helpers/processes.js';
import { until } from './helpers/wait.js';
import { tempDir } from './helpers/temp-dir.js';

const JOBS = join(ROOT, 'test/fixtures/jobs.ts');
const dir = tempDir('failures');
const ENV = {
  ...FAST_CLUSTER,
  WORKMESH_JOBS: JOBS,
  WORKMESH_BACKOFF_MS: '50',
  WORKMESH_CLAIM_TIMEOUT_MS: '900',
};
let redis: TestRedis;
let client: WorkmeshClient;
let apiUrl: string;
let n = 0;
const file = (): string => join(dir, `run-${(n += 1)}.log`);

before(async () => {
  redis = await startTestRedis();
  const api = startApiProcess(redis.url, ENV);
  apiUrl = (await api.ready).url!;
  client = new WorkmeshClient({ baseUrl: apiUrl });
  await Promise.all([
    startWorkerProcess(redis.url, ENV).ready,
    startWorkerProcess(redis.url, ENV).ready,
  ]);
});
after(async () => {
  await stopAll();
  await redis.stop();
});

describe('retries and dead letters', () => {
  it('waiting on a retried dead letter ends with its new outcome, not its earlier failure', async () => {
    const f = file();
    const { callback } = await client.submit(
      'flaky',
      { file: f, fails: 1, okMs: 1500 },
      { maxAttempts: 1 },
    );
    assert.equal((await client.wait(callback, { timeoutMs: 20_000 })).status, 'failed');
    assert.deepEqual(await client.retryDead(callback), { retried: 1 });
    // The event stream replays the job's log, with the failure of its first life in it; the
    // second run takes 1.5 s, so a wait that ended on that old event would answer it running.
    const state = await client.wait(callback, { timeoutMs: 20_000 });
    assert.equal(state.status, 'done');
    assert.equal(state.value, 'finally');
  });

  it('retries a failing job with backoff until it succeeds, keeping every error', async () => {
    const f = file();
    const { callback } = await client.submit('flaky', { file: f, fails: 2 }, { maxAttempts: 3 });
    const done = await client.wait(callback, { timeoutMs: 20_000 });
    assert.equal(done.status, 'done');
    assert.equal(done.value, 'finally');
    assert.equal(done.attempts, 3);
    assert.deepEqual(
      done.history?.map((h) => [h.attempt, h.error]),
      [
        [1, 'flaky failure 1'],
        [2, 'flaky failure 2'],
      ],
    );
    assert.equal(readExecutions(f).length, 3);
  });

  it('after the last attempt the job is failed with its error and goes to the dead letters', async () => {
    const { callback } = await client.submit('boom', 'x', {
      maxAttempts: 2,
      backoff: { type: 'fixed', delayMs: 20 },
    });
    const failed = await client.wait(callback, { timeoutMs: 20_000 });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error, 'boom: x');
    assert.equal(failed.attempts, 2);
    assert.equal(failed.history?.length, 2);
    const dead = await client.dead({ type: 'boom' });
    assert.ok(dead.jobs.some((j) => j.callback === callback));
  });

  it('an UnrecoverableError fails at once, whatever attempts are left', async () => {
    const { callback } = await client.submit('boom', 'fatal', { maxAttempts: 5 });
    const failed = await client.wait(callback, { timeoutMs: 20_000 });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.attempts, 1);
    assert.equal(failed.error, 'cannot ever work');
  });

  it('a value that cannot be serialized fails the attempt; the worker runs on', async () => {
    const { callback } = await client.submit('boom', 'bigint', { maxAttempts: 1 });
    const failed = await client.wait(callback, { timeoutMs: 20_000 });
    assert.equal(failed.status, 'failed');
    assert.match(failed.error ?? '', /BigInt/);
    const next = await client.submit('flaky', { file: file(), fails: 0 });
    assert.equal((await client.wait(next.callback, { timeoutMs: 20_000 })).status, 'done');
  });

  it('dead letters: list, retry one (it runs again), retry all, purge one, purge all', async () => {
    const f = file();
    const submit = async (): Promise<string> =>
      (await client.submit('flaky', { file: f, fails: 2 }, { maxAttempts: 1 })).callback;
    const ids = await Promise.all([submit(), submit(), submit(), submit()]);
    for (const id of ids)
      assert.equal((await client.wait(id, { timeoutMs: 20_000 })).status, 'failed');
    const listed = (await client.dead({ type: 'flaky' })).jobs.map((j) => j.callback);
    for (const id of ids) assert.ok(listed.includes(id));

    // Retry one: it runs again (its 2nd run still fails, by the fixture's design) and is dead again.
    assert.deepEqual(await client.retryDead(ids[0]), { retried: 1 });
    const again = await until(
      'the retried job to fail again',
      () => client.status(ids[0]),
      (s) => s.status === 'failed' && readExecutions(f, ids[0]).length === 2,
    );
    assert.equal(again.attempts, 1, 'a retried dead letter starts with fresh attempts');
    // Retry all: the 3rd run of ids[0] succeeds; the others fail their 2nd run.
    const { retried } = await client.retryAllDead('flaky');
    assert.equal(retried, 4);
    const zeroDone = await client.wait(ids[0], { timeoutMs: 20_000 });
    assert.equal(zeroDone.status, 'done');
    await until(
      'the others dead again',
      async () => (await client.dead({ type: 'flaky' })).total,
      (t) => t === 3,
    );

    assert.deepEqual(await client.purgeDead(ids[1]), { purged: 1 });
    await assert.rejects(client.status(ids[1]), (e: unknown) =>
      isWorkmeshError(e, 'WM_ERR_JOB_NOT_FOUND'),
    );
    await assert.rejects(client.purgeDead(ids[1]), (e: unknown) =>
      isWorkmeshError(e, 'WM_ERR_DEAD_NOT_FOUND'),
    );
    assert.deepEqual(await client.purgeAllDead('flaky'), { purged: 2 });
    assert.equal((await client.dead({ type: 'flaky' })).total, 0);
  });
});

describe('delays, timeouts, claims', () => {
  it('a delayed job waits until it is due, then runs once', async () => {
    const f = file();
    const accepted = await client.submit('record', { file: f }, { delayMs: 1200 });
    assert.ok(accepted.runAt);
    const queued = await client.status(accepted.callback);
    assert.equal(queued.status, 'accepted');
    const done = await client.wait(accepted.callback, { timeoutMs: 20_000 });
    assert.ok(
      Date.parse(done.startedAt!) >= Date.parse(accepted.runAt),
      'not started before it was due',
    );
    assert.equal(readExecutions(f).length, 1);
  });

  it('200 delayed jobs with 3 workers promoting: each runs exactly once', async () => {
    await startWorkerProcess(redis.url, ENV).ready;
    const f = file();
    const ids = await Promise.all(
      Array.from(
        { length: 200 },
        async (_, i) =>
          (await client.submit('record', { file: f }, { delayMs: 300 + (i % 7) * 50 })).callback,
      ),
    );
    await Promise.all(ids.map((id) => client.wait(id, { timeoutMs: 30_000 })));
    const runs = readExecutions(f);
    assert.equal(runs.length, 200);
    assert.equal(new Set(runs.map((r) => r.id)).size, 200);
  });

  it('a job past its timeoutMs is aborted (its signal fires) and counts as a failed attempt', async () => {
    const f = file();
    const { callback } = await client.submit(
      'record',
      { file: f, ms: 60_000 },
      { timeoutMs: 300, maxAttempts: 1 },
    );
    const failed = await client.wait(callback, { timeoutMs: 20_000 });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error, 'timed out after 300 ms');
    assert.deepEqual(readAborted(f), [callback]);
  });

  it('a job running longer than the claim timeout keeps its claim: nobody else runs it', async () => {
    const f = file();
    const { callback } = await client.submit('record', { file: f, ms: 3000 });
    const done = await client.wait(callback, { timeoutMs: 20_000 });
    assert.equal(done.status, 'done');
    assert.equal(done.attempts, 1);
    assert.equal(readExecutions(f).length, 1);
  });
});

describe('cancellation and duplicates', () => {
  it('a queued job never runs once cancelled', async () => {
    const f = file();
    const { callback } = await client.submit('record', { file: f }, { delayMs: 700 });
    const cancelled = await client.cancel(callback);
    assert.deepEqual(cancelled, { callback, status: 'cancelled', wasRunning: false });
    assert.equal((await client.status(callback)).status, 'cancelled');
    // Run a job due later than the cancelled one: once it is done, the cancelled one would have run.
    const later = await client.submit('record', { file: f }, { delayMs: 900 });
    await client.wait(later.callback, { timeoutMs: 20_000 });
    assert.deepEqual(
      readExecutions(f).map((r) => r.id),
      [later.callback],
    );
  });

  it('a running job is aborted on the worker that runs it, and ends cancelled', async () => {
    const f = file();
    const { callback } = await client.submit('record', { file: f, ms: 60_000 });
    await until(
      'it runs',
      () => readExecutions(f).length,
      (c) => c === 1,
    );
    const result = await client.cancel(callback);
    assert.equal(result.wasRunning, true);
    await until(
      'its signal fires',
      () => readAborted(f),
      (a) => a.includes(callback),
    );
    const state = await client.status(callback);
    assert.equal(state.status, 'cancelled');
    assert.equal(state.value, undefined);
    await assert.rejects(client.cancel(callback), (e: unknown) =>
      isWorkmeshError(e, 'WM_ERR_JOB_FINAL'),
    );
    await assert.rejects(client.cancel('record.AAAAAAAAAAAAAAAA'), (e: unknown) =>
      isWorkmeshError(e, 'WM_ERR_JOB_NOT_FOUND'),
    );
    const [pending] = (await redis.client.xpending('wm:{record}:stream', 'workers')) as [number];
    assert.equal(pending, 0, 'the cancelled entry was cleaned up');
  });

  it('the same Idempotency-Key (or key field) answers the same job and runs it once', async () => {
    const f = file();
    const post = (headers: Record<string, string>, body: object) =>
      fetch(`${apiUrl}/api/work`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const first = await post(
      { 'idempotency-key': 'order-42' },
      { type: 'record', data: { file: f } },
    );
    assert.equal(first.status, 202);
    const a = (await first.json()) as { callback: string };
    const second = await post(
      { 'idempotency-key': 'order-42' },
      { type: 'record', data: { file: f } },
    );
    assert.equal(second.status, 200);
    const b = (await second.json()) as { callback: string; duplicate: boolean };
    assert.equal(b.callback, a.callback);
    assert.equal(b.duplicate, true);
    const third = await client.submit('record', { file: f }, { key: 'order-42' });
    assert.equal(third.callback, a.callback);
    await client.wait(a.callback, { timeoutMs: 20_000 });
    const other = await client.submit('record', { file: f }, { key: 'order-43' });
    assert.notEqual(other.callback, a.callback);
    await client.wait(other.callback, { timeoutMs: 20_000 });
    assert.equal(readExecutions(f, a.callback).length, 1);
  });
});

describe('crashes and shutdown', () => {
  it('a poison job that kills its worker every time ends in the dead letters and stalls nothing', async () => {
    await stopAll();
    const api = startApiProcess(redis.url, ENV);
    client = new WorkmeshClient({ baseUrl: (await api.ready).url! });
    const f = file();
    let alive = 0;
    let restarts = 0;
    let done = false;
    const keepWorker = async (): Promise<void> => {
      while (!done) {
        // One recovery allowed: the second worker it kills is its last.
        const w = startWorkerProcess(redis.url, { ...ENV, WORKMESH_MAX_RECOVERIES: '1' });
        await w.ready.catch(() => undefined);
        alive += 1;
        await w.exited;
        alive -= 1;
        if (!done) restarts += 1;
      }
    };
    const supervisors = [keepWorker(), keepWorker()];
    try {
      await until(
        'two workers',
        () => alive,
        (a) => a === 2,
      );
      // Recoveries are counted apart from attempts: maxAttempts 5 does not keep it going.
      const { callback } = await client.submit('crash', { file: f }, { maxAttempts: 5 });
      // The other jobs come once it has killed its first worker: each can then be running on
      // the worker it kills next at most (one recovery, allowed); one running on both workers
      // it kills would rightly be a poison job too (under load, a hash job took that path).
      await until(
        'it killed a worker',
        () => restarts,
        (r) => r >= 1,
      );
      const others = await Promise.all(
        Array.from({ length: 20 }, () => client.submit('hash', { text: 'x' })),
      );
      for (const o of others)
        assert.equal((await client.wait(o.callback, { timeoutMs: 30_000 })).status, 'done');
      const failed = await client.wait(callback, { timeoutMs: 30_000 });
      assert.equal(failed.status, 'failed');
      assert.match(failed.error!, /gave up after 2 attempts/);
      assert.equal(readExecutions(f).length, 2, 'it killed a worker twice, then was not run again');
      assert.ok((await client.dead({ type: 'crash' })).jobs.some((j) => j.callback === callback));
      assert.ok(restarts >= 2);
    } finally {
      // Whatever failed above, no worker is restarted into the next test.
      done = true;
      await stopAll();
      await Promise.all(supervisors);
    }
  });

  it('SIGTERM hands unfinished jobs back at once; another worker finishes them', async () => {
    const api = startApiProcess(redis.url, ENV);
    client = new WorkmeshClient({ baseUrl: (await api.ready).url! });
    const f = file();
    const leaving = startWorkerProcess(redis.url, {
      ...ENV,
      WORKMESH_SHUTDOWN_GRACE_MS: '200',
      WORKMESH_TYPES: 'record',
    });
    await leaving.ready;
    const { callback } = await client.submit('record', { file: f, firstMs: 60_000 });
    await until(
      'it runs',
      () => readExecutions(f).length,
      (c) => c === 1,
    );
    leaving.child.kill('SIGTERM');
    assert.equal(await leaving.exited, 0);
    const state = await client.status(callback);
    assert.equal(state.status, 'accepted', 'back in the queue');
    assert.equal(state.attempts, 0, 'a clean shutdown does not use up an attempt');
    await startWorkerProcess(redis.url, ENV).ready;
    const done = await client.wait(callback, { timeoutMs: 20_000 });
    assert.equal(done.status, 'done');
  });

  it('a second SIGTERM forces the exit', async () => {
    await stopAll();
    const api = startApiProcess(redis.url, ENV);
    client = new WorkmeshClient({ baseUrl: (await api.ready).url! });
    const f = file();
    const slow = startWorkerProcess(redis.url, {
      ...ENV,
      WORKMESH_SHUTDOWN_GRACE_MS: '600000',
      WORKMESH_LOG_LEVEL: 'info', // to see it start stopping
    });
    await slow.ready;
    await client.submit('record', { file: f, ms: 60_000 });
    await until(
      'it runs',
      () => readExecutions(f).length,
      (c) => c === 1,
    );
    slow.child.kill('SIGTERM');
    // The first signal taken: it is stopping, and draining for up to its 10-minute grace.
    await until(
      'the worker to start stopping',
      () => slow.output(),
      (out) => out.includes('"msg":"stopping"'),
    );
    assert.equal(slow.child.exitCode, null, 'still draining after the first signal');
    slow.child.kill('SIGTERM');
    assert.equal(await slow.exited, 130);
  });
});
