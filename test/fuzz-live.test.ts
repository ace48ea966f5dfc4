import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ROUTE_SCOPES } from '../src/api/route-scopes.js';
import { WorkmeshClient } from '../src/client/index.js';
import { FAST_CLUSTER } from './helpers/cluster.js';
import { fuzzer, type FuzzRequest } from './helpers/fuzz-requests.js';
import {
  startApiProcess,
  startWorkerProcess,
  stopAll,
  type RoleProcess,
} from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';

/*
 * The fuzz run and the auth matrix against real `workmesh api` processes (test/fuzz.test.ts
 * and test/security.test.ts use an API built in the test process, without the job watcher,
 * the webhook dispatcher or a cluster registration): with a worker running the jobs, so
 * `?wait=` long-polls and event streams of real jobs are fuzzed live. Replay a run with
 * WORKMESH_FUZZ_SEED; make it longer with WORKMESH_FUZZ_LIVE_COUNT.
 */
const SEED = Number(process.env.WORKMESH_FUZZ_SEED ?? Date.now() % 1_000_000);
const COUNT = Number(process.env.WORKMESH_FUZZ_LIVE_COUNT ?? 1500);
const T = {
  admin: 'fuzz-admin-token-0123456789abcdef',
  submit: 'live-submit-aaaaaaaaaaaaaaaaaaaaaaaa',
  read: 'live-read-bbbbbbbbbbbbbbbbbbbbbbbbbb',
  acme: 'live-acme-cccccccccccccccccccccccccc',
  metrics: 'live-metrics-dddddddddddddddddddddddd',
};
const ENV = {
  ...FAST_CLUSTER,
  WORKMESH_RATE_LIMIT: '1000000',
  WORKMESH_WEBHOOK_ALLOW: 'hooks.example.test',
};
/**
 * How long the test reads one answer: a long-poll or a stream may rightly take longer (it is
 * left open); any other request that has not answered in 30 s hangs.
 */
const WAIT_READ_MS = 3000;
const HANG_MS = 30_000;

let redis: TestRedis;
let openUrl: string;
let lockedUrl: string;
let apis: RoleProcess[];

before(async () => {
  redis = await startTestRedis();
  apis = [
    startApiProcess(redis.url, ENV),
    startApiProcess(redis.url, {
      ...ENV,
      WORKMESH_API_TOKENS: [
        `fuzz:admin:${T.admin}`,
        `acme:submit:${T.submit}`,
        `acme:read:${T.read}`,
        `acme:submit+read:${T.acme}`,
        `prometheus:metrics:${T.metrics}`,
      ].join(','),
    }),
  ];
  const worker = startWorkerProcess(redis.url, ENV);
  [openUrl, lockedUrl] = (await Promise.all(apis.map(async (a) => (await a.ready).url!))) as [
    string,
    string,
  ];
  await worker.ready;
});
after(async () => {
  await stopAll();
  await redis.stop();
});

type Answer =
  | { kind: 'answer'; status: number; body: string }
  | { kind: 'unsendable'; why: string } // the client refuses it (a header fetch cannot carry)
  | { kind: 'closed'; why: string } // the server closed the connection
  | { kind: 'still-waiting' }; // no end within WAIT_READ_MS (or HANG_MS)

async function send(base: string, req: FuzzRequest): Promise<Answer> {
  let res: Response;
  const signal = AbortSignal.timeout(mayWait(req) ? WAIT_READ_MS : HANG_MS);
  try {
    res = await fetch(base + req.url, {
      method: req.method,
      headers: req.headers,
      ...(req.payload === undefined ? {} : { body: req.payload }),
      signal,
    });
  } catch (err) {
    const e = err as Error & { cause?: Error };
    if (e.name === 'TimeoutError') return { kind: 'still-waiting' };
    if (e.message === 'fetch failed') return { kind: 'closed', why: String(e.cause?.message) };
    return { kind: 'unsendable', why: e.message };
  }
  try {
    return { kind: 'answer', status: res.status, body: await res.text() };
  } catch (err) {
    if ((err as Error).name === 'TimeoutError')
      return { kind: 'answer', status: res.status, body: '' };
    return { kind: 'closed', why: (err as Error).message };
  }
}

/** A request that may rightly wait: a long-poll, or an event stream of a job not final yet. */
function mayWait(req: FuzzRequest): boolean {
  return /[?&]wait=/.test(req.url) || req.url.startsWith('/api/events/');
}

describe(`fuzz against real API processes (seed ${SEED}, ${COUNT} requests)`, () => {
  it('no answer >= 500, no hang but long-polls and streams, nothing stored by a rejected request, both processes live on', async (t) => {
    const { randomRequest } = fuzzer(SEED, T.admin);
    // Real jobs from the start, some delayed: long-polls and streams on them wait for real.
    const seeded = new WorkmeshClient({ baseUrl: openUrl });
    const accepted = new Set<string>(
      await Promise.all(
        [0, 0, 0, 3000, 6000].map(
          async (delayMs) =>
            (await seeded.submit('hash', { text: 'seed' }, delayMs ? { delayMs } : {})).callback,
        ),
      ),
    );
    const counts = new Map<string, number>();
    const count = (k: string): void => void counts.set(k, (counts.get(k) ?? 0) + 1);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < COUNT) {
        const i = next++;
        const req = randomRequest([...accepted]);
        const base = i % 2 === 0 ? openUrl : lockedUrl;
        const answer = await send(base, req);
        if ([...accepted].some((id) => req.url.includes(id)))
          count(mayWait(req) ? 'waits on a real job' : 'names a real job');
        const what = `#${i} (seed ${SEED}) ${req.method} ${req.url.slice(0, 200)}`;
        if (answer.kind === 'answer') {
          count(String(answer.status));
          assert.ok(
            answer.status < 500,
            `${what} -> ${answer.status} ${answer.body.slice(0, 300)}`,
          );
          if (req.method === 'POST' && answer.status < 300 && answer.body.includes('"callback"'))
            accepted.add((JSON.parse(answer.body) as { callback: string }).callback);
        } else {
          count(answer.kind);
          if (answer.kind === 'still-waiting') assert.ok(mayWait(req), `${what} hung`);
          if (answer.kind === 'closed') {
            // Allowed (a body over the limit may be cut off), as long as the server lives.
            const health = await fetch(`${base}/healthz`);
            assert.equal(health.status, 200, `${what} closed (${answer.why}) and the API died`);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, lane));
    t.diagnostic(
      `answers ${JSON.stringify(Object.fromEntries([...counts].sort()))}; accepted ${accepted.size}`,
    );
    const sent = COUNT - (counts.get('unsendable') ?? 0);
    assert.ok(sent > COUNT * 0.7, `only ${sent} of ${COUNT} requests could be sent`);
    assert.ok(accepted.size > 0, 'some jobs were accepted: ?wait= and streams saw real jobs');
    // Every job in Redis is one an API accepted.
    const jobKeys = await redis.keys('wm:*:job:*');
    const stored = new Set(jobKeys.map((k) => k.slice(k.indexOf(':job:') + 5)));
    assert.deepEqual([...stored].sort(), [...accepted].sort());
    for (const api of apis) assert.equal(api.child.exitCode, null, api.output().slice(-2000));
    // Both still serve a whole job, with its wait and its stream.
    for (const base of [openUrl, lockedUrl]) {
      const client = new WorkmeshClient({ baseUrl: base, token: T.admin });
      const { callback } = await client.submit('hash', { text: 'after the fuzz' });
      assert.equal((await client.wait(callback, { timeoutMs: 30_000 })).status, 'done');
    }
  });
});

describe('auth matrix against a real API process', () => {
  const auth = (token?: string): Record<string, string> =>
    token ? { authorization: `Bearer ${token}` } : {};
  const allowed = (scope: string, name: keyof typeof T): boolean =>
    name === 'admin' || scope === name || (name === 'acme' && ['submit', 'read'].includes(scope));

  it('every route: no token 401, wrong token 401, wrong scope 403, right scope passes (never 5xx)', async () => {
    const client = new WorkmeshClient({ baseUrl: lockedUrl, token: T.acme });
    const { callback } = await client.submit('hash', { text: 'matrix' });
    assert.equal((await client.wait(callback, { timeoutMs: 30_000 })).status, 'done');
    for (const [key, scope] of Object.entries(ROUTE_SCOPES)) {
      if (key.startsWith('OPTIONS')) continue;
      const [method, path] = key.split(' ') as [FuzzRequest['method'], string];
      const req = (headers: Record<string, string>): FuzzRequest => ({
        method,
        // A wildcard route (the reference's static files): one file it serves.
        url: path.replace(':id', callback).replace('*', 'swagger-ui.css'),
        headers:
          key === 'POST /api/work' ? { ...headers, 'content-type': 'application/json' } : headers,
        ...(key === 'POST /api/work' ? { payload: '{"type":"hash","data":{"text":"m"}}' } : {}),
      });
      const answer = async (headers: Record<string, string>) => {
        const a = await send(lockedUrl, req(headers));
        if (a.kind !== 'answer') throw new Error(`${key}: no answer: ${JSON.stringify(a)}`);
        return a;
      };
      const none = await answer({});
      if (scope === 'public') {
        assert.ok(none.status < 400, `${key} is public: ${none.status}`);
        continue;
      }
      assert.equal(none.status, 401, `${key} without a token`);
      assert.match(none.body, /WM_ERR_AUTH_REQUIRED/);
      const wrong = await answer(auth('not-a-token-at-all-xxxxxxxxxxxxx'));
      assert.equal(wrong.status, 401, `${key} with a wrong token`);
      assert.match(wrong.body, /WM_ERR_AUTH_INVALID/);
      for (const name of Object.keys(T) as (keyof typeof T)[]) {
        const res = await answer(auth(T[name]));
        if (allowed(scope, name)) {
          // Past auth and served: a 4xx of the request itself (a body this generic request
          // lacks, a job not cancellable any more) is fine; 401, 403 and any 5xx are not.
          assert.ok(
            ![401, 403].includes(res.status) && res.status < 500,
            `${key} with ${name}: ${res.status} ${res.body.slice(0, 300)}`,
          );
        } else {
          assert.equal(res.status, 403, `${key} with ${name}`);
          assert.match(res.body, /WM_ERR_AUTH_FORBIDDEN/);
        }
      }
    }
  });
});
