import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildTestApi, type InProcessApi } from './helpers/api.js';
import { ON_CLUSTER, startTestRedis, type TestRedis } from './helpers/redis.js';

// The HTTP rate limit is counted in Redis (issue 18, item 11): two API processes on one Redis
// share one limit, where each counting in its own memory let twice the limit through.
const LIMIT = 5;
let redis: TestRedis;
let a: InProcessApi;
let b: InProcessApi;

before(async () => {
  redis = await startTestRedis();
  const env = { WORKMESH_RATE_LIMIT: String(LIMIT) };
  a = await buildTestApi(redis.url, env);
  b = await buildTestApi(redis.url, env);
});
after(async () => {
  await a.close();
  await b.close();
  await redis.stop();
});

const get = (api: InProcessApi, ip: string) =>
  api.app.inject({ method: 'GET', url: '/api/types', remoteAddress: ip });

describe('rate limit across API processes', () => {
  it('two APIs on one Redis share one limit per client', async () => {
    const ip = '10.1.0.1';
    const codes: number[] = [];
    // Alternating between the two: each alone has seen at most 3 of the 6.
    for (let i = 0; i < LIMIT; i++) codes.push((await get(i % 2 ? b : a, ip)).statusCode);
    assert.deepEqual(codes, Array(LIMIT).fill(200));
    const overA = await get(a, ip);
    const overB = await get(b, ip);
    assert.equal(overA.statusCode, 429, 'the 6th request, on A');
    assert.equal(overB.statusCode, 429, 'the 7th, on B');
    assert.equal(overB.json<{ error: { code: string } }>().error.code, 'WM_ERR_API_RATE_LIMITED');
    const retryAfter = Number(overB.headers['retry-after']);
    assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assert.equal((await get(b, '10.1.0.2')).statusCode, 200, 'another client has its own bucket');
  });

  it('counts under the workmesh prefix, one key per client, expiring with its window', async () => {
    const ip = '10.1.0.3';
    assert.equal((await get(a, ip)).statusCode, 200);
    assert.equal((await get(b, ip)).statusCode, 200);
    const key = `wm:ratelimit:a:${ip}`;
    assert.equal(await redis.client.get(key), '2');
    const ttl = await redis.client.pttl(key);
    assert.ok(ttl > 0 && ttl <= 60_000, `pttl ${ttl}`);
  });

  it(
    'with Redis away a request is not refused for the limiter: served, or 503 if it needs Redis',
    { skip: ON_CLUSTER && 'stops a single redis-server' },
    async () => {
      const own = await startTestRedis();
      const api = await buildTestApi(own.url, { WORKMESH_RATE_LIMIT: '1' });
      try {
        await own.stop();
        // GET /api/types needs no Redis: served, though the limiter could not count it.
        for (let i = 0; i < 3; i++) assert.equal((await get(api, '10.1.0.4')).statusCode, 200);
        // A submission needs Redis: the route's own 503, not a 500 from the limiter.
        const post = await api.app.inject({
          method: 'POST',
          url: '/api/work?data=abc',
          remoteAddress: '10.1.0.4',
        });
        assert.equal(post.statusCode, 503, post.body);
        assert.equal(
          post.json<{ error: { code: string } }>().error.code,
          'WM_ERR_REDIS_UNAVAILABLE',
        );
      } finally {
        await api.close();
      }
    },
  );
});
