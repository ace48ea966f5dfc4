import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClusterNode } from '../src/cluster/index.js';
import { Producer, getJob } from '../src/queue/index.js';
import { Keys, connectRedis, type Redis } from '../src/redis/index.js';
import { createLogger } from '../src/log/index.js';
import { FAST_CLUSTER, startTestNode } from './helpers/cluster.js';
import { runCli, runCliToEnd, stopAll, type RoleProcess } from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { until } from './helpers/wait.js';
import { tempDir } from './helpers/temp-dir.js';

/** A worker's state as `nodes` and the console see it: drain, resume, stop, its concurrency. */

let redis: TestRedis;
let node: ClusterNode;
let conn: Redis;
let worker: RoleProcess;
let workerId: string;
const keys = new Keys('wm');

const jobsDir = tempDir('state');
before(async () => {
  redis = await startTestRedis();
  node = await startTestNode(redis.url);
  conn = connectRedis(redis.url, createLogger('silent'));
  const jobs = join(jobsDir, 'quad.mjs');
  writeFileSync(
    jobs,
    'export default [{ name: "quad", input: {}, concurrency: 4, handler: (d) => d }];',
  );
  worker = runCli(['worker'], {
    ...FAST_CLUSTER,
    REDIS_URL: redis.url,
    WORKMESH_JOBS: jobs,
    WORKMESH_TYPES: 'quad',
    WORKMESH_LOG_LEVEL: 'info',
  });
  workerId = (await worker.ready).nodeId;
});
after(async () => {
  await stopAll();
  await node.stop();
  conn.disconnect();
  await redis.stop();
});

const stateOf = async (): Promise<string | undefined> =>
  (await node.readMembers()).find((m) => m.id === workerId)?.meta?.state;

async function nodesRow(): Promise<Record<string, string>> {
  const { stdout } = await runCliToEnd(['nodes'], { ...FAST_CLUSTER, REDIS_URL: redis.url });
  const [head, ...rows] = stdout.split('\n');
  const columns = head!.split(/\s+/);
  const row = rows.find((r) => r.startsWith(workerId))!.split(/\s+/);
  return Object.fromEntries(columns.map((c, i) => [c, row[i]!]));
}

async function runJob(): Promise<string> {
  const { id } = await new Producer(conn, keys, 'test').enqueue({
    queue: 'quad',
    data: 'x',
    resultTtlSec: 60,
    maxAttempts: 1,
  });
  return id;
}

describe('worker state', () => {
  it("a worker of one type offers that type's concurrency", async () => {
    const member = (await node.readMembers()).find((m) => m.id === workerId);
    assert.deepEqual(member?.offers, { types: ['quad'], concurrency: 4 });
  });

  it('nodes shows its state; a drained worker resumes and runs jobs again', async () => {
    assert.equal((await nodesRow()).STATE, 'running');
    await node.call(workerId, 'drain');
    await until('drained', stateOf, (s) => s === 'drained');
    assert.equal((await nodesRow()).STATE, 'drained');

    const id = await runJob();
    await node.call(workerId, 'resume');
    await until('running', stateOf, (s) => s === 'running');
    const job = await until(
      'the job queued while drained to run',
      () => getJob(conn, keys, id),
      (j) => j?.status === 'done',
    );
    assert.equal(job?.value, 'x');
  });

  it('a worker stopped by the stop call logs who asked, not SIGTERM', async () => {
    await node.call(workerId, 'stop');
    assert.equal(await worker.exited, 0);
    assert.match(worker.output(), /"reason":"asked by test-/);
    assert.doesNotMatch(worker.output(), /"reason":"SIGTERM"/);
  });
});
