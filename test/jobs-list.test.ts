import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { createLogger } from '../src/log/index.js';
import { Producer, StreamConsumer, trimJobsIndex, type ClaimedJob } from '../src/queue/index.js';
import { Keys, connectRedis } from '../src/redis/index.js';
import { buildTestApi, type InProcessApi } from './helpers/api.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { until } from './helpers/wait.js';
import { runCliToEnd, stopAll } from './helpers/processes.js';
import { WorkmeshClient, pointInTime } from '../src/client/index.js';
import { PassThrough } from 'node:stream';
import { loadConfig } from '../src/config/index.js';
import { openShell } from '../src/shell/index.js';
import { FAST_CLUSTER } from './helpers/cluster.js';

// GET /api/jobs and POST /api/jobs/actions (issue 23, items 1 and 2): jobs found through the
// jobs index the scripts keep (`<prefix>:{<queue>}:created`) and the dead sets.
const keys = new Keys('wm');
const T = {
  acme: 'acme-token-0123456789abcdef',
  globex: 'globex-token-0123456789abcdef',
  admin: 'admin-token-0123456789abcdef',
};
let redis: TestRedis;
let api: InProcessApi;
let conn: Redis;
let blocking: Redis;

interface Page {
  jobs: { callback: string; status: string; type: string; createdAt: string }[];
  cursor?: string;
  scanned: number;
}

before(async () => {
  redis = await startTestRedis();
  api = await buildTestApi(redis.url, { WORKMESH_JOBS: 'test/fixtures/listed.ts' });
  const log = createLogger('silent');
  conn = connectRedis(redis.url, log, { name: 'jobs-list-test' });
  blocking = connectRedis(redis.url, log, { name: 'jobs-list-blocking', blocking: true });
});
after(async () => {
  await stopAll();
  await api.close();
  conn.disconnect();
  blocking.disconnect();
  await redis.stop();
});

async function submit(
  type: string,
  data: unknown,
  extra: Record<string, unknown> = {},
  app = api.app,
  token?: string,
): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/work',
    payload: { type, data, ...extra },
    ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  });
  assert.equal(res.statusCode, 202, res.body);
  return res.json<{ callback: string }>().callback;
}

async function list(query: string, app = api.app, token?: string) {
  const res = await app.inject({
    method: 'GET',
    url: `/api/jobs${query}`,
    ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  });
  return { status: res.statusCode, body: res.json<Page & { error?: { code: string } }>() };
}

/** Claims n jobs of a queue and finishes each: ok ones done, the others failed for good. */
async function run(queue: string, n: number, ok: (job: ClaimedJob) => boolean): Promise<void> {
  const consumer = new StreamConsumer(conn, blocking, keys, queue, 'jobs-list-test', {
    deadTtlSec: 600,
    maxRecoveries: 2,
  });
  await consumer.ensureGroup();
  const jobs: ClaimedJob[] = [];
  while (jobs.length < n) jobs.push(...(await consumer.claimOrWait(n - jobs.length, 1000)));
  for (const job of jobs) {
    await consumer.finish(
      job,
      ok(job) ? { kind: 'done', json: '"ok"' } : { kind: 'fatal', error: 'boom' },
    );
  }
}

const ids = (page: Page) => page.jobs.map((j) => j.callback);

/** A queue's jobs newest first (jobs of the same millisecond by id, descending), as indexed. */
const newestFirst = (queue: string) =>
  redis.client.zrange(keys.created(queue), '+inf', '-inf', 'BYSCORE', 'REV');

describe('GET /api/jobs', () => {
  const made: Record<string, string[]> = { beta: [], alpha: [] };
  let failed: string[] = [];
  let done: string[] = [];
  let betweenMs = 0;

  before(async () => {
    for (let i = 0; i < 4; i++) made.alpha!.push(await submit('alpha', { text: `h${i}`, i }));
    await run('alpha', 4, (job) => Number((job.data as { i: number }).i) % 2 === 0);
    betweenMs = Date.now();
    await until(
      'the clock to move on',
      () => Date.now(),
      (now) => now > betweenMs,
    );
    for (let i = 0; i < 3; i++)
      made.alpha!.push(await submit('alpha', { text: `q${i}`, i: 10 + i }));
    failed = [made.alpha![1]!, made.alpha![3]!];
    done = [made.alpha![0]!, made.alpha![2]!];
  });

  it('lists newest first, filtered by type and status', async () => {
    const all = await list('?type=alpha');
    assert.equal(all.status, 200);
    assert.deepEqual(ids(all.body), await newestFirst('alpha'));
    assert.deepEqual(new Set(ids(all.body)), new Set(made.alpha));
    assert.equal(all.body.cursor, undefined);
    const f = await list('?type=alpha&status=failed');
    assert.deepEqual(new Set(ids(f.body)), new Set(failed));
    assert.ok(f.body.jobs.every((j) => j.status === 'failed'));
    const d = await list('?type=alpha&status=done,accepted');
    assert.deepEqual(new Set(ids(d.body)), new Set([...done, ...made.alpha!.slice(4)]));
  });

  it('bounds creation time, and finish time (failed ones come from the dead letters)', async () => {
    const later = await list(`?type=alpha&since=${betweenMs + 1}`);
    assert.deepEqual(new Set(ids(later.body)), new Set(made.alpha!.slice(4)));
    const earlier = await list(`?type=alpha&until=${new Date(betweenMs).toISOString()}`);
    assert.deepEqual(new Set(ids(earlier.body)), new Set(made.alpha!.slice(0, 4)));
    const failedLately = await list(
      `?type=alpha&status=failed&time=finished&since=${betweenMs - 60_000}`,
    );
    assert.deepEqual(new Set(ids(failedLately.body)), new Set(failed));
    const failedLater = await list(
      `?type=alpha&status=failed&time=finished&since=${betweenMs + 1}`,
    );
    assert.deepEqual(ids(failedLater.body), []);
    // Jobs not final have no finish time.
    const finished = await list(`?type=alpha&time=finished&since=0`);
    assert.deepEqual(new Set(ids(finished.body)), new Set([...failed, ...done]));
  });

  it('filters on a data field', async () => {
    const one = await list('?type=alpha&data.i=11');
    assert.deepEqual(ids(one.body), [made.alpha![5]]);
    const text = await list('?type=alpha&data.text=h2&status=done');
    assert.deepEqual(ids(text.body), [made.alpha![2]]);
    const none = await list('?type=alpha&data.nothing.here=1');
    assert.deepEqual(ids(none.body), []);
  });

  it('all types unless one is named', async () => {
    const t = await submit('beta', 'one two');
    const all = await list('?limit=500');
    assert.ok(ids(all.body).includes(t));
    assert.ok(made.alpha!.every((id) => ids(all.body).includes(id)));
    assert.deepEqual(ids((await list('?type=beta')).body), [t]);
  });
});

describe('pagination', () => {
  it('pages follow each other without a gap or a repeat while jobs are added', async () => {
    const first: string[] = [];
    for (let i = 0; i < 23; i++) first.push(await submit('gamma', `p${i}`));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await list(`?type=gamma&limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200);
      assert.ok(page.body.jobs.length <= 5);
      seen.push(...ids(page.body));
      cursor = page.body.cursor;
      // Newer jobs arrive meanwhile: they are ahead of the cursor, never on a later page.
      await submit('gamma', `new${pages}`);
      pages++;
    } while (cursor);
    // Newest first; jobs created in the same millisecond by id, descending.
    const order = await newestFirst('gamma');
    assert.deepEqual(
      seen,
      order.filter((id) => first.includes(id)),
    );
    assert.deepEqual(new Set(seen), new Set(first));
    assert.equal(pages, 5);
  });

  it("a partitioned type's indexes are merged into one order", async () => {
    const made: string[] = [];
    for (let i = 0; i < 12; i++) made.push(await submit('theta', i));
    const queues = new Set(made.map((id) => id.split('.')[0]));
    assert.ok(queues.size > 1, 'the jobs went to several partitions');
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await list(`?type=theta&limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...ids(page.body));
      cursor = page.body.cursor;
    } while (cursor);
    const scored = await Promise.all(
      [0, 1, 2, 3].map(async (p) => {
        const r = await redis.client.zrange(keys.created(`theta~${p}`), 0, -1, 'WITHSCORES');
        return r.flatMap((v, i) => (i % 2 === 0 ? [{ id: v, at: Number(r[i + 1]) }] : []));
      }),
    );
    const merged = scored
      .flat()
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .map((e) => e.id);
    assert.deepEqual(seen, merged);
    assert.deepEqual(new Set(seen), new Set(made));
  });

  it('jobs of one batch share a time and are ordered by id', async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/work/batch',
      payload: { jobs: Array.from({ length: 12 }, (_, i) => ({ type: 'delta', data: `b${i}` })) },
    });
    assert.ok(res.statusCode < 300, res.body);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await list(`?type=delta&limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...ids(page.body));
      cursor = page.body.cursor;
    } while (cursor);
    assert.equal(seen.length, 12);
    assert.equal(new Set(seen).size, 12);
  });
});

describe('expiry', () => {
  it('a job whose record expired leaves the listing and the index', async () => {
    const id = await submit('epsilon', { n: 0 }, { resultTtlSec: 1 });
    await run('epsilon', 1, () => true);
    assert.deepEqual(ids((await list('?type=epsilon')).body), [id]);
    await until(
      'the record to expire',
      () => redis.client.exists(keys.job(id)),
      (n) => n === 0,
    );
    assert.deepEqual(ids((await list('?type=epsilon')).body), []);
    assert.equal(await redis.client.zscore(keys.created('epsilon'), id), null);
  });

  it("the workers' trim drops expired entries nobody lists", async () => {
    const id = await submit('epsilon', { n: 0 }, { resultTtlSec: 1 });
    const live = await submit('epsilon', { n: 0 });
    await run('epsilon', 1, (job) => job.id === id);
    await until(
      'the record to expire',
      () => redis.client.exists(keys.job(id)),
      (n) => n === 0,
    );
    assert.notEqual(await redis.client.zscore(keys.created('epsilon'), id), null);
    const trim = await trimJobsIndex(conn, keys, 'epsilon', 0);
    assert.equal(trim.removed, 1);
    assert.equal(await redis.client.zscore(keys.created('epsilon'), id), null);
    assert.notEqual(await redis.client.zscore(keys.created('epsilon'), live), null);
  });
});

describe("the workers' trim", () => {
  /** n jobs in a queue of their own, answered in index order (oldest first). */
  async function indexed(queue: string, n: number): Promise<string[]> {
    const producer = new Producer(conn, keys, 'jobs-list-test');
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        producer.enqueue({ queue, data: i, resultTtlSec: 600, maxAttempts: 1 }),
      ),
    );
    return redis.client.zrange(keys.created(queue), 0, -1);
  }
  /** Records gone (as if expired): their entries stay in the index until trimmed. */
  const expire = (ids: string[]) => redis.client.del(...ids.map((id) => keys.job(id)));

  it('keeps up with the oldest end while it is mostly expired', async () => {
    const ids = await indexed('trima', 1600);
    await expire(ids.slice(0, 1200));
    const trim = await trimJobsIndex(conn, keys, 'trima', 0, 0);
    assert.equal(trim.removed, 1200);
    assert.deepEqual(await redis.client.zrange(keys.created('trima'), 0, -1), ids.slice(1200));
  });

  it('reaches expired entries behind long-lived ones, a budget at a time', async () => {
    const ids = await indexed('trimb', 1800);
    // 600 long-lived at the oldest end, then 900 expired, then 300 live.
    await expire(ids.slice(600, 1500));
    const first = await trimJobsIndex(conn, keys, 'trimb', 0, 500);
    // The oldest slice is all live: on to the budget, 500 entries from rank 500 (100 live).
    assert.equal(first.removed, 400);
    assert.equal(first.next, 600);
    const second = await trimJobsIndex(conn, keys, 'trimb', first.next, 500);
    assert.equal(second.removed, 500);
    assert.deepEqual(await redis.client.zrange(keys.created('trimb'), 0, -1), [
      ...ids.slice(0, 600),
      ...ids.slice(1500),
    ]);
  });
});

describe("a worker's trim", () => {
  it('checks a slice of a backlog each second, never the whole index at once', async () => {
    const producer = new Producer(conn, keys, 'jobs-list-test');
    await Promise.all(
      Array.from({ length: 1800 }, (_, i) =>
        producer.enqueue({ queue: 'trimc', data: i, resultTtlSec: 600, maxAttempts: 1 }),
      ),
    );
    const ids = await redis.client.zrange(keys.created('trimc'), 0, -1);
    // The newest 300 gone; the 1,500 before them live (a backlog a worker starts on).
    await redis.client.del(...ids.slice(1500).map((id) => keys.job(id)));
    const consumer = new StreamConsumer(conn, blocking, keys, 'trimc', 'worker-trim', {
      deadTtlSec: 3600,
      maxRecoveries: 2,
    });
    await consumer.ensureGroup();
    await consumer.promote();
    // One call: the oldest slice (live, so the head pass stops) and one slice after it.
    assert.equal(await redis.client.zcard(keys.created('trimc')), 1800, 'none reached yet');
    // Later calls, a second apart, go on from there and reach them.
    await until(
      'the trim to reach the gone records',
      async () => {
        await consumer.promote();
        return redis.client.zcard(keys.created('trimc'));
      },
      (n) => n === 1500,
    );
    assert.deepEqual(await redis.client.zrange(keys.created('trimc'), 0, -1), ids.slice(0, 1500));
  });
});

describe('bad input', () => {
  const cases: [string, string][] = [
    ['?status=dead', 'WM_ERR_API_BAD_REQUEST'],
    ['?status=done,', 'WM_ERR_API_BAD_REQUEST'],
    ['?limit=501', 'WM_ERR_API_BAD_REQUEST'],
    ['?limit=0', 'WM_ERR_API_BAD_REQUEST'],
    ['?type=Not-A-Type', 'WM_ERR_API_BAD_REQUEST'],
    ['?time=started', 'WM_ERR_API_BAD_REQUEST'],
    ['?colour=red', 'WM_ERR_API_BAD_REQUEST'],
    ['?data.a%20b=1', 'WM_ERR_API_BAD_REQUEST'],
    ['?cursor=bm9wZQ', 'WM_ERR_JOBS_BAD_CURSOR'],
    ['?cursor=!!', 'WM_ERR_JOBS_BAD_CURSOR'],
    ['?since=yesterday', 'WM_ERR_JOBS_BAD_TIME'],
    ['?since=2026-01-02&until=2026-01-01', 'WM_ERR_JOBS_BAD_TIME'],
  ];
  for (const [query, code] of cases) {
    it(`${query}: 400 ${code}`, async () => {
      const before = await redis.dbsize();
      const res = await list(query);
      assert.equal(res.status, 400);
      assert.equal(res.body.error?.code, code);
      assert.equal(await redis.dbsize(), before);
    });
  }
});

describe('tenants', () => {
  let tapi: InProcessApi;
  before(async () => {
    tapi = await buildTestApi(redis.url, {
      WORKMESH_PREFIX: 'wmt',
      WORKMESH_JOBS: 'test/fixtures/listed.ts',
      WORKMESH_API_TOKENS: [
        `acme:submit+read:${T.acme}`,
        `globex:submit+read:${T.globex}`,
        `ops:admin:${T.admin}`,
      ].join(','),
    });
  });
  after(() => tapi.close());

  it("a token lists its own tenant's jobs; an admin any tenant's", async () => {
    const acme = [
      await submit('gamma', 'a1', {}, tapi.app, T.acme),
      await submit('gamma', 'a2', {}, tapi.app, T.acme),
    ];
    const globex = [await submit('gamma', 'g1', {}, tapi.app, T.globex)];
    assert.deepEqual(
      new Set(ids((await list('?type=gamma', tapi.app, T.acme)).body)),
      new Set(acme),
    );
    assert.deepEqual(ids((await list('', tapi.app, T.globex)).body), globex);
    const foreign = await list('?tenant=globex', tapi.app, T.acme);
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.error?.code, 'WM_ERR_AUTH_FORBIDDEN');
    assert.deepEqual(ids((await list('?tenant=globex', tapi.app, T.admin)).body), globex);
    assert.equal((await list('', tapi.app, T.admin)).body.jobs.length, 3);
    assert.equal((await list('', tapi.app)).status, 401);
  });

  it('bulk actions need an admin token', async () => {
    const res = await tapi.app.inject({
      method: 'POST',
      url: '/api/jobs/actions',
      headers: { authorization: `Bearer ${T.acme}` },
      payload: { action: 'cancel', ids: ['permute.AAAAAAAAAAAAAAAA'] },
    });
    assert.equal(res.statusCode, 403);
  });
});

describe('POST /api/jobs/actions', () => {
  async function act(action: string, ids: unknown) {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/jobs/actions',
      payload: { action, ids },
    });
    return {
      status: res.statusCode,
      body: res.json<{
        acted: number;
        skipped: number;
        results: { id: string; outcome: string; reason?: string }[];
        error?: { code: string };
      }>(),
    };
  }

  it('retries failed jobs, and skips the others saying why', async () => {
    const a = await submit('zeta', 'a');
    const b = await submit('zeta', 'b');
    await run('zeta', 2, (job) => job.id === b);
    const res = await act('retry', [a, b, 'zeta.AAAAAAAAAAAAAAAA', 'nonsense']);
    assert.equal(res.status, 200);
    assert.equal(res.body.acted, 1);
    assert.equal(res.body.skipped, 3);
    assert.deepEqual(
      res.body.results.map((r) => r.outcome),
      ['acted', 'skipped', 'skipped', 'skipped'],
    );
    assert.match(res.body.results[1]!.reason!, /only failed jobs .* done/);
    assert.match(res.body.results[2]!.reason!, /not found/);
    assert.match(res.body.results[3]!.reason!, /malformed/);
    assert.equal(await redis.client.hget(keys.job(a), 'status'), 'accepted');
  });

  it('cancels queued jobs, deletes final ones', async () => {
    const q = await submit('eta', 'q');
    const d = await submit('eta', 'd');
    await run('eta', 1, () => true);
    const [first, second] =
      (await redis.client.hget(keys.job(q), 'status')) === 'done' ? [q, d] : [d, q];
    const del = await act('delete', [first, second]);
    assert.deepEqual(
      del.body.results.map((r) => r.outcome),
      ['acted', 'skipped'],
    );
    assert.match(del.body.results[1]!.reason!, /not final/);
    assert.equal(await redis.client.exists(keys.job(first)), 0);
    assert.deepEqual(ids((await list('?type=eta')).body), [second]);
    const cancel = await act('cancel', [second, first]);
    assert.deepEqual(
      cancel.body.results.map((r) => r.outcome),
      ['acted', 'skipped'],
    );
    assert.equal(await redis.client.hget(keys.job(second), 'status'), 'cancelled');
  });

  it('refuses a bad body with a 400 and changes nothing', async () => {
    const before = await redis.dbsize();
    for (const [action, ids] of [
      ['explode', ['zeta.AAAAAAAAAAAAAAAA']],
      ['retry', []],
      ['retry', Array.from({ length: 501 }, () => 'zeta.AAAAAAAAAAAAAAAA')],
      ['retry', 'zeta.AAAAAAAAAAAAAAAA'],
    ] as const) {
      const res = await act(action, ids);
      assert.equal(res.status, 400, JSON.stringify({ action, res: res.body }));
      assert.equal(res.body.error?.code, 'WM_ERR_API_BAD_REQUEST');
    }
    assert.equal(await redis.dbsize(), before);
  });
});

describe('the client and the command line', () => {
  let address: string;
  before(async () => {
    address = await api.app.listen({ port: 0, host: '127.0.0.1' });
  });

  it('client.jobs() pages with the cursor; actOnJobs() acts', async () => {
    const made = [
      await submit('eta', { k: 1 }),
      await submit('eta', { k: 2 }),
      await submit('eta', { k: 1 }),
    ];
    const client = new WorkmeshClient({ baseUrl: address });
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.jobs({
        type: 'eta',
        status: ['accepted'],
        limit: 2,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.jobs.map((j) => j.callback));
      cursor = page.cursor;
    } while (cursor);
    assert.deepEqual(new Set(seen), new Set(made));
    const k1 = await client.jobs({
      type: 'eta',
      data: { k: 1 },
      since: new Date(Date.now() - 60_000),
    });
    assert.deepEqual(new Set(k1.jobs.map((j) => j.callback)), new Set([made[0], made[2]]));
    const answer = await client.actOnJobs('cancel', [made[0]!]);
    assert.equal(answer.acted, 1);
  });

  it('times as people type them', () => {
    assert.equal(pointInTime('1h', 10_000_000), 10_000_000 - 3_600_000);
    assert.equal(pointInTime('15m', 10_000_000), 10_000_000 - 900_000);
    assert.equal(pointInTime('2026-01-01T00:00:00Z'), Date.UTC(2026, 0, 1));
    assert.equal(pointInTime('yesterday'), undefined);
  });

  it('workmesh jobs --status failed --type alpha --since 1h', async () => {
    const env = { WORKMESH_API_URL: address };
    const table = await runCliToEnd(
      ['jobs', '--status', 'failed', '--type', 'alpha', '--since', '1h'],
      env,
    );
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^CALLBACK\s+STATUS/);
    const rows = table.stdout.trim().split('\n').slice(1);
    assert.equal(rows.length, 2);
    assert.ok(rows.every((r) => /\bfailed\b.*boom/.test(r)));
    const json = await runCliToEnd(
      ['jobs', '--type', 'alpha', '--json', '--limit', '3', '--data', 'i=11'],
      env,
    );
    assert.equal(json.code, 0, json.stderr);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string });
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.type, 'alpha');
    const bad = await runCliToEnd(['jobs', '--since', 'whenever'], env);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /not a time/);
  });
});

describe('the shell', () => {
  it('jobs() finds, act() acts', async () => {
    const config = loadConfig({
      REDIS_URL: redis.url,
      ...FAST_CLUSTER,
      WORKMESH_JOBS: 'test/fixtures/listed.ts',
      WORKMESH_HISTORY: 'off',
    });
    const session = await openShell({
      config,
      log: createLogger('silent'),
      input: new PassThrough(),
      output: new PassThrough(),
      historyFile: '',
    });
    try {
      const mine = await submit('beta', { shell: 'yes' });
      const jobs = session.helpers.jobs.fn as (
        f: object,
      ) => Promise<{ jobs: { callback: string }[]; cursor?: string }>;
      const act = session.helpers.act.fn as (
        a: string,
        ids: string[],
      ) => Promise<{ outcome: string }[]>;
      const found = await jobs({
        type: 'beta',
        status: 'accepted',
        since: '1h',
        data: { shell: 'yes' },
      });
      assert.deepEqual(ids(found as Page), [mine]);
      const paged = await jobs({ limit: 1 });
      assert.equal(paged.jobs.length, 1);
      assert.ok(paged.cursor);
      assert.deepEqual(await act('cancel', [mine]), [{ id: mine, outcome: 'acted' }]);
      await assert.rejects(jobs({ since: 'whenever' }), /not a time/);
    } finally {
      await session.close();
    }
  });
});
