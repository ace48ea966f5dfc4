import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createLogger } from '../src/log/index.js';
import {
  Producer,
  StreamConsumer,
  cancelJob,
  buryDead,
  requeueHeldBy,
  reviveDead,
} from '../src/queue/index.js';
import { GROUP, Keys, connectRedis, newJobId, runScript } from '../src/redis/index.js';
import { ON_CLUSTER, startTestRedis, type TestRedis } from './helpers/redis.js';
import { until } from './helpers/wait.js';

// Every key a script touches is passed in KEYS (issue 16, item 10): while a slot migrates,
// Redis Cluster checks an undeclared key only when the script reaches it, so a script could
// stop halfway (a job final, its webhook never scheduled). Checked here on what Redis itself
// sees: MONITOR lists each command a script runs, COMMAND GETKEYS names its keys, and each must
// be one the script call declared. claim.lua is the one script that cannot declare its job keys
// (it learns the ids by reading): single Redis only, not used on a Redis Cluster.
const QUEUE = 'keysq';
const keys = new Keys('wm');
const log = createLogger('silent');
let redis: TestRedis;
let conn: Redis;
let monitor: Redis;
let base: Redis;
const seen: { args: string[]; source: string }[] = [];

before(async () => {
  redis = await startTestRedis();
  if (ON_CLUSTER) return;
  base = new Redis(redis.url);
  monitor = await base.monitor();
  monitor.on('monitor', (_time: string, args: string[], source: string) =>
    seen.push({ args, source }),
  );
  conn = connectRedis(redis.url, log, { name: 'lua-keys-test' });
});
after(async () => {
  conn?.disconnect();
  monitor?.disconnect();
  base?.disconnect();
  await redis.stop();
});

describe('Lua scripts declare their keys', { skip: ON_CLUSTER && 'MONITOR on one server' }, () => {
  it('every key a script touches was passed in KEYS (all scripts but claim.lua, run through their paths)', async () => {
    const producer = new Producer(conn, keys, 'api-test');
    const blocking = connectRedis(redis.url, log, { name: 'lua-keys-b', blocking: true });
    const consumer = new StreamConsumer(conn, blocking, keys, QUEUE, 'node-a', {
      deadTtlSec: 600,
      maxRecoveries: 2,
    });
    await consumer.ensureGroup();
    const hook = 'http://127.0.0.1:9/hook';
    const enqueue = (extra: object = {}) =>
      producer
        .enqueue({ queue: QUEUE, data: 1, resultTtlSec: 600, maxAttempts: 1, ...extra })
        .then((e) => e.id);
    const [a, b, c, d] = [
      await enqueue({ webhook: hook }),
      await enqueue({ webhook: hook }),
      await enqueue(),
      await enqueue({ runAt: Date.now() + 50 }),
    ];
    // Held by a node without claim.lua: read by hand, then taken over (XAUTOCLAIM + start.lua).
    await conn.xreadgroup(
      'GROUP',
      GROUP,
      'node-gone',
      'COUNT',
      3,
      'STREAMS',
      keys.stream(QUEUE),
      '>',
    );
    const jobs = await consumer.reclaimIdle(10, 0);
    assert.deepEqual(jobs.map((j) => j.id).sort(), [a, b, c].sort());
    const byId = new Map(jobs.map((j) => [j.id, j]));
    await consumer.renew(jobs);
    await consumer.progress(byId.get(a)!, '{"step":1}');
    assert.equal(await consumer.finish(byId.get(a)!, { kind: 'done', json: '1' }), 'done');
    assert.equal(await consumer.finish(byId.get(b)!, { kind: 'fatal', error: 'x' }), 'failed');
    await consumer.release([byId.get(c)!]);
    assert.equal((await cancelJob(conn, keys, QUEUE, c)).outcome, 'cancelled');
    await until(
      'the delayed job due',
      () => consumer.promote(),
      () => true,
    );
    await until(
      'the delayed job promoted',
      async () => (await consumer.promote(), conn.hget(keys.job(d), 'sid')),
      (sid) => sid !== null,
    );
    assert.equal(await reviveDead(conn, keys, QUEUE, [b]), 1);
    await requeueHeldBy(conn, keys, QUEUE, 'node-gone');
    await consumer.leave();
    await conn.hset(keys.job(b), 'status', 'failed');
    await conn.zadd(keys.dead(QUEUE), Date.now(), b);
    await buryDead(conn, keys, QUEUE, [b]);
    // dedupe.lua through its paths: a window made, answered (throttle), pending, replaced
    // (debounce); the record named the job the script reads.
    const window = async (mode: string, expected: string, candidate: string) => {
      const now = Date.now();
      const reply = (await runScript(
        conn,
        'dedupe',
        [keys.dedupe(QUEUE, mode), keys.delayed(QUEUE), keys.job(expected || candidate)],
        [mode, expected, candidate, now, 60_000, now + 60_000, '2', 10_000],
      )) as [string, string];
      return reply[0];
    };
    const [e, f] = [newJobId(QUEUE), newJobId(QUEUE)];
    assert.equal(await window('throttle', '', e), 'create');
    assert.equal(await window('throttle', '', f), 'duplicate');
    assert.equal(await window('debounce', '', e), 'create');
    assert.equal(await window('debounce', e, f), 'pending');
    await producer.enqueue({
      queue: QUEUE,
      data: 1,
      resultTtlSec: 600,
      maxAttempts: 1,
      id: e,
      runAt: Date.now() + 60_000,
    });
    assert.equal(await window('debounce', e, f), 'replaced');
    blocking.disconnect();
    await conn.ping();
    await until(
      'MONITOR to catch up',
      () => seen.at(-1)?.args[0]?.toLowerCase(),
      (n) => n === 'ping',
    );

    const check = new Redis(redis.url);
    const violations: string[] = [];
    const scriptsRun = new Set<string>();
    let declared: Set<string> | undefined;
    for (const { args, source } of seen) {
      const name = args[0]!.toLowerCase();
      if (source !== 'lua') {
        if (name === 'evalsha' || name === 'eval') {
          const n = Number(args[2]);
          declared = new Set(args.slice(3, 3 + n));
          scriptsRun.add(args[1]!);
        } else declared = undefined;
        continue;
      }
      const touched = (await check.call('COMMAND', 'GETKEYS', ...args).catch(() => [])) as string[];
      for (const key of touched) {
        if (!declared?.has(key)) violations.push(`${args.join(' ')}: ${key} not in KEYS`);
      }
    }
    check.disconnect();
    assert.ok(scriptsRun.size >= 10, `scripts run: ${scriptsRun.size}`);
    assert.deepEqual(violations, []);
  });
});
