import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkmeshClient } from '../src/client/index.js';
import { Keys, runScript } from '../src/redis/index.js';
import { FAST_CLUSTER } from './helpers/cluster.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { ROOT, startApiProcess, startWorkerProcess, stopAll } from './helpers/processes.js';

/** A job's own log (ctx.addLog): kept with its record, answered by its status. */

const ENV = { ...FAST_CLUSTER, WORKMESH_JOBS: `${ROOT}test/fixtures/jobs.ts` };
let redis: TestRedis;
let api: WorkmeshClient;

before(async () => {
  redis = await startTestRedis();
  const apiProc = startApiProcess(redis.url, ENV);
  const worker = startWorkerProcess(redis.url, ENV);
  api = new WorkmeshClient({ baseUrl: (await apiProc.ready).url! });
  await worker.ready;
});
after(async () => {
  await stopAll();
  await redis.stop();
});

describe('a job log', () => {
  it("keeps a handler's lines with the job, in order, each with its attempt, across a retry", async () => {
    const { callback } = await api.submit(
      'chatty',
      { lines: 4, failFirst: true },
      { maxAttempts: 2, backoff: { type: 'fixed', delayMs: 10 } },
    );
    const state = await api.wait(callback, { timeoutMs: 30_000 });
    assert.equal(state.status, 'done');
    const lines = (state.log ?? []).map((l) => `${l.attempt} ${l.text}`);
    const one = ['line 1 of 4', 'line 2 of 4', 'line 3 of 4', 'line 4 of 4'];
    assert.deepEqual(lines, [...one.map((t) => `1 ${t}`), ...one.map((t) => `2 ${t}`)]);
    for (const l of state.log!) assert.ok(Date.parse(l.at) <= Date.parse(state.finishedAt!));
    // The same lines through the console's read of the whole job.
    const record = await redis.client.hget(new Keys('wm').job(callback), 'log');
    assert.equal((JSON.parse(record!) as unknown[]).length, 8);
  });

  it('keeps the last 100 lines; a line over 1,000 characters is cut', async () => {
    const { callback } = await api.submit('chatty', { lines: 150, longChars: 5000 });
    const state = await api.wait(callback, { timeoutMs: 30_000 });
    const log = state.log ?? [];
    assert.equal(log.length, 100);
    assert.equal(log[0]!.text, 'line 52 of 150');
    assert.equal(log[98]!.text, 'line 150 of 150');
    assert.equal(log[99]!.text.length, 1000);
    assert.ok(log[99]!.text.endsWith('…'));
  });

  it('a job that logs nothing has no log; a list of jobs leaves logs out', async () => {
    const quiet = await api.submit('chatty', { lines: 0 });
    const state = await api.wait(quiet.callback, { timeoutMs: 30_000 });
    assert.equal(state.status, 'done');
    assert.equal('log' in state, false);
    const chatty = await api.submit('chatty', { lines: 2 });
    await api.wait(chatty.callback, { timeoutMs: 30_000 });
    const page = await api.jobs({ type: 'chatty' });
    assert.ok(page.jobs.some((j) => j.callback === chatty.callback));
    for (const job of page.jobs) assert.equal('log' in job, false, job.callback);
  });

  it("a line from an attempt that no longer holds the job is dropped (the log script's fence)", async () => {
    const keys = new Keys('wm');
    const key = keys.job('chatty.fence0000000000a');
    await redis.client.hset(key, { status: 'pending', workedBy: 'worker-a', attempts: '2' });
    const write = (consumer: string, attempt: number, text: string) =>
      runScript(redis.client, 'log', [key], [Date.now(), consumer, attempt, text]);
    assert.deepEqual(await write('worker-a', 1, 'stale attempt'), [0]);
    assert.deepEqual(await write('worker-b', 2, 'another worker'), [0]);
    assert.deepEqual(await write('worker-a', 2, 'current'), [1]);
    await redis.client.hset(key, 'status', 'done');
    assert.deepEqual(await write('worker-a', 2, 'after the end'), [0]);
    const log = JSON.parse((await redis.client.hget(key, 'log'))!) as { text: string }[];
    assert.deepEqual(
      log.map((l) => l.text),
      ['current'],
    );
    await redis.client.del(key);
  });
});
