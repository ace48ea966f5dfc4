import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkmeshClient } from '../src/client/index.js';
import { readExecutions } from './helpers/records.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { ROOT, startApiProcess, startWorkerProcess, stopAll } from './helpers/processes.js';
import { until } from './helpers/wait.js';
import { tempDir } from './helpers/temp-dir.js';

const JOBS = join(ROOT, 'test/fixtures/jobs.ts');
let redis: TestRedis;
let client: WorkmeshClient;
const dir = tempDir('delivery');

before(async () => {
  redis = await startTestRedis();
  const api = startApiProcess(redis.url, { WORKMESH_JOBS: JOBS });
  client = new WorkmeshClient({ baseUrl: (await api.ready).url! });
});
after(async () => {
  await stopAll();
  await redis.stop();
});

async function submitMany(count: number, data: object, inFlight = 50): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        next += 1;
        ids.push((await client.submit('record', data)).callback);
      }
    }),
  );
  return ids;
}

async function statusCounts(ids: readonly string[]): Promise<Record<string, number>> {
  const pipeline = redis.client.pipeline();
  for (const id of ids) pipeline.hget(`wm:{record}:job:${id}`, 'status');
  const counts: Record<string, number> = {};
  for (const [, status] of (await pipeline.exec()) ?? []) {
    const key = String(status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe('delivery', () => {
  it('3 worker processes x 1,000 jobs each: every job done exactly once, none lost or left pending', async () => {
    const file = join(dir, 'many.log');
    const env = { WORKMESH_JOBS: JOBS, WORKMESH_TYPES: 'record', WORKMESH_CONCURRENCY: '20' };
    const workers = [1, 2, 3].map(() => startWorkerProcess(redis.url, env));
    await Promise.all(workers.map((w) => w.ready));
    const ids = await submitMany(3000, { file });
    await until(
      'all done',
      () => statusCounts(ids),
      (c) => c.done === ids.length,
      60_000,
      200,
    );

    const runs = readExecutions(file);
    const perJob = new Map<string, number>();
    for (const r of runs) perJob.set(r.id, (perJob.get(r.id) ?? 0) + 1);
    assert.equal(perJob.size, ids.length, 'every job ran');
    assert.deepEqual([...new Set(perJob.values())], [1], 'no job ran twice');
    for (const id of ids) assert.ok(perJob.has(id), id);
    const pids = new Set(runs.map((r) => r.pid));
    assert.equal(pids.size, 3, 'all three workers took work');

    assert.equal(await redis.client.xlen('wm:{record}:stream'), 0, 'the stream is empty');
    const [pending] = (await redis.client.xpending('wm:{record}:stream', 'workers')) as [number];
    assert.equal(pending, 0, 'nothing left pending');
    assert.equal(await redis.client.hget('wm:{record}:stats', 'done'), String(ids.length));
    await stopAll();
  });

  it('a worker killed with SIGKILL while holding jobs loses none: another takes them over after the claim timeout', async () => {
    const api = startApiProcess(redis.url, { WORKMESH_JOBS: JOBS });
    client = new WorkmeshClient({ baseUrl: (await api.ready).url! });
    const file = join(dir, 'crash.log');
    const env = {
      WORKMESH_JOBS: JOBS,
      WORKMESH_TYPES: 'record',
      WORKMESH_CONCURRENCY: '5',
      WORKMESH_CLAIM_TIMEOUT_MS: '1500',
    };
    const victim = startWorkerProcess(redis.url, env);
    const { nodeId: victimId } = await victim.ready;
    const ids = await submitMany(5, { file, firstMs: 120_000 }, 5);
    await until(
      'the victim holds all 5',
      () => readExecutions(file).length,
      (n) => n === 5,
    );
    for (const id of ids) {
      const state = await client.status(id);
      assert.equal(state.status, 'pending');
      assert.equal(state.workedBy, victimId);
    }
    victim.child.kill('SIGKILL');
    await victim.exited;

    const rescuer = startWorkerProcess(redis.url, env);
    const { nodeId: rescuerId } = await rescuer.ready;
    const finals = await Promise.all(ids.map((id) => client.wait(id, { timeoutMs: 30_000 })));
    for (const state of finals) {
      assert.equal(state.status, 'done');
      assert.equal(state.workedBy, rescuerId);
      assert.equal(state.attempts, 2);
    }
    const runs = readExecutions(file);
    assert.equal(runs.length, 10, 'each job ran once on the victim and once on the rescuer');
    assert.equal(await redis.client.xlen('wm:{record}:stream'), 0);
  });
});
