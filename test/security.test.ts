import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { ROUTE_SCOPES } from '../src/api/route-scopes.js';
import { buildTestApi, type InProcessApi } from './helpers/api.js';
import { runCli, runCliToEnd, stopAll } from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';

const T = {
  submit: 'sub-token-aaaaaaaaaaaaaaaaaaaaaaaa',
  read: 'read-token-bbbbbbbbbbbbbbbbbbbbbbbb',
  acme: 'acme-token-cccccccccccccccccccccccc',
  globex: 'globex-token-dddddddddddddddddddddd',
  admin: 'admin-token-eeeeeeeeeeeeeeeeeeeeeeee',
};
const METRICS_TOKEN = 'prom-token-ffffffffffffffffffffffff';
const TOKENS = [
  `prometheus:metrics:${METRICS_TOKEN}`,
  `acme:submit:${T.submit}`,
  `acme:read:${T.read}`,
  `acme:submit+read:${T.acme}`,
  `globex:submit+read:${T.globex}`,
  `ops:admin:${T.admin}`,
].join(',');

let redis: TestRedis;
let api: InProcessApi;
let app: FastifyInstance;

const auth = (token?: string) => (token ? { authorization: `Bearer ${token}` } : {});

async function submit(token: string, data: unknown = 'abc', extra: Record<string, unknown> = {}) {
  const res = await app.inject({
    method: 'POST',
    url: '/api/work',
    headers: auth(token),
    payload: { type: 'permute', data, ...extra },
  });
  return {
    status: res.statusCode,
    body: res.json<{ callback: string; error?: { code: string } }>(),
  };
}

before(async () => {
  redis = await startTestRedis();
  api = await buildTestApi(redis.url, { WORKMESH_API_TOKENS: TOKENS });
  app = api.app;
});
after(async () => {
  await api.close();
  await stopAll();
  await redis.stop();
});

describe('the command line and a token', () => {
  it('a 401 says to set WORKMESH_TOKEN or --token', async () => {
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const st = await runCliToEnd(['status', 'permute.AAAAAAAAAAAAAAAA'], {
      WORKMESH_API_URL: address,
      WORKMESH_TOKEN: '',
    });
    assert.equal(st.code, 1);
    assert.match(st.stderr, /WM_ERR_AUTH_REQUIRED\]\n.*set WORKMESH_TOKEN \(or pass --token\)/);
  });
});

describe('auth matrix', () => {
  /** One concrete request per route; `:id` is a job of tenant acme. */
  const sample = (key: string, id: string) => {
    const [method, url] = key.split(' ') as [string, string];
    // A wildcard route (the reference's static files): one file it serves.
    const path = url.replace(':id', id).replace('*', 'swagger-ui.css');
    const payload = key === 'POST /api/work' ? { type: 'permute', data: 'x' } : undefined;
    return { method: method as 'GET', url: path, ...(payload ? { payload } : {}) };
  };
  const needs = (scope: string, token: keyof typeof T): boolean => {
    if (token === 'admin') return true;
    if (token === 'acme' || token === 'globex') return scope === 'submit' || scope === 'read';
    return scope === token;
  };

  it('every route: no token 401, wrong token 401, wrong scope 403, right scope passes', async () => {
    const { body } = await submit(T.acme);
    for (const [key, scope] of Object.entries(ROUTE_SCOPES)) {
      if (key.startsWith('OPTIONS')) continue;
      const req = sample(key, body.callback);
      const none = await app.inject(req);
      const wrong = await app.inject({ ...req, headers: auth('not-a-token-at-all-xxxxxxxxxxxxx') });
      if (scope === 'public') {
        assert.ok(none.statusCode < 400, `${key} is public: ${none.statusCode}`);
        continue;
      }
      assert.equal(none.statusCode, 401, `${key} without token`);
      assert.equal(none.json<{ error: { code: string } }>().error.code, 'WM_ERR_AUTH_REQUIRED');
      assert.match(String(none.headers['www-authenticate']), /^Bearer/);
      assert.equal(wrong.statusCode, 401, `${key} with a wrong token`);
      assert.equal(wrong.json<{ error: { code: string } }>().error.code, 'WM_ERR_AUTH_INVALID');
      for (const name of Object.keys(T) as (keyof typeof T)[]) {
        if (name === 'globex') continue; // another tenant: see the tenancy tests
        const res = await app.inject({ ...req, headers: auth(T[name]) });
        if (needs(scope, name)) {
          // Passes auth and is served: a 4xx of the request itself (a job not cancellable
          // any more, say) is fine, a 5xx is not.
          assert.ok(
            ![401, 403].includes(res.statusCode) && res.statusCode < 500,
            `${key} with ${name}: ${res.statusCode} ${res.body}`,
          );
        } else {
          assert.equal(res.statusCode, 403, `${key} with ${name}`);
          assert.equal(res.json<{ error: { code: string } }>().error.code, 'WM_ERR_AUTH_FORBIDDEN');
        }
      }
    }
  });

  it('a Basic header, an empty bearer or a token with a suffix is refused', async () => {
    for (const authorization of [
      `Basic ${Buffer.from('a:b').toString('base64')}`,
      'Bearer ',
      `Bearer ${T.admin}x`,
      `Bearer ${T.admin.slice(0, -1)}`,
    ]) {
      const res = await app.inject({
        method: 'GET',
        url: '/api/types',
        headers: { authorization },
      });
      assert.equal(res.statusCode, 401, authorization);
    }
  });

  it('every route the API serves has a scope (a new route is closed until listed)', async () => {
    const listed = new Set(Object.keys(ROUTE_SCOPES));
    await app.ready(); // not left to an earlier test's inject
    const spec = app.swagger() as { paths: Record<string, Record<string, unknown>> };
    for (const [path, methods] of Object.entries(spec.paths)) {
      for (const method of Object.keys(methods)) {
        const key = `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`;
        assert.ok(listed.has(key), `${key} has no scope in src/api/route-scopes.ts`);
      }
    }
  });
});

describe('tenancy', () => {
  it("another tenant's job is not found; its own tenant and admin see it", async () => {
    const { body } = await submit(T.acme);
    const read = (token: string) =>
      app.inject({ method: 'GET', url: `/api/status/${body.callback}`, headers: auth(token) });
    assert.equal((await read(T.acme)).statusCode, 200);
    assert.equal((await read(T.read)).statusCode, 200); // same tenant, another token
    assert.equal((await read(T.admin)).statusCode, 200);
    const foreign = await read(T.globex);
    assert.equal(foreign.statusCode, 404);
    assert.equal(foreign.json<{ error: { code: string } }>().error.code, 'WM_ERR_JOB_NOT_FOUND');
    const cancel = await app.inject({
      method: 'DELETE',
      url: `/api/work/${body.callback}`,
      headers: auth(T.globex),
    });
    assert.equal(cancel.statusCode, 404);
    const events = await app.inject({
      method: 'GET',
      url: `/api/events/${body.callback}`,
      headers: auth(T.globex),
    });
    assert.equal(events.statusCode, 404);
    assert.equal((await read(T.acme)).json<{ status: string }>().status, 'accepted'); // not cancelled
  });

  it('the same idempotency key of two tenants names two jobs', async () => {
    const a1 = await submit(T.acme, 'abc', { key: 'order-1' });
    const a2 = await submit(T.acme, 'abc', { key: 'order-1' });
    const g = await submit(T.globex, 'abc', { key: 'order-1' });
    assert.equal(a1.body.callback, a2.body.callback);
    assert.equal(a2.status, 200);
    assert.notEqual(g.body.callback, a1.body.callback);
    assert.equal(g.status, 202);
  });
});

describe('limits', () => {
  it('deep, wide, huge or over-long bodies get a clear 4xx and store nothing', async () => {
    const keysBefore = await redis.client.dbsize();
    let deep: unknown = 'x';
    for (let i = 0; i < 40; i++) deep = { a: deep };
    const wide = Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`k${i}`, i]));
    const cases: [unknown, number, string][] = [
      [{ type: 'hash', data: deep }, 400, 'WM_ERR_API_BODY_TOO_COMPLEX'],
      [{ type: 'hash', data: wide }, 400, 'WM_ERR_API_BODY_TOO_COMPLEX'],
      [{ type: 'permute', data: 'x'.repeat(65_537) }, 400, 'WM_ERR_JOB_INVALID_DATA'],
      [
        { type: 'text-stats', data: { text: 'x'.repeat(1_100_000) } },
        413,
        'WM_ERR_API_BODY_TOO_LARGE',
      ],
    ];
    for (const [payload, status, code] of cases) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/work',
        headers: auth(T.acme),
        payload: payload as object,
      });
      assert.equal(res.statusCode, status, res.body.slice(0, 200));
      assert.equal(res.json<{ error: { code: string } }>().error.code, code);
    }
    assert.equal(await redis.client.dbsize(), keysBefore);
  });

  it('security headers on every answer; no CORS unless configured', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/api/types',
      headers: { ...auth(T.read), origin: 'https://evil.example' },
    });
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.match(String(res.headers['content-security-policy']), /default-src 'none'/);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    const denied = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(denied.headers['x-content-type-options'], 'nosniff');
  });

  it('CORS answers the configured origins only', async () => {
    const withCors = await buildTestApi(redis.url, {
      WORKMESH_CORS_ORIGINS: 'https://app.example',
    });
    try {
      const ok = await withCors.app.inject({
        method: 'GET',
        url: '/api/types',
        headers: { origin: 'https://app.example' },
      });
      assert.equal(ok.headers['access-control-allow-origin'], 'https://app.example');
      const other = await withCors.app.inject({
        method: 'GET',
        url: '/api/types',
        headers: { origin: 'https://evil.example' },
      });
      assert.equal(other.headers['access-control-allow-origin'], undefined);
    } finally {
      await withCors.close();
    }
  });
});

describe('rate limits', () => {
  it('per token and per address: 429 with Retry-After past the limit, buckets apart', async () => {
    const limited = await buildTestApi(redis.url, {
      WORKMESH_API_TOKENS: TOKENS,
      WORKMESH_RATE_LIMIT: '5',
    });
    try {
      const get = (token?: string, ip = '10.0.0.1') =>
        limited.app.inject({
          method: 'GET',
          url: '/api/types',
          headers: auth(token),
          remoteAddress: ip,
        });
      for (let i = 0; i < 5; i++) assert.equal((await get(T.read)).statusCode, 200);
      const over = await get(T.read);
      assert.equal(over.statusCode, 429);
      assert.equal(over.json<{ error: { code: string } }>().error.code, 'WM_ERR_API_RATE_LIMITED');
      assert.ok(Number(over.headers['retry-after']) > 0);
      assert.equal((await get(T.acme)).statusCode, 200, 'another token has its own bucket');
      // Without a token: by address (each request is a 401, and counts).
      for (let i = 0; i < 5; i++) assert.equal((await get(undefined, '10.0.0.9')).statusCode, 401);
      assert.equal((await get(undefined, '10.0.0.9')).statusCode, 429);
      assert.equal(
        (await get(undefined, '10.0.0.10')).statusCode,
        401,
        'another address has its own bucket',
      );
      assert.equal(
        (await limited.app.inject({ method: 'GET', url: '/healthz', remoteAddress: '10.0.0.9' }))
          .statusCode,
        200,
      );
    } finally {
      await limited.close();
    }
  });
});

describe('secure defaults', () => {
  it('an API beyond loopback without tokens refuses to start and says how to fix it', async () => {
    const { code, stderr } = await runCliToEnd(['api', '--host', '0.0.0.0', '--port', '0'], {
      REDIS_URL: redis.url,
    });
    assert.equal(code, 1);
    assert.match(stderr, /WM_ERR_CONFIG_INSECURE/);
    assert.match(stderr, /WORKMESH_API_TOKENS/);
    assert.match(stderr, /--insecure/);
  });

  it('tokens without a cluster secret beyond loopback: refused too', async () => {
    const { code, stderr } = await runCliToEnd(['api', '--host', '0.0.0.0', '--port', '0'], {
      REDIS_URL: redis.url,
      WORKMESH_API_TOKENS: TOKENS,
    });
    assert.equal(code, 1);
    assert.match(stderr, /WM_ERR_CONFIG_INSECURE/);
    assert.match(stderr, /WORKMESH_CLUSTER_SECRET/);
  });

  it('--insecure starts it, with a warning in the log', async () => {
    const proc = runCli(['api', '--host', '0.0.0.0', '--port', '0', '--insecure'], {
      REDIS_URL: redis.url,
    });
    await proc.ready;
    assert.match(proc.output(), /INSECURE: the API listens beyond loopback without tokens/);
  });

  it('with tokens it starts beyond loopback; tokens and payloads never reach the log', async () => {
    const proc = runCli(['api', '--host', '0.0.0.0', '--port', '0'], {
      REDIS_URL: redis.url,
      WORKMESH_API_TOKENS: TOKENS,
      WORKMESH_CLUSTER_SECRET: 'cluster-secret-0123456789abcdef',
      WORKMESH_LOG_LEVEL: 'debug',
    });
    const { url } = await proc.ready;
    const base = url!.replace('0.0.0.0', '127.0.0.1');
    const marker = 'payload-marker-7f3a';
    for (const body of [
      { type: 'permute', data: marker },
      { type: 'hash', data: { text: marker, deep: [[[[1]]]] } },
      { type: 'nope', data: marker },
    ]) {
      await fetch(`${base}/api/work`, {
        method: 'POST',
        headers: { ...auth(T.acme), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    }
    await fetch(`${base}/api/work`, {
      method: 'POST',
      headers: { ...auth(T.acme), 'content-type': 'application/json' },
      body: `{"data": "${marker}"`,
    });
    await fetch(`${base}/api/types`, { headers: auth(`${T.admin}-wrong`) });
    const log = proc.output();
    assert.ok(log.length > 0);
    for (const secret of [...Object.values(T), marker])
      assert.ok(!log.includes(secret), `${secret} is in the log`);
  });
});

describe("a worker's metrics listener", () => {
  it('needs a token with the metrics scope when tokens are set', async () => {
    const worker = runCli(['worker'], {
      REDIS_URL: redis.url,
      WORKMESH_METRICS_PORT: '0',
      WORKMESH_API_TOKENS: TOKENS,
    });
    const url = `${(await worker.ready).url!}/metrics`;
    assert.equal((await fetch(url)).status, 401);
    assert.equal((await fetch(url, { headers: auth(T.read) })).status, 403);
    assert.equal((await fetch(url, { headers: auth(METRICS_TOKEN) })).status, 200);
    assert.equal((await fetch(url, { headers: auth(T.admin) })).status, 200);
  });

  it('beyond loopback without tokens it refuses to start', async () => {
    const { code, stderr } = await runCliToEnd(['worker'], {
      REDIS_URL: redis.url,
      WORKMESH_METRICS_PORT: '0',
      WORKMESH_HOST: '0.0.0.0',
    });
    assert.equal(code, 1);
    assert.match(stderr, /WM_ERR_CONFIG_INSECURE/);
  });
});
