import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRegistry } from '../src/jobs/index.js';
import { loadConfig } from '../src/config/index.js';
import { Keys } from '../src/redis/index.js';
import { fireDue, redisNow, type FireContext } from '../src/schedule/index.js';
import { buildTestApi, type InProcessApi } from './helpers/api.js';
import { ON_CLUSTER, startTestRedis, type TestRedis } from './helpers/redis.js';

/**
 * Schedules through the HTTP API (in process) and the fire script, on a real Redis: bad input
 * stores nothing, upsert keeps the ticks fired, one job per tick whoever fires it, overlap.
 */
let redis: TestRedis;
let api: InProcessApi;
let fire: FireContext;
const keys = new Keys('wm');

before(async () => {
  redis = await startTestRedis();
  api = await buildTestApi(redis.url);
  const config = loadConfig({ REDIS_URL: redis.url, WORKMESH_LOG_LEVEL: 'silent' });
  fire = {
    redis: api.redis,
    keys,
    registry: await createRegistry(config),
    config,
    nodeId: 'test-node',
  };
});
after(async () => {
  await api.close();
  await redis.stop();
});

const post = (url: string, payload?: unknown) =>
  api.app.inject({
    method: 'POST',
    url,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
const get = (url: string) => api.app.inject({ method: 'GET', url });

interface View {
  id: string;
  queue: string;
  status: string;
  nextTick: string | null;
  lastTick: string | null;
  count: number;
  skipped: number;
  rev: number;
  upcoming?: string[];
  runs: { tick: string; job?: string; skipped?: string }[];
}

async function dueOf(id: string): Promise<{ queue: string; due: number }> {
  const view = (await get(`/api/schedules/${id}`)).json<View>();
  assert.ok(view.nextTick, `${id} has a next tick`);
  return { queue: view.queue, due: Date.parse(view.nextTick) };
}

describe('schedules: input', () => {
  const cases: [string, object, string][] = [
    ['an invalid cron', { id: 'c1', type: 'hash', cron: '61 * * * *' }, 'WM_ERR_SCHEDULE_BAD_CRON'],
    ['a cron of 3 fields', { id: 'c2', type: 'hash', cron: '* * *' }, 'WM_ERR_SCHEDULE_BAD_CRON'],
    [
      'an unknown time zone',
      { id: 'c3', type: 'hash', cron: '0 3 * * *', tz: 'Mars/Olympus' },
      'WM_ERR_SCHEDULE_BAD_TIMEZONE',
    ],
    [
      'an interval under 1 s',
      { id: 'c4', type: 'hash', everyMs: 999 },
      'WM_ERR_SCHEDULE_BAD_INTERVAL',
    ],
    ['an unknown type', { id: 'c5', type: 'nosuch', everyMs: 1000 }, 'WM_ERR_JOB_UNKNOWN_TYPE'],
    [
      'data its type refuses',
      { id: 'c6', type: 'hash', everyMs: 1000, data: 5 },
      'WM_ERR_JOB_INVALID_DATA',
    ],
    ['a bad id', { id: 'no spaces', type: 'hash', everyMs: 1000 }, 'WM_ERR_SCHEDULE_INVALID'],
    [
      'both cron and everyMs',
      { id: 'c7', type: 'hash', everyMs: 1000, cron: '* * * * *' },
      'WM_ERR_SCHEDULE_INVALID',
    ],
    ['neither', { id: 'c8', type: 'hash' }, 'WM_ERR_SCHEDULE_INVALID'],
    [
      'endAt before startAt',
      {
        id: 'c9',
        type: 'hash',
        everyMs: 1000,
        startAt: '2030-01-02T00:00:00Z',
        endAt: '2030-01-01T00:00:00Z',
      },
      'WM_ERR_SCHEDULE_INVALID',
    ],
    [
      'an unknown field',
      { id: 'c10', type: 'hash', everyMs: 1000, every: 5 },
      'WM_ERR_API_BAD_REQUEST',
    ],
  ];
  for (const [what, body, code] of cases) {
    it(`${what}: 400 ${code}, nothing stored`, async () => {
      const res = await post('/api/schedules', body);
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json<{ error: { code: string } }>().error.code, code);
      assert.deepEqual(await redis.keys('wm:*sched*'), []);
      assert.deepEqual(await redis.keys('wm:*ticks*'), []);
    });
  }
  it('a bad id in the path: 400; an unknown one: 404', async () => {
    assert.equal((await get('/api/schedules/a%20b')).statusCode, 400);
    const res = await get('/api/schedules/nosuch');
    assert.equal(res.statusCode, 404);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'WM_ERR_SCHEDULE_NOT_FOUND');
    assert.equal(
      (await api.app.inject({ method: 'DELETE', url: '/api/schedules/nosuch' })).statusCode,
      404,
    );
    assert.equal((await post('/api/schedules/nosuch/pause')).statusCode, 404);
  });
});

describe('schedules: firing', () => {
  it('GET shows the next 5 fire times; a cron in a time zone too', async () => {
    const res = await post('/api/schedules', {
      id: 'five',
      type: 'hash',
      everyMs: 60_000,
      data: { text: 'x' },
    });
    assert.equal(res.statusCode, 200, res.body);
    const view = (await get('/api/schedules/five')).json<View>();
    assert.equal(view.status, 'active');
    const times = view.upcoming!.map(Date.parse);
    assert.equal(times.length, 5);
    for (let i = 1; i < 5; i++) assert.equal(times[i]! - times[i - 1]!, 60_000);
    assert.equal(times[0]! % 60_000, 0);
    await post('/api/schedules', {
      id: 'berlin',
      type: 'hash',
      cron: '30 2 * * *',
      tz: 'Europe/Berlin',
      data: { text: 'x' },
    });
    const b = (await get('/api/schedules/berlin')).json<View>();
    for (const t of b.upcoming!) {
      const local = new Date(t).toLocaleTimeString('en-GB', { timeZone: 'Europe/Berlin' });
      assert.match(local, /^0[23]:[03]0:00$/);
    }
  });

  it('the same tick fired by many processes at once: one job, with scheduleId and its tick', async () => {
    await post('/api/schedules', { id: 'race', type: 'hash', everyMs: 5000, data: { text: 'r' } });
    const { queue, due } = await dueOf('race');
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, () => fireDue(fire, queue, 'race', due, due + 10)),
    );
    const fired = outcomes.filter((o) => o.kind === 'fired');
    assert.equal(fired.length, 1, JSON.stringify(outcomes));
    assert.equal(outcomes.filter((o) => o.kind === 'refused').length, 7);
    const jobId = (fired[0] as { id: string }).id;
    const job = await api.redis.hgetall(keys.job(jobId));
    assert.equal(job.scheduleId, 'race');
    assert.equal(job.scheduleTick, String(due));
    assert.equal(job.status, 'accepted');
    const status = (await get(`/api/status/${jobId}`)).json<{
      scheduleId: string;
      scheduleTick: string;
    }>();
    assert.equal(status.scheduleId, 'race');
    assert.equal(status.scheduleTick, new Date(due).toISOString());
    const view = (await get('/api/schedules/race')).json<View>();
    assert.equal(view.count, 1);
    assert.equal(view.lastTick, new Date(due).toISOString());
    assert.equal(Date.parse(view.nextTick!), due + 5000);
    assert.equal(view.runs[0]!.job, jobId);
  });

  it('an upsert keeps lastTick: a tick fired is not fired again; the new data hold from the next', async () => {
    await post('/api/schedules', { id: 'up', type: 'hash', everyMs: 1000, data: { text: 'old' } });
    const first = await dueOf('up');
    assert.equal((await fireDue(fire, first.queue, 'up', first.due, first.due)).kind, 'fired');
    // A stale fire computed before the upsert (old rev) is refused.
    const { due: second } = await dueOf('up');
    const rev = (await get('/api/schedules/up')).json<View>().rev;
    const res = await post('/api/schedules', {
      id: 'up',
      type: 'hash',
      everyMs: 1000,
      data: { text: 'new' },
    });
    assert.equal(res.json<View>().rev, rev + 1);
    assert.equal(res.json<View>().lastTick, new Date(first.due).toISOString());
    // Same data again: nothing written, rev unchanged.
    const again = await post('/api/schedules', {
      id: 'up',
      type: 'hash',
      everyMs: 1000,
      data: { text: 'new' },
    });
    assert.equal(again.json<View>().rev, rev + 1);
    const next = await dueOf('up');
    assert.ok(next.due > first.due);
    assert.ok(next.due >= second);
    const out = await fireDue(fire, next.queue, 'up', next.due, next.due);
    assert.equal(out.kind, 'fired');
    const job = await api.redis.hgetall(keys.job((out as { id: string }).id));
    assert.equal(job.data, '{"text":"new"}');
    // The first tick again, by a process that read it long ago: refused.
    assert.equal((await fireDue(fire, first.queue, 'up', first.due, first.due)).kind, 'refused');
  });

  it('overlap skip: no job while the previous is not final; recorded', async () => {
    await post('/api/schedules', {
      id: 'ov',
      type: 'hash',
      everyMs: 1000,
      data: { text: 'o' },
      overlap: 'skip',
    });
    const a = await dueOf('ov');
    const first = await fireDue(fire, a.queue, 'ov', a.due, a.due);
    assert.equal(first.kind, 'fired');
    const b = await dueOf('ov');
    assert.equal((await fireDue(fire, b.queue, 'ov', b.due, b.due)).kind, 'skipped');
    await api.redis.hset(keys.job((first as { id: string }).id), 'status', 'done');
    const c = await dueOf('ov');
    assert.equal((await fireDue(fire, c.queue, 'ov', c.due, c.due)).kind, 'fired');
    const view = (await get('/api/schedules/ov')).json<View>();
    assert.equal(view.skipped, 1);
    assert.equal(view.count, 2);
    assert.deepEqual(
      view.runs.map((r) => r.skipped ?? 'job'),
      ['job', 'overlap', 'job'],
    );
  });

  it('limit: the schedule ends after it; pause and resume; delete', async () => {
    await post('/api/schedules', {
      id: 'lim',
      type: 'hash',
      everyMs: 1000,
      data: { text: 'l' },
      limit: 2,
    });
    for (let i = 0; i < 2; i++) {
      const d = await dueOf('lim');
      assert.equal((await fireDue(fire, d.queue, 'lim', d.due, d.due)).kind, 'fired');
    }
    assert.equal((await get('/api/schedules/lim')).json<View>().status, 'ended');
    const paused = (await post('/api/schedules/five/pause')).json<View>();
    assert.equal(paused.status, 'paused');
    assert.equal(paused.nextTick, null);
    const resumed = (await post('/api/schedules/five/resume')).json<View>();
    assert.equal(resumed.status, 'active');
    assert.ok(Date.parse(resumed.nextTick!) > (await redisNow(api.redis)));
    const list = (await get('/api/schedules')).json<{ schedules: View[] }>().schedules;
    assert.ok(list.some((s) => s.id === 'five'));
    assert.equal(
      (await api.app.inject({ method: 'DELETE', url: '/api/schedules/five' })).statusCode,
      200,
    );
    assert.equal((await get('/api/schedules/five')).statusCode, 404);
    assert.equal(await api.redis.hexists(keys.scheduleIndex(), 'five'), 0);
  });
});

describe('schedules: the shell helpers', () => {
  it('schedule(spec), schedule(id), schedules(), pauseSchedule, resumeSchedule, unschedule', async () => {
    const { shellHelpers } = await import('../src/shell/helpers.js');
    const config = loadConfig({ REDIS_URL: redis.url, WORKMESH_LOG_LEVEL: 'silent' });
    // Only the schedule helpers are called: they need Redis and the registry alone.
    const h = shellHelpers({
      config,
      node: undefined as never,
      redis: api.redis,
      keys,
      producer: undefined as never,
      registry: fire.registry,
      watcher: undefined as never,
    });
    const made = await h.schedule.fn({
      id: 'sh',
      type: 'hash',
      cron: '0 4 * * *',
      tz: 'Asia/Tokyo',
      data: { text: 's' },
    });
    assert.equal(made?.status, 'active');
    const read = await h.schedule.fn('sh');
    assert.equal(read?.upcoming?.length, 5);
    assert.ok((await h.schedules.fn()).some((s) => s.id === 'sh'));
    assert.equal((await h.pauseSchedule.fn('sh')).status, 'paused');
    assert.equal((await h.resumeSchedule.fn('sh')).status, 'active');
    assert.equal(await h.unschedule.fn('sh'), true);
    assert.equal(await h.schedule.fn('sh'), null);
    await assert.rejects(h.schedule.fn({ id: 'sh', type: 'hash', everyMs: 10 }), /minimum/);
  });
});

describe('schedules: the console page', () => {
  it('lists schedules with status, next fire time and last run; pauses and resumes', async () => {
    const { Redis } = await import('ioredis');
    const { buildConsole } = await import('../src/console/index.js');
    const { Monitor } = await import('../src/monitor/index.js');
    const { Producer } = await import('../src/queue/index.js');
    const { createLogger } = await import('../src/log/index.js');
    const { FAST_CLUSTER, startTestNode } = await import('./helpers/cluster.js');
    const node = await startTestNode(redis.url);
    const config = loadConfig({ REDIS_URL: redis.url, ...FAST_CLUSTER });
    const log = createLogger('silent');
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    const subscriber = new Redis(redis.url, { maxRetriesPerRequest: null });
    const monitor = new Monitor({
      redis: conn,
      subscriber,
      keys,
      nodeId: node.id,
      node,
      queueNames: ['hash'],
      intervalMs: 200,
      log,
    });
    await monitor.start();
    const app = buildConsole(
      {
        config,
        monitor,
        node,
        redis: conn,
        keys,
        producer: new Producer(conn, keys, node.id),
        registry: fire.registry,
        redisTimeoutMs: 2000,
      },
      log,
    );
    try {
      await post('/api/schedules', {
        id: 'console',
        type: 'hash',
        everyMs: 1000,
        data: { text: 'c' },
      });
      const d = await dueOf('console');
      await fireDue(fire, d.queue, 'console', d.due, d.due);
      const list = (await app.inject({ method: 'GET', url: '/console/api/schedules' })).json<{
        schedules: View[];
      }>().schedules;
      const row = list.find((s) => s.id === 'console')!;
      assert.equal(row.status, 'active');
      assert.ok(row.nextTick);
      assert.ok(row.runs[0]!.job);
      const paused = await app.inject({
        method: 'POST',
        url: '/console/api/schedules/console/pause',
      });
      assert.equal(paused.json<View>().status, 'paused');
      const resumed = await app.inject({
        method: 'POST',
        url: '/console/api/schedules/console/resume',
      });
      assert.equal(resumed.json<View>().status, 'active');
      const bad = await app.inject({ method: 'POST', url: '/console/api/schedules/nosuch/pause' });
      assert.equal(bad.statusCode, 404);
      const html = (await app.inject({ method: 'GET', url: '/' })).body;
      assert.match(html, /href="#\/schedules"/);
      const js = (await app.inject({ method: 'GET', url: '/assets/app.js' })).body;
      assert.match(js, /\/console\/api\/schedules/);
    } finally {
      await app.close();
      await monitor.stop();
      conn.disconnect();
      subscriber.disconnect();
      await node.stop();
    }
  });
});

describe(
  'schedules: the scripts declare their keys',
  { skip: ON_CLUSTER && 'MONITOR on one server' },
  () => {
    it('every key schedule-save and schedule-fire touch was passed in KEYS', async () => {
      const { Redis } = await import('ioredis');
      const base = new Redis(redis.url);
      const monitor = await base.monitor();
      const seen: { args: string[]; source: string }[] = [];
      monitor.on('monitor', (_t: string, args: string[], source: string) =>
        seen.push({ args, source }),
      );
      await post('/api/schedules', {
        id: 'keys',
        type: 'hash',
        everyMs: 1000,
        data: { text: 'k' },
        overlap: 'skip',
      });
      for (let i = 0; i < 2; i++) {
        const d = await dueOf('keys');
        await fireDue(fire, d.queue, 'keys', d.due, d.due + 5000);
      }
      await post('/api/schedules/keys/pause');
      await api.app.inject({ method: 'DELETE', url: '/api/schedules/keys' });
      await api.redis.ping();
      const check = new Redis(redis.url);
      let declared: Set<string> | undefined;
      const violations: string[] = [];
      const scripts = new Set<string>();
      for (const { args, source } of seen) {
        const name = args[0]!.toLowerCase();
        if (source !== 'lua') {
          declared =
            name === 'evalsha' || name === 'eval'
              ? new Set(args.slice(3, 3 + Number(args[2])))
              : undefined;
          if (declared) scripts.add(args[1]!);
          continue;
        }
        const touched = (await check
          .call('COMMAND', 'GETKEYS', ...args)
          .catch(() => [])) as string[];
        for (const key of touched)
          if (!declared?.has(key)) violations.push(`${args.join(' ')}: ${key}`);
      }
      check.disconnect();
      monitor.disconnect();
      base.disconnect();
      assert.ok(scripts.size >= 2, `scripts run: ${scripts.size}`);
      assert.deepEqual(violations, []);
    });
  },
);

describe('schedules: the CLI', () => {
  it('workmesh schedule add and ls (each run starts a process: two runs only)', async () => {
    const { runCliToEnd } = await import('./helpers/processes.js');
    const url = await api.app.listen({ port: 0, host: '127.0.0.1' });
    const env = { WORKMESH_API_URL: url, REDIS_URL: redis.url };
    const add = await runCliToEnd(
      ['schedule', 'add', 'cli', '--type', 'hash', '--every', '2s', '--data', '{"text":"c"}'],
      env,
    );
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /^cli: active, next /);
    const ls = await runCliToEnd(['schedule', 'ls'], env);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^cli\s+hash\s+active\s+every 2000ms\s/m);
  });
});
