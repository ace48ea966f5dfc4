import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../src/config/index.js';
import { createRegistry } from '../src/jobs/index.js';
import { Producer, type Enqueued, type NewJob } from '../src/queue/index.js';
import { Keys, connectRedis, queueOfJobId } from '../src/redis/index.js';
import { createLogger } from '../src/log/index.js';
import { Submitter } from '../src/submit/index.js';
import { buildTestApi, type InProcessApi } from './helpers/api.js';
import { FAST_CLUSTER } from './helpers/cluster.js';
import { startWorkerProcess, stopAll } from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { until } from './helpers/wait.js';

/** Deduplication windows (issue 19): throttle and debounce, a type's rule, bad input. */
const JOBS = 'test/fixtures/dedupe.ts';
const ENV = { ...FAST_CLUSTER, WORKMESH_JOBS: JOBS };
const dir = mkdtempSync(join(tmpdir(), 'workmesh-dedupe-'));
let redis: TestRedis;
let api: InProcessApi;

before(async () => {
  redis = await startTestRedis();
  api = await buildTestApi(redis.url, { WORKMESH_JOBS: JOBS });
  await startWorkerProcess(redis.url, ENV).ready;
});
after(async () => {
  await stopAll();
  await api.close();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  callback: string;
  status: string;
  runAt?: string;
  duplicate?: boolean;
  deduplicated?: boolean;
  error?: { code: string; message: string };
}

async function post(payload: object): Promise<{ code: number; body: Answer }> {
  const res = await api.app.inject({ method: 'POST', url: '/api/work', payload });
  return { code: res.statusCode, body: res.json<Answer>() };
}

/** The runs the fixture logged: "<id> <user> <n>" per line. */
function runs(file: string): { id: string; user: string; n: number }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [id, user, n] = l.split(' ');
      return { id: id!, user: user!, n: Number(n) };
    });
}

async function statusOf(id: string): Promise<string | undefined> {
  const res = await api.app.inject({ method: 'GET', url: `/api/status/${id}` });
  return res.statusCode === 200 ? res.json<{ status: string }>().status : undefined;
}

describe('dedupe windows', () => {
  it('throttle: later jobs with the key within the window are answered with the first, which runs once with its own data', async () => {
    const file = join(dir, 'throttle.log');
    const dedupe = { key: 'report:u1', ttlSec: 30, mode: 'throttle' };
    const first = await post({ type: 'note', data: { file, user: 'u1', n: 1 }, dedupe });
    assert.equal(first.code, 202, JSON.stringify(first.body));
    const later = await Promise.all(
      [2, 3, 4].map((n) => post({ type: 'note', data: { file, user: 'u1', n }, dedupe })),
    );
    for (const l of later) {
      assert.equal(l.code, 200);
      assert.equal(l.body.callback, first.body.callback);
      assert.equal(l.body.deduplicated, true);
    }
    // Another key: its own job (on the partition its key chooses).
    const other = await post({
      type: 'note',
      data: { file, user: 'u2', n: 9 },
      dedupe: { ...dedupe, key: 'report:u2' },
    });
    assert.equal(other.code, 202);
    assert.notEqual(other.body.callback, first.body.callback);
    await until(
      'both ran',
      () => runs(file),
      (r) => r.length >= 2,
    );
    await until(
      'done',
      () => statusOf(first.body.callback),
      (s) => s === 'done',
    );
    // Once done, the window still answers its job.
    const afterDone = await post({ type: 'note', data: { file, user: 'u1', n: 5 }, dedupe });
    assert.equal(afterDone.body.callback, first.body.callback);
    assert.equal(afterDone.body.status, 'done');
    assert.deepEqual(
      runs(file)
        .map((r) => `${r.user} ${r.n}`)
        .sort(),
      ['u1 1', 'u2 9'],
    );
    const record = await redis.client.get(
      (await redis.keys('wm:*:dedupe:*')).find((k) =>
        k.startsWith(`wm:{${queueOfJobId(first.body.callback)}}`),
      )!,
    );
    assert.match(record ?? '', new RegExp(`^${first.body.callback.replace('.', '\\.')} \\d+$`));
  });

  it("throttle: a window whose job was never written (or is gone) starts over after the write's time", async () => {
    const file = join(dir, 'throttle-ghost.log');
    const dedupe = { key: 'ghost', ttlSec: 60, mode: 'throttle' };
    const first = await post({ type: 'note', data: { file, user: 'g', n: 1 }, dedupe });
    await until(
      'done',
      () => statusOf(first.body.callback),
      (s) => s === 'done',
    );
    // Its result is gone and its reservation is old: as after a write that failed.
    const queue = queueOfJobId(first.body.callback)!;
    const records = await Promise.all(
      (await redis.keys(`wm:{${queue}}:dedupe:*`)).map(async (k) => [k, await redis.client.get(k)]),
    );
    const [key] = records.find(([, v]) => v?.startsWith(first.body.callback))!;
    await redis.client.set(key!, `${first.body.callback} ${Date.now() - 60_000}`, 'KEEPTTL');
    await redis.client.del(`wm:{${queue}}:job:${first.body.callback}`);
    const next = await post({ type: 'note', data: { file, user: 'g', n: 2 }, dedupe });
    assert.equal(next.code, 202, JSON.stringify(next.body));
    assert.notEqual(next.body.callback, first.body.callback);
    const third = await post({ type: 'note', data: { file, user: 'g', n: 3 }, dedupe });
    assert.equal(third.body.callback, next.body.callback);
    await until(
      'ran twice',
      () => runs(file),
      (r) => r.length === 2,
    );
  });

  it('throttle: a window that ended lets the next job through', async () => {
    const file = join(dir, 'throttle-short.log');
    const dedupe = { key: 'short', ttlSec: 1, mode: 'throttle' };
    const a = await post({ type: 'note', data: { file, user: 'a', n: 1 }, dedupe });
    const queue = queueOfJobId(a.body.callback)!;
    const holds = async () =>
      (
        await Promise.all(
          (await redis.keys(`wm:{${queue}}:dedupe:*`)).map((k) => redis.client.get(k)),
        )
      ).some((v) => v?.startsWith(a.body.callback));
    await until('the window ended', holds, (held) => !held, 5000);
    const b = await post({ type: 'note', data: { file, user: 'a', n: 2 }, dedupe });
    assert.equal(b.code, 202);
    assert.notEqual(b.body.callback, a.body.callback);
    await until(
      'both ran',
      () => runs(file),
      (r) => r.length === 2,
    );
  });

  it('debounce: each job replaces the waiting one (last data wins) and pushes its start back; it runs once', async () => {
    const file = join(dir, 'debounce.log');
    const dedupe = { key: 'search:u1', ttlSec: 1, mode: 'debounce' };
    const first = await post({ type: 'note', data: { file, user: 'u1', n: 1 }, dedupe });
    assert.equal(first.code, 202);
    assert.ok(first.body.runAt, 'the job waits for the quiet time');
    let lastRunAt = Date.parse(first.body.runAt);
    for (const n of [2, 3, 4]) {
      const next = await post({ type: 'note', data: { file, user: 'u1', n }, dedupe });
      assert.equal(next.code, 200);
      assert.equal(next.body.callback, first.body.callback);
      assert.equal(next.body.deduplicated, true);
      assert.ok(Date.parse(next.body.runAt!) >= lastRunAt, 'its start is pushed back');
      lastRunAt = Date.parse(next.body.runAt!);
    }
    await until(
      'done',
      () => statusOf(first.body.callback),
      (s) => s === 'done',
    );
    assert.deepEqual(runs(file), [{ id: first.body.callback, user: 'u1', n: 4 }]);
    // It started: the next job with the key is a new one.
    const again = await post({ type: 'note', data: { file, user: 'u1', n: 5 }, dedupe });
    assert.equal(again.code, 202);
    assert.notEqual(again.body.callback, first.body.callback);
    await until(
      'the new one ran',
      () => runs(file),
      (r) => r.length === 2,
    );
    assert.deepEqual(runs(file)[1], { id: again.body.callback, user: 'u1', n: 5 });
  });

  it('debounce with a delayed job: due at the later of its delay and the quiet time; jobs sent at once make one run', async () => {
    const file = join(dir, 'debounce-delayed.log');
    const dedupe = { key: 'delayed', ttlSec: 1, mode: 'debounce' };
    const sentAt = Date.now();
    const first = await post({
      type: 'note',
      data: { file, user: 'd', n: 1 },
      dedupe,
      delayMs: 2500,
    });
    assert.equal(first.code, 202);
    assert.ok(Date.parse(first.body.runAt!) >= sentAt + 2500);
    // Sent together: one of them made the job, the others replaced it (any order).
    const answers = await Promise.all(
      [2, 3, 4, 5].map((n) => post({ type: 'note', data: { file, user: 'd', n }, dedupe })),
    );
    for (const a of answers) assert.equal(a.body.callback, first.body.callback);
    await until(
      'done',
      () => statusOf(first.body.callback),
      (s) => s === 'done',
      20_000,
    );
    const ran = runs(file);
    assert.equal(ran.length, 1);
    assert.ok([2, 3, 4, 5].includes(ran[0]!.n), `ran ${JSON.stringify(ran)}`);
  });

  it("a type's rule builds the key from named data fields; its default priority is carried to the job", async () => {
    const file = join(dir, 'rule.log');
    const a = await post({ type: 'ping', data: { file, user: 'x', n: 1 } });
    const b = await post({ type: 'ping', data: { file, user: 'x', n: 2 } });
    const c = await post({ type: 'ping', data: { file, user: 'y', n: 3 } });
    assert.equal(a.code, 202);
    assert.equal(b.body.callback, a.body.callback);
    assert.equal(b.body.deduplicated, true);
    assert.notEqual(c.body.callback, a.body.callback);
    // A job's own window wins over its type's.
    const own = await post({
      type: 'ping',
      data: { file, user: 'x', n: 4 },
      dedupe: { key: 'own', ttlSec: 5, mode: 'throttle' },
    });
    assert.equal(own.code, 202);
    // A client's Idempotency-Key names the job: the type's rule stands aside.
    const keyed = await post({ type: 'ping', data: { file, user: 'x', n: 5 }, key: 'k-1' });
    assert.equal(keyed.code, 202);
    assert.notEqual(keyed.body.callback, a.body.callback);
    await until(
      'ran',
      () => runs(file),
      (r) => r.length === 4,
    );

    // What reaches the Producer (q-gate's enqueue stores it): the type's priority, the group.
    const seen: NewJob[] = [];
    const log = createLogger('silent');
    const conn = connectRedis(redis.url, log, { name: 'dedupe-test' });
    class Spy extends Producer {
      override enqueue(job: NewJob): Promise<Enqueued> {
        seen.push(job);
        return super.enqueue(job);
      }
    }
    const config = loadConfig({ REDIS_URL: redis.url, WORKMESH_JOBS: JOBS });
    const submitter = new Submitter({
      config,
      registry: await createRegistry(config, config.jobModules),
      producer: new Spy(conn, new Keys('wm'), 'spy'),
      redis: conn,
      keys: new Keys('wm'),
    });
    const data = { file, user: 'z', n: 6 };
    await submitter.submit({ type: 'ping', data, group: 'tenant-a' });
    await submitter.submit({ type: 'note', data, priority: -2, key: 'k-2' });
    await submitter.submit({ type: 'note', data: { ...data, n: 7 } });
    conn.disconnect();
    assert.equal(seen[0]?.priority, 3);
    assert.equal(seen[0]?.group, 'tenant-a');
    assert.equal(seen[1]?.priority, -2);
    assert.equal(seen[1]?.group, undefined);
    // A plain job carries neither.
    assert.ok(!('priority' in seen[2]!) && !('group' in seen[2]!));
  });
});

describe('bad priority, group or dedupe: 400 with its code, nothing stored', () => {
  const file = '/dev/null';
  const data = { file, user: 'bad', n: 0 };
  const cases: [string, object, string][] = [
    ['priority 11', { priority: 11 }, 'WM_ERR_JOB_BAD_PRIORITY'],
    ['priority -11', { priority: -11 }, 'WM_ERR_JOB_BAD_PRIORITY'],
    ['priority 1.5', { priority: 1.5 }, 'WM_ERR_JOB_BAD_PRIORITY'],
    ['priority "5"', { priority: '5' }, 'WM_ERR_JOB_BAD_PRIORITY'],
    ['group with a space', { group: 'a b' }, 'WM_ERR_JOB_BAD_GROUP'],
    ['group of 65 characters', { group: 'g'.repeat(65) }, 'WM_ERR_JOB_BAD_GROUP'],
    ['group empty', { group: '' }, 'WM_ERR_JOB_BAD_GROUP'],
    [
      'dedupe key of 257 characters',
      { dedupe: { key: 'k'.repeat(257), ttlSec: 5, mode: 'throttle' } },
      'WM_ERR_JOB_BAD_DEDUPE',
    ],
    [
      'dedupe key empty',
      { dedupe: { key: '', ttlSec: 5, mode: 'throttle' } },
      'WM_ERR_JOB_BAD_DEDUPE',
    ],
    [
      'dedupe ttlSec 0',
      { dedupe: { key: 'k', ttlSec: 0, mode: 'throttle' } },
      'WM_ERR_JOB_BAD_DEDUPE',
    ],
    [
      'dedupe ttlSec over 7 days',
      { dedupe: { key: 'k', ttlSec: 604_801, mode: 'debounce' } },
      'WM_ERR_JOB_BAD_DEDUPE',
    ],
    [
      'dedupe mode unknown',
      { dedupe: { key: 'k', ttlSec: 5, mode: 'often' } },
      'WM_ERR_JOB_BAD_DEDUPE',
    ],
    ['dedupe without a key', { dedupe: { ttlSec: 5, mode: 'throttle' } }, 'WM_ERR_JOB_BAD_DEDUPE'],
    [
      'dedupe beside an Idempotency-Key',
      { dedupe: { key: 'k', ttlSec: 5, mode: 'throttle' }, key: 'mine' },
      'WM_ERR_JOB_BAD_DEDUPE',
    ],
  ];
  const WORKERS_ONLY = /:(?:g:[^:]+:)?(?:active|starts)$|:signal$|:history:\d+$/;
  for (const [name, extra, code] of cases) {
    it(name, async () => {
      const before = (await redis.keys('wm:*')).sort();
      const res = await post({ type: 'note', data, ...extra });
      assert.equal(res.code, 400, JSON.stringify(res.body));
      assert.equal(res.body.error?.code, code, res.body.error?.message);
      // No key added (a worker may still be tidying keys of the tests before: one removed is
      // not this request's doing). Keys only the workers write, as they admit and run the
      // jobs of the tests before (concurrency slots, rate windows, wake-ups, the metrics
      // history), may come and go meanwhile: a refused request writes none of them either.
      const added = (await redis.keys('wm:*')).filter(
        (k) => !before.includes(k) && !WORKERS_ONLY.test(k),
      );
      assert.deepEqual(added, []);
    });
  }

  it('the query form: ?priority=99 and ?group=', async () => {
    for (const [query, code] of [
      ['priority=99', 'WM_ERR_JOB_BAD_PRIORITY'],
      ['priority=high', 'WM_ERR_JOB_BAD_PRIORITY'],
      ['group=a%20b', 'WM_ERR_JOB_BAD_GROUP'],
    ]) {
      const before = await redis.dbsize();
      const res = await api.app.inject({ method: 'POST', url: `/api/work?data=abc&${query}` });
      assert.equal(res.statusCode, 400, query);
      assert.equal(res.json<Answer>().error?.code, code, query);
      assert.equal(await redis.dbsize(), before);
    }
    const ok = await api.app.inject({
      method: 'POST',
      url: '/api/work?data=abc&priority=-3&group=t1',
    });
    assert.equal(ok.statusCode, 202);
  });

  it("data without a field its type's dedupe key is built from (its input schema refuses it first)", async () => {
    const before = await redis.dbsize();
    const res = await post({ type: 'ping', data: { file, n: 1 } });
    // The type's input schema asks for `user` first: the data are refused as such.
    assert.equal(res.code, 400);
    assert.equal(await redis.dbsize(), before);
  });
});
