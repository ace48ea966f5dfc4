import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkmeshClient } from '../src/client/index.js';
import type { ClusterNode } from '../src/cluster/index.js';
import { FAST_CLUSTER, nextChange, startTestNode } from './helpers/cluster.js';
import { readExecutions } from './helpers/records.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { ROOT, startApiProcess, startWorkerProcess, stopAll } from './helpers/processes.js';
import { tempDir } from './helpers/temp-dir.js';
import { until } from './helpers/wait.js';

const JOBS = join(ROOT, 'test/fixtures/jobs.ts');
const dir = tempDir('takeover');
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

async function submit(count: number, data: object): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, async () => (await client.submit('record', data)).callback),
  );
}

describe('takeover', () => {
  it('SIGKILL a worker holding 20 long jobs: the others take them over at once and finish all 20 (default timers)', async (t) => {
    const file = join(dir, 'kill.log');
    // Default heartbeat (2 s), node TTL (6 s) and claim timeout (30 s): takeover must come
    // from failure detection, not from the claim timeout.
    const env = { WORKMESH_JOBS: JOBS, WORKMESH_TYPES: 'record', WORKMESH_CLUSTER_SECRET: 's' };
    const watcher = await startTestNode(redis.url, { WORKMESH_CLUSTER_SECRET: 's' });
    try {
      const victim = startWorkerProcess(redis.url, { ...env, WORKMESH_CONCURRENCY: '20' });
      const { nodeId: victimId } = await victim.ready;
      const ids = await submit(20, { file, firstMs: 600_000 });
      await until(
        'the victim holds all 20',
        () => readExecutions(file).length,
        (n) => n === 20,
      );
      const others = [1, 2].map(() =>
        startWorkerProcess(redis.url, { ...env, WORKMESH_CONCURRENCY: '10' }),
      );
      const otherIds = await Promise.all(others.map(async (o) => (await o.ready).nodeId));

      const gone = nextChange(watcher, 'left', victimId);
      const killedAt = performance.now();
      victim.child.kill('SIGKILL');
      await gone;
      const detectedMs = performance.now() - killedAt;
      await until(
        'all 20 restarted elsewhere',
        () => readExecutions(file).length,
        (n) => n === 40,
        // Past the claim timeout (30 s): if failure detection broke, the claim timeout takes
        // them over within this, and the path check below says which one did.
        60_000,
        20,
      );
      const takeoverMs = performance.now() - killedAt;
      t.diagnostic(
        `kill -> declared gone ${Math.round(detectedMs)} ms; kill -> all 20 restarted ${Math.round(takeoverMs)} ms`,
      );

      const finals = await Promise.all(ids.map((id) => client.wait(id, { timeoutMs: 30_000 })));
      for (const state of finals) {
        assert.equal(state.status, 'done');
        assert.equal(state.attempts, 2);
        assert.ok(otherIds.includes(state.workedBy!), state.workedBy);
      }
      // Which path took them over: failure detection requeues a gone node's jobs (an
      // `accepted` event marked requeued between the two starts); the claim timeout would move
      // the entry straight to the new worker (pending, then pending again).
      for (const id of ids) {
        const events = JSON.parse(
          (await redis.client.hget(`wm:{record}:job:${id}`, 'events')) ?? '[]',
        ) as { status: string; requeued?: boolean }[];
        assert.deepEqual(
          events.map((e) => (e.requeued ? 'requeued' : e.status)),
          ['accepted', 'pending', 'requeued', 'pending', 'done'],
          `${id}: taken over by failure detection, not by the claim timeout`,
        );
      }
    } finally {
      await watcher.stop();
      await stopAll();
    }
  });

  it('SIGSTOP a worker past its TTL: its job is taken over, and after SIGCONT its late result is refused', async () => {
    const api = startApiProcess(redis.url, { WORKMESH_JOBS: JOBS });
    client = new WorkmeshClient({ baseUrl: (await api.ready).url! });
    const file = join(dir, 'stop.log');
    const env = {
      ...FAST_CLUSTER,
      WORKMESH_JOBS: JOBS,
      WORKMESH_TYPES: 'record',
      WORKMESH_CLAIM_TIMEOUT_MS: '600000',
    };
    const watcher: ClusterNode = await startTestNode(redis.url);
    try {
      const paused = startWorkerProcess(redis.url, env);
      const { nodeId: pausedId } = await paused.ready;
      const [id] = await submit(1, { file, firstMs: 4000 });
      await until(
        'the job to start',
        () => readExecutions(file).length,
        (n) => n === 1,
      );

      const gone = nextChange(watcher, 'left', pausedId);
      paused.child.kill('SIGSTOP');
      assert.equal((await gone).reason, 'expired');
      const rescuer = startWorkerProcess(redis.url, env);
      const { nodeId: rescuerId } = await rescuer.ready;
      const done = await client.wait(id!, { timeoutMs: 20_000 });
      assert.equal(done.workedBy, rescuerId);
      assert.equal(done.attempts, 2);
      const finishedAt = done.finishedAt;

      const back = nextChange(watcher, 'joined', pausedId);
      paused.child.kill('SIGCONT');
      await back;
      await until(
        'the paused worker to try its late result',
        () => paused.output(),
        (o) => o.includes('result refused'),
        20_000,
      );
      const after = await client.status(id!);
      assert.equal(after.workedBy, rescuerId, 'the result is the rescuer one');
      assert.equal(after.finishedAt, finishedAt, 'written once');
      assert.deepEqual(
        readExecutions(file).map((r) => r.attempt),
        [1, 2],
      );
    } finally {
      await watcher.stop();
    }
  });
});
