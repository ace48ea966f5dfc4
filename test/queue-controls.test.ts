import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { Type } from '@sinclair/typebox';
import { WorkmeshClient, type QueueState } from '../src/client/index.js';
import { JobRegistry, defineJob, writeDefinitionLimits } from '../src/jobs/index.js';
import { createLogger } from '../src/log/index.js';
import { loadConfig } from '../src/config/index.js';
import { Producer, setQueueLimits } from '../src/queue/index.js';
import { shellHelpers } from '../src/shell/helpers.js';
import { createRegistry } from '../src/jobs/index.js';
import { Keys } from '../src/redis/index.js';
import { buildTestApi, type InProcessApi } from './helpers/api.js';
import { renderHelp } from '../src/cli/command.js';
import {
  pauseCommand,
  queuesCommand,
  queuesTable,
  resumeCommand,
} from '../src/cli/commands/queues.js';
import {
  runCliToEnd,
  startApiProcess,
  stopAll,
  stopProcess,
  type RoleProcess,
} from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { until } from './helpers/wait.js';

/**
 * Pause, resume and limits of a job type (issue 19's surfaces): what the routes store in Redis
 * (the `controls` hash and `signal` stream of each partition), what GET /api/queues answers,
 * bad input refused with nothing changed, definitions' limits written at start, the CLI and
 * the metrics. Enforcement is the claim path's (tested with it); here the stored state.
 */
const JOBS = 'test/fixtures/limited.ts';
let redis: TestRedis;
let api: InProcessApi;
const keys = new Keys('wm');

let url: string;
let proc: RoleProcess;

before(async () => {
  redis = await startTestRedis();
  // A real API process (for the client, the CLI and /metrics) and one in this process.
  proc = startApiProcess(redis.url, { WORKMESH_JOBS: JOBS });
  api = await buildTestApi(redis.url, { WORKMESH_JOBS: JOBS });
  url = (await proc.ready).url!;
});
after(async () => {
  await api.close();
  await stopAll();
  await redis.stop();
});

const inject = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) => {
  const res = await api.app.inject({
    method,
    url,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: res.statusCode, body: res.json<QueueState & { error?: { code: string } }>() };
};
const controls = (queue: string) => redis.client.hgetall(keys.controls(queue));
/**
 * Waits until a type's workmesh_queue_held_back series in GET /metrics of the API process are
 * these, by reason (a scrape reads the queues at most once a second).
 */
const heldBackSeriesBecome = (queue: string, expected: Record<string, number>) =>
  until(
    `held-back series of ${queue}: ${JSON.stringify(expected)}`,
    async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      const pattern = new RegExp(
        `^workmesh_queue_held_back\\{type="${queue}",reason="(\\w+)"\\} (\\d+)$`,
        'gm',
      );
      const series: Record<string, number> = {};
      for (const [, reason, n] of text.matchAll(pattern)) series[reason!] = Number(n);
      return series;
    },
    (series) => isDeepStrictEqual(series, expected),
  );
const signals = (queue: string) => redis.client.xlen(keys.signal(queue));
const wideQueues = ['wide~0', 'wide~1', 'wide~2'];

describe('pause and resume', () => {
  it('pause sets paused and gated on every partition, wakes each, and shows the waiting held back', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await api.app.inject({
        method: 'POST',
        url: '/api/work',
        payload: { type: 'wide', data: i },
      });
      assert.equal(res.statusCode, 202, res.body);
    }
    const { status, body } = await inject('POST', '/api/queues/wide/pause');
    assert.equal(status, 200, JSON.stringify(body));
    for (const q of wideQueues) {
      assert.deepEqual(await controls(q), { paused: '1', gated: '1' });
      assert.equal(await signals(q), 1);
    }
    assert.equal(body.paused, true);
    assert.equal(body.partitions, 3);
    assert.equal(body.waiting.total, 3);
    assert.deepEqual(body.waiting.byPriority, { '0': 3 });
    assert.equal(body.heldBack.byPause, 3);

    const resumed = await inject('POST', '/api/queues/wide/resume');
    assert.equal(resumed.status, 200);
    assert.equal(resumed.body.paused, false);
    assert.equal(resumed.body.heldBack.byPause, 0);
    for (const q of wideQueues) {
      // gated stays: the claim path clears it once the parked jobs are admitted.
      assert.deepEqual(await controls(q), { gated: '1' });
      assert.equal(await signals(q), 2);
    }
  });

  it("a pause outlives the API that set it: a new API process, which writes its definitions' limits at start, shows it paused", async () => {
    await new WorkmeshClient({ baseUrl: url }).pause('limited');
    await stopProcess(proc);
    proc = startApiProcess(redis.url, { WORKMESH_JOBS: JOBS });
    url = (await proc.ready).url!; // the later tests' API too
    const client = new WorkmeshClient({ baseUrl: url });
    const state = await client.queue('limited');
    assert.equal(state.paused, true);
    assert.equal((await controls('limited')).paused, '1');
    assert.equal((await client.resume('limited')).paused, false);
  });

  it('an unknown type is 404 WM_ERR_QUEUE_UNKNOWN_TYPE, and nothing is written', async () => {
    const before = await redis.keys('wm:{nope*');
    for (const [method, url, payload] of [
      ['GET', '/api/queues/nope', undefined],
      ['POST', '/api/queues/nope/pause', undefined],
      ['POST', '/api/queues/nope/resume', undefined],
      ['PUT', '/api/queues/nope/limits', { concurrency: 2 }],
    ] as const) {
      const { status, body } = await inject(method, url, payload);
      assert.equal(status, 404, `${method} ${url}`);
      assert.equal(body.error?.code, 'WM_ERR_QUEUE_UNKNOWN_TYPE');
    }
    assert.deepEqual(await redis.keys('wm:{nope*'), before);
  });
});

describe('limits', () => {
  it('PUT stores the type limits on each partition (gate.lua takes its share), gated, a wake-up; GET shows them', async () => {
    const { status, body } = await inject('PUT', '/api/queues/wide/limits', {
      rate: { max: 20, perMs: 1000 },
      concurrency: 2,
      groupConcurrency: 1,
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.deepEqual(body.limits, {
      rate: { max: 20, perMs: 1000 },
      concurrency: 2,
      groupConcurrency: 1,
    });
    for (const q of wideQueues) {
      const c = await controls(q);
      assert.equal(c.rateMax, '20');
      assert.equal(c.ratePerMs, '1000');
      assert.equal(c.concurrency, '2');
      assert.equal(c.groupConcurrency, '1');
      assert.equal(c.gated, '1');
      assert.equal(await signals(q), 3);
    }
    // null removes one limit; an absent one is kept.
    const changed = await inject('PUT', '/api/queues/wide/limits', { rate: null });
    assert.deepEqual(changed.body.limits, { concurrency: 2, groupConcurrency: 1 });
    const c = await controls('wide~1');
    assert.equal(c.rateMax, undefined);
    assert.equal(c.ratePerMs, undefined);
    assert.equal(c.concurrency, '2');
    const all = await inject('GET', '/api/queues');
    const wide = (all.body as unknown as { queues: QueueState[] }).queues.find(
      (q) => q.type === 'wide',
    );
    assert.deepEqual(wide?.limits, { concurrency: 2, groupConcurrency: 1 });
  });

  it('a bad limit is 400 WM_ERR_QUEUE_BAD_LIMIT (or a schema error), and nothing changes', async () => {
    const before = await Promise.all(wideQueues.map(controls));
    const signalsBefore = await Promise.all(wideQueues.map(signals));
    for (const [payload, code] of [
      [{ concurrency: 0 }, 'WM_ERR_QUEUE_BAD_LIMIT'],
      [{ rate: { max: 0, perMs: 1000 } }, 'WM_ERR_QUEUE_BAD_LIMIT'],
      [{ rate: { max: 5, perMs: 0 } }, 'WM_ERR_QUEUE_BAD_LIMIT'],
      [{ rate: { max: 5, perMs: 86_400_001 } }, 'WM_ERR_QUEUE_BAD_LIMIT'],
      [{ concurrency: 1_000_001 }, 'WM_ERR_QUEUE_BAD_LIMIT'],
      [{ concurrency: 2, groupConcurrency: -1 }, 'WM_ERR_QUEUE_BAD_LIMIT'],
      [{ concurrency: 1.5 }, 'WM_ERR_API_BAD_REQUEST'],
      [{ concurrency: '3' }, 'WM_ERR_API_BAD_REQUEST'],
      [{ rate: { max: 5 } }, 'WM_ERR_API_BAD_REQUEST'],
      [{ speed: 3 }, 'WM_ERR_API_BAD_REQUEST'],
    ] as const) {
      const { status, body } = await inject('PUT', '/api/queues/wide/limits', payload);
      assert.equal(status, 400, JSON.stringify(payload));
      assert.equal(body.error?.code, code, JSON.stringify(payload));
    }
    assert.deepEqual(await Promise.all(wideQueues.map(controls)), before);
    assert.deepEqual(await Promise.all(wideQueues.map(signals)), signalsBefore);
  });

  it('waiting by priority and what each control holds back, read from the contract keys', async () => {
    const q = 'permute';
    await inject('PUT', `/api/queues/${q}/limits`, {
      rate: { max: 2, perMs: 60_000 },
      concurrency: 1,
    });
    // Jobs parked in `waiting` as the claim path leaves them: score (10 - p) * 2^40 + seq.
    const band = 2 ** 40;
    await redis.client.zadd(
      keys.waiting(q),
      (10 - 5) * band + 1,
      `${q}.AAAAAAAAAAAAAAA1`,
      (10 - 5) * band + 2,
      `${q}.AAAAAAAAAAAAAAA2`,
      10 * band + 3,
      `${q}.AAAAAAAAAAAAAAA3`,
      (10 + 3) * band + 4,
      `${q}.AAAAAAAAAAAAAAA4`,
    );
    let state = (await inject('GET', `/api/queues/${q}`)).body;
    assert.equal(state.waiting.total, 4);
    assert.deepEqual(state.waiting.byPriority, { '5': 2, '0': 1, '-3': 1 });
    assert.deepEqual(state.heldBack, {
      byRate: 0,
      byConcurrency: 0,
      byPause: 0,
      groupsParked: 0,
    });
    // Every concurrency slot taken: the waiting are held by concurrency.
    await redis.client.zadd(keys.active(q), Date.now(), `${q}.BBBBBBBBBBBBBBB1`);
    state = (await inject('GET', `/api/queues/${q}`)).body;
    assert.equal(state.heldBack.byConcurrency, 4);
    await heldBackSeriesBecome(q, { paused: 0, rate: 0, concurrency: 4, group: 0 });
    // The rate window full as well: counted once, for the rate.
    const now = Date.now();
    await redis.client.zadd(keys.starts(q), now - 1000, 's1', now - 500, 's2');
    state = (await inject('GET', `/api/queues/${q}`)).body;
    assert.equal(state.heldBack.byRate, 4);
    assert.equal(state.heldBack.byConcurrency, 0);
    await heldBackSeriesBecome(q, { paused: 0, rate: 4, concurrency: 0, group: 0 });
    // Paused overrides both.
    await inject('POST', `/api/queues/${q}/pause`);
    state = (await inject('GET', `/api/queues/${q}`)).body;
    assert.deepEqual(state.heldBack, {
      byRate: 0,
      byConcurrency: 0,
      byPause: 4,
      groupsParked: 0,
    });
    // A handler's retryAfterMs hold is shown with its end.
    await inject('POST', `/api/queues/${q}/resume`);
    const until = Date.now() + 60_000;
    await redis.client.hset(keys.controls(q), 'holdUntil', String(until));
    state = (await inject('GET', `/api/queues/${q}`)).body;
    assert.equal(state.heldUntil, new Date(until).toISOString());
    assert.equal(state.heldBack.byRate, 4);
    await redis.client.del(keys.waiting(q), keys.active(q), keys.starts(q));
    await redis.client.hdel(keys.controls(q), 'holdUntil');
    await inject('PUT', `/api/queues/${q}/limits`, { rate: null, concurrency: null });
  });

  it('the OpenAPI document has the queue routes with their schemas', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{
      paths: Record<string, Record<string, { requestBody?: unknown; responses: object }>>;
    }>();
    assert.ok(doc.paths['/api/queues']?.get);
    assert.ok(doc.paths['/api/queues/{type}']?.get);
    assert.ok(doc.paths['/api/queues/{type}/pause']?.post);
    assert.ok(doc.paths['/api/queues/{type}/resume']?.post);
    const put = doc.paths['/api/queues/{type}/limits']?.put;
    assert.ok(put?.requestBody, 'PUT limits has a request body schema');
    assert.match(JSON.stringify(put.responses), /heldBack/);
  });
});

describe("a definition's limits", () => {
  const log = createLogger('silent');
  const registryWith = (limits?: object) => {
    const registry = new JobRegistry();
    registry.add(
      defineJob({
        name: 'deployed',
        description: 'x',
        input: Type.Unknown(),
        partitions: 2,
        handler: () => 1,
        ...(limits ? { limits } : {}),
      }),
    );
    return registry;
  };
  const start = (limits?: object) =>
    writeDefinitionLimits(redis.client, keys, registryWith(limits), ['deployed'], log);
  /** The type's concurrency as partition 0 holds it (gate.lua splits it over the 2). */
  const stored = () => redis.client.hget(keys.controls('deployed~0'), 'concurrency');

  it('are checked when the definition loads', () => {
    for (const limits of [
      { concurrency: 0 },
      { rate: { max: 1 } },
      { rate: { max: 1, perMs: 1000 }, speed: 2 },
      { concurrency: null },
    ]) {
      assert.throws(
        () => registryWith(limits),
        (err: Error & { code?: string }) =>
          err.code === 'WM_ERR_JOB_DEFINITION_INVALID' && /limits/.test(err.message),
        JSON.stringify(limits),
      );
    }
  });

  it('win at start; a PUT holds until the next start; dropped ones are removed, a PUT on a type without kept', async () => {
    await start({ concurrency: 4 });
    assert.equal(await stored(), '4');
    assert.equal(await redis.client.hget(keys.controls('deployed~1'), 'gated'), '1');
    // An operator's change lasts until the next start, which writes the definition again.
    await setQueueLimits(redis.client, keys, ['deployed~0', 'deployed~1'], { concurrency: 10 });
    assert.equal(await stored(), '10');
    await start({ concurrency: 4 });
    assert.equal(await stored(), '4');
    // The definition drops its limits: the next start removes them.
    await start();
    assert.equal(await stored(), null);
    // Limits an operator set on a type whose definition has none stay across starts.
    await setQueueLimits(redis.client, keys, ['deployed~0', 'deployed~1'], { concurrency: 6 });
    await start();
    assert.equal(await stored(), '6');
  });
});

describe('the client, the CLI and the metrics', () => {
  it("an API process writes its definitions' limits at start", async () => {
    const client = new WorkmeshClient({ baseUrl: url });
    // In the background of the start: read until it landed.
    let limited: QueueState | undefined;
    for (let i = 0; i < 100; i++) {
      limited = await client.queue('limited');
      if (limited.limits.rate?.max === 20) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(limited?.limits, { rate: { max: 20, perMs: 1000 }, concurrency: 5 });
  });
  const cli = (...args: string[]) =>
    runCliToEnd(args, { WORKMESH_API_URL: url, WORKMESH_LOG_LEVEL: 'warn' }, 60_000);

  it('the client pauses, resumes, limits and lists', async () => {
    const client = new WorkmeshClient({ baseUrl: url });
    assert.equal((await client.pause('limited')).paused, true);
    assert.equal((await client.queue('limited')).paused, true);
    assert.equal((await client.resume('limited')).paused, false);
    const limited = await client.setLimits('limited', { groupRate: { max: 3, perMs: 500 } });
    assert.deepEqual(limited.limits.groupRate, { max: 3, perMs: 500 });
    await client.setLimits('limited', { groupRate: null });
    const types = (await client.queues()).map((q) => q.type);
    for (const t of ['permute', 'limited', 'wide']) assert.ok(types.includes(t), t);
    await assert.rejects(client.setLimits('limited', { concurrency: 0 }), {
      code: 'WM_ERR_QUEUE_BAD_LIMIT',
    });
    await assert.rejects(client.pause('nope'), { code: 'WM_ERR_QUEUE_UNKNOWN_TYPE' });
  });

  it('workmesh pause, resume and queues', async () => {
    const paused = await cli('pause', 'limited');
    assert.equal(paused.code, 0, paused.stderr);
    assert.match(paused.stdout, /^TYPE +PAUSED +WAITING/);
    assert.match(paused.stdout, /\nlimited +yes /);
    assert.equal(await redis.client.hget(keys.controls('limited'), 'paused'), '1');

    const table = await cli('queues');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /\nlimited +yes +0 +0 +0 +0 +20\/1s, 5 at once/);
    assert.match(table.stdout, /\nwide \(3 partitions\) +no /);

    const resumed = await cli('resume', 'limited');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /\nlimited +no /);
    assert.equal(await redis.client.hget(keys.controls('limited'), 'paused'), null);
  });

  it('workmesh pause --all and resume --all', async () => {
    const paused = await cli('pause', '--all');
    assert.equal(paused.code, 0, paused.stderr);
    assert.match(paused.stdout, /\nwide \(3 partitions\) +yes /);
    for (const q of ['permute', 'limited', 'wide~0', 'wide~2'])
      assert.equal(await redis.client.hget(keys.controls(q), 'paused'), '1', q);
    const resumed = await cli('resume', '--all');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.doesNotMatch(resumed.stdout, / yes /);
    assert.equal(await redis.client.hget(keys.controls('permute'), 'paused'), null);
  });

  it("the commands' help and table (in this process)", () => {
    assert.match(renderHelp(pauseCommand), /Usage: workmesh pause <type>/);
    assert.match(renderHelp(pauseCommand), /across restarts/);
    assert.match(renderHelp(resumeCommand), /Usage: workmesh resume <type>/);
    assert.match(renderHelp(queuesCommand), /--json/);
    const row = queuesTable([
      {
        type: 'x',
        partitions: 1,
        paused: false,
        waiting: { total: 5, byPriority: { '3': 2, '0': 3 } },
        active: 1,
        delayed: 0,
        dead: 0,
        limits: { rate: { max: 10, perMs: 250 }, groupConcurrency: 2 },
        heldBack: { byRate: 5, byConcurrency: 0, byPause: 0, groupsParked: 0 },
      },
    ]).split('\n')[1];
    assert.equal(
      row,
      'x     no      5 (p3 2, p0 3)  1       0        0     10/250ms, per group 2 at once  5 rate',
    );
  });

  it('GET /metrics has the paused, held-back and limit gauges', async () => {
    await new WorkmeshClient({ baseUrl: url }).pause('wide');
    const text = await (await fetch(`${url}/metrics`)).text();
    assert.match(text, /^workmesh_queue_paused\{type="wide"\} 1$/m);
    assert.match(text, /^workmesh_queue_paused\{type="limited"\} 0$/m);
    assert.match(text, /^workmesh_queue_held_back\{type="wide",reason="paused"\} \d+$/m);
    assert.match(text, /^workmesh_queue_limit\{type="limited",limit="rate_max"\} 20$/m);
    assert.match(text, /^workmesh_queue_limit\{type="limited",limit="concurrency"\} 5$/m);
    await new WorkmeshClient({ baseUrl: url }).resume('wide');
  });

  it("the shell's queue(), pause(), resume() and limits()", async () => {
    const config = loadConfig({ REDIS_URL: redis.url, WORKMESH_JOBS: JOBS });
    const conn = redis.client.duplicate();
    const helpers = shellHelpers({
      config,
      redis: conn,
      keys,
      registry: await createRegistry(config, config.jobModules),
      producer: new Producer(conn, keys, 'shell-test'),
      // Not used by the queue helpers.
      node: undefined as never,
      watcher: undefined as never,
    });
    assert.equal((await helpers.pause.fn('wide')).paused, true);
    assert.equal(await redis.client.hget(keys.controls('wide~2'), 'paused'), '1');
    assert.equal((await helpers.resume.fn('wide')).paused, false);
    const limited = await helpers.limits.fn('wide', { concurrency: 9 });
    assert.equal(limited.limits.concurrency, 9);
    assert.equal(await redis.client.hget(keys.controls('wide~0'), 'concurrency'), '9');
    await assert.rejects(helpers.limits.fn('wide', { concurrency: 0 }), {
      code: 'WM_ERR_QUEUE_BAD_LIMIT',
    });
    await assert.rejects(helpers.pause.fn('nope'), { code: 'WM_ERR_QUEUE_UNKNOWN_TYPE' });
    const all = (await helpers.queue.fn()) as QueueState[];
    assert.ok(all.some((q) => q.type === 'wide' && q.partitions === 3));
    conn.disconnect();
  });
});
