import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkmeshClient } from '../src/client/index.js';
import type { ClusterNode } from '../src/cluster/index.js';
import { FAST_CLUSTER, nextChange, startTestNode } from './helpers/cluster.js';
import { readExecutions } from './helpers/records.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import {
  ROOT,
  startApiProcess,
  type RoleProcess,
  startWorkerProcess,
  stopAll,
} from './helpers/processes.js';
import { until } from './helpers/wait.js';
import { tempDir } from './helpers/temp-dir.js';

/**
 * Recoveries (issue 16, item 1): an attempt taken over before it reported an outcome (its
 * worker froze, or stalled its event loop past the node TTL) does not use up the job's
 * attempts: a job with maxAttempts 1 runs again and ends done, and the frozen worker's late
 * result is refused.
 */
const JOBS = join(ROOT, 'test/fixtures/jobs.ts');
const dir = tempDir('recovery');
const ENV = {
  ...FAST_CLUSTER,
  WORKMESH_JOBS: JOBS,
  WORKMESH_CLAIM_TIMEOUT_MS: '600000',
  WORKMESH_BLOCK_MS: '60000',
};
let redis: TestRedis;
let client: WorkmeshClient;
let watcher: ClusterNode;

before(async () => {
  redis = await startTestRedis();
  const api = startApiProcess(redis.url, { WORKMESH_JOBS: JOBS });
  client = new WorkmeshClient({ baseUrl: (await api.ready).url! });
  watcher = await startTestNode(redis.url);
});
after(async () => {
  await watcher.stop();
  await stopAll();
  await redis.stop();
});

/** Whether the node's blocking connection waits in XREAD (the claim queued behind it). */
async function waitsInXread(nodeId: string): Promise<boolean> {
  const list = (await redis.client.call('CLIENT', 'LIST', 'TYPE', 'normal')) as string;
  return list
    .split('\n')
    .some((l) => l.includes(`-${nodeId} `) && / cmd=xread /.test(l) && / flags=b /.test(l));
}

async function stop(processes: readonly RoleProcess[]): Promise<void> {
  for (const p of processes) p.child.kill('SIGTERM');
  await Promise.all(processes.map((p) => p.exited));
}

describe('recoveries', () => {
  it('a worker SIGSTOPped in its wait, its next claim then run: the job (maxAttempts 1) runs again elsewhere and ends done; its late result is refused', async () => {
    const file = join(dir, 'frozen.log');
    const env = { ...ENV, WORKMESH_TYPES: 'record', WORKMESH_CONCURRENCY: '4' };
    const frozen = startWorkerProcess(redis.url, env);
    const { nodeId: frozenId } = await frozen.ready;
    await until('the worker to wait in XREAD', () => waitsInXread(frozenId), Boolean);
    frozen.child.kill('SIGSTOP');
    const gone = nextChange(watcher, 'left', frozenId);
    const { callback } = await client.submit('record', { file }, { maxAttempts: 1 });
    const ids = [callback];
    // Redis ended the wait and ran the queued claim: the frozen worker started the job (it
    // may be requeued already: the node TTL is short).
    await until(
      'the frozen worker to hold the job',
      () => client.status(callback),
      (s) => s.attempts === 1 && s.workedBy === frozenId,
    );
    await gone;
    const rescuer = startWorkerProcess(redis.url, env);
    const { nodeId: rescuerId } = await rescuer.ready;
    const finals = await Promise.all(ids.map((id) => client.wait(id, { timeoutMs: 20_000 })));
    for (const state of finals) {
      assert.equal(state.status, 'done', state.error);
      assert.equal(state.workedBy, rescuerId);
      assert.equal(state.attempts, 2);
      assert.equal(state.recoveries, 1);
    }

    frozen.child.kill('SIGCONT');
    await until(
      'the frozen worker to run its claimed jobs and have its results refused',
      () => frozen.output().split('result refused').length - 1,
      (n) => n === ids.length,
    );
    for (const [i, id] of ids.entries()) {
      const state = await client.status(id);
      assert.equal(state.status, 'done');
      assert.equal(state.workedBy, rescuerId, 'the kept result is the rescuer one');
      assert.equal(state.finishedAt, finals[i]!.finishedAt, 'written once');
    }
    assert.equal(readExecutions(file).length, ids.length * 2, 'each ran twice: frozen, rescuer');
    await stop([frozen, rescuer]);
  });

  it('a handler that blocks its event loop past the node TTL (maxAttempts 1): taken over, run again, done; the stalled result is refused', async () => {
    const file = join(dir, 'stall.log');
    const env = { ...ENV, WORKMESH_TYPES: 'stall', WORKMESH_CONCURRENCY: '1' };
    const workers = [startWorkerProcess(redis.url, env), startWorkerProcess(redis.url, env)];
    const nodeIds = await Promise.all(workers.map(async (w) => (await w.ready).nodeId));
    // 4 s of a blocked loop: well past the 1.5 s node TTL.
    const { callback } = await client.submit('stall', { file, ms: 4000 }, { maxAttempts: 1 });
    const state = await client.wait(callback, { timeoutMs: 30_000 });
    assert.equal(state.status, 'done', state.error);
    assert.equal(state.attempts, 2);
    assert.equal(state.recoveries, 1);
    const runs = readExecutions(file, callback);
    assert.equal(runs.length, 2);
    const stalled = workers[nodeIds.indexOf(state.workedBy!) === 0 ? 1 : 0]!;
    assert.equal(runs[0]!.pid, stalled.child.pid, 'the first run was the stalled one');
    await until(
      'the stalled worker to have its late result refused',
      () => stalled.output(),
      (o) => o.includes('result refused'),
    );
    const after = await client.status(callback);
    assert.equal(after.workedBy, state.workedBy);
    assert.equal(after.finishedAt, state.finishedAt, 'written once');
    await stop(workers);
  });
});
