import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { createLogger } from '../src/log/index.js';
import { Producer } from '../src/queue/index.js';
import { Keys, connectRedis } from '../src/redis/index.js';
import { maxRunning, readLog, starts } from './helpers/controls.js';
import {
  ROOT,
  startWorkerProcess,
  stopAll,
  stopProcess,
  type RoleProcess,
} from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { tempDir } from './helpers/temp-dir.js';
import { until } from './helpers/wait.js';

// Issue 19: pause and global concurrency, enforced in Redis across worker processes; the
// controls hash is written directly (the admin API is another branch's).
const JOBS = join(ROOT, 'test/fixtures/controls.ts');
const dir = tempDir('queue-limits');
const keys = new Keys('wm');
let redis: TestRedis;
let conn: Redis;
let producer: Producer;
/** Three worker processes at concurrency 10 serve every type of this file. */
let procs: RoleProcess[];
let pids: number[];

before(async () => {
  redis = await startTestRedis();
  conn = connectRedis(redis.url, createLogger('silent'), { name: 'queue-limits-test' });
  producer = new Producer(conn, keys, 'test');
  await control('capped', { concurrency: 5 });
  procs = workers('paused,capped', 3, 10);
  pids = await Promise.all(procs.map(async (p) => (await p.ready, p.child.pid!)));
});
after(async () => {
  await stopAll();
  conn?.disconnect();
  await redis.stop();
});

function workers(type: string, n: number, concurrency: number): RoleProcess[] {
  return Array.from({ length: n }, () =>
    startWorkerProcess(redis.url, {
      WORKMESH_JOBS: JOBS,
      WORKMESH_TYPES: type,
      WORKMESH_CONCURRENCY: String(concurrency),
      WORKMESH_CLUSTER_SECRET: 'queue-limits',
    }),
  );
}

function submit(type: string, n: number, data: object, group?: string): Promise<string[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const job = { queue: type, data, resultTtlSec: 600, maxAttempts: 3 };
      const e = await producer.enqueue(group === undefined ? job : { ...job, group });
      return e.id;
    }),
  );
}

/** What q-surfaces' controls do: write the hash, gate the queue, wake the workers. */
async function control(type: string, fields: Record<string, string | number>): Promise<void> {
  await conn.hset(keys.controls(type), { ...fields, gated: 1 });
  await conn.xadd(keys.signal(type), 'MAXLEN', '~', 10, '*', 'w', 1);
}

async function uncontrol(type: string, ...fields: string[]): Promise<void> {
  await conn.hdel(keys.controls(type), ...fields);
  await conn.xadd(keys.signal(type), 'MAXLEN', '~', 10, '*', 'w', 1);
}

describe('pause and resume', () => {
  it('3 workers: nothing starts 1 s after pause, running jobs finish, submissions wait; resume drains', async () => {
    const file = join(dir, 'pause.log');
    const first = await submit('paused', 150, { file, ms: 100 });
    await until(
      'jobs running',
      () => starts(file).length,
      (n) => n >= 12,
    );
    const pausedAt = Date.now();
    await control('paused', { paused: 1 });
    const during = await submit('paused', 30, { file, ms: 10 });
    // Running jobs finish; then nothing starts any more.
    await sleep(2500);
    const late = starts(file).filter((s) => s.at > pausedAt + 1000);
    assert.deepEqual(late, [], 'started more than 1 s after the pause');
    const started = new Set(starts(file).map((s) => s.id));
    const ended = new Set(
      readLog(file)
        .filter((l) => l.kind === 'end')
        .map((l) => l.id),
    );
    assert.deepEqual(
      [...started].filter((id) => !ended.has(id)),
      [],
      'running jobs finished',
    );
    assert.ok(started.size < first.length, 'the pause held back part of the backlog');
    // Submitted while paused: accepted, waiting.
    for (const id of during) assert.equal(await conn.hget(keys.job(id), 'status'), 'accepted');

    // It is in Redis: a worker started now stays paused too.
    const [fresh] = workers('paused', 1, 10);
    await fresh!.ready;
    await sleep(300);
    assert.equal(starts(file).filter((s) => s.at > pausedAt + 1000).length, 0);

    await uncontrol('paused', 'paused');
    await until(
      'every job started after resume',
      () => new Set(starts(file).map((s) => s.id)).size,
      (n) => n === first.length + during.length,
      30_000,
    );
    await stopProcess(fresh!, 'SIGKILL');
  });
});

describe('global concurrency', () => {
  it('concurrency 5 across 3 processes at concurrency 10: never more than 5 running (execution log)', async () => {
    const file = join(dir, 'capped.log');
    await submit('capped', 60, { file, ms: 80 });
    await until(
      'all 60 ended',
      () => readLog(file).filter((l) => l.kind === 'end').length,
      (n) => n === 60,
      30_000,
    );
    assert.ok(maxRunning(file) <= 5, `at most 5 ran at once, saw ${maxRunning(file)}`);
    assert.ok(maxRunning(file) >= 3, 'the slots were used');
    assert.ok(new Set(starts(file).map((s) => s.pid)).size >= 2, 'more than one process ran them');
    assert.equal(await conn.zcard(keys.active('capped')), 0, 'every slot came back');
  });

  it('groupConcurrency 2: each group at most 2 running at once, the groups side by side', async () => {
    const file = join(dir, 'group-capped.log');
    await control('paused', { groupConcurrency: 2 });
    const a = new Set(await submit('paused', 12, { file, ms: 100 }, 'ga'));
    const b = new Set(await submit('paused', 12, { file, ms: 100 }, 'gb'));
    await until(
      'all 24 ended',
      () => readLog(file).filter((l) => l.kind === 'end').length,
      (n) => n === 24,
      30_000,
    );
    assert.ok(maxRunning(file, a) <= 2, `ga: ${maxRunning(file, a)} at once`);
    assert.ok(maxRunning(file, b) <= 2, `gb: ${maxRunning(file, b)} at once`);
    assert.ok(maxRunning(file) >= 3, 'the groups ran side by side');
    await uncontrol('paused', 'groupConcurrency');
  });

  it('SIGKILL of a worker holding slots: they come back when its jobs are taken over', async (t) => {
    const file = join(dir, 'capped-kill.log');
    // Five long jobs fill the slots; five short ones must wait for them.
    const long = await submit('capped', 5, { file, ms: 600_000, tag: 'long' });
    await until(
      '5 running',
      () => starts(file).length,
      (n) => n === 5,
    );
    const short = await submit('capped', 5, { file, ms: 10, tag: 'short' });
    await sleep(500);
    assert.equal(starts(file).length, 5, 'no slot free: the short jobs wait');
    const holders = new Map<number, number>();
    for (const s of starts(file)) holders.set(s.pid, (holders.get(s.pid) ?? 0) + 1);
    const victimPid = [...holders.keys()][0]!;
    const victim = procs[pids.indexOf(victimPid)]!;
    const held = holders.get(victimPid)!;
    const killedAt = performance.now();
    victim.child.kill('SIGKILL');
    // Taken over (the node declared gone, its jobs requeued): the slots they held are free
    // again, and its long jobs run again elsewhere.
    await until(
      "the victim's jobs restarted elsewhere",
      () => starts(file).filter((s) => s.tag === 'long' && s.pid !== victimPid).length,
      (n) => n === 5,
      40_000,
    );
    t.diagnostic(
      `kill -> slots back, long jobs restarted: ${Math.round(performance.now() - killedAt)} ms`,
    );
    assert.ok(held >= 1);
    assert.ok((await conn.zcard(keys.active('capped'))) <= 5);
    assert.equal(starts(file).filter((s) => s.tag === 'short').length, 0, 'still full');
    // Lift the limit: the short jobs run at once.
    await uncontrol('capped', 'concurrency');
    await until(
      'short jobs ran',
      () => starts(file).filter((s) => s.tag === 'short').length,
      (n) => n === 5,
    );
    void long;
    void short;
    await Promise.all(procs.map((p) => stopProcess(p, 'SIGKILL')));
  });
});
