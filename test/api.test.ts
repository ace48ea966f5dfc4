import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:net';
import type { InjectOptions } from 'fastify';
import { buildTestApi, type InProcessApi } from './helpers/api.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';

let redis: TestRedis;
let api: InProcessApi;

before(async () => {
  redis = await startTestRedis();
  api = await buildTestApi(redis.url, { WORKMESH_MAX_BODY_BYTES: '2048' });
});
after(async () => {
  await api.close();
  await redis.stop();
});

describe('POST /api/work', () => {
  it("accepts the seed's ?data= form with 202 and a callback id", async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/work?data=some-string-goes-here',
    });
    assert.equal(res.statusCode, 202);
    const body = res.json<{ callback: string; status: string; type: string }>();
    assert.match(body.callback, /^permute\.[A-Za-z0-9_-]{16}$/);
    assert.equal(body.status, 'accepted');
    assert.equal(body.type, 'permute');
    const job = await redis.client.hgetall(`wm:{permute}:job:${body.callback}`);
    assert.equal(job.status, 'accepted');
    assert.equal(job.data, JSON.stringify('some-string-goes-here'));
    assert.equal(await redis.client.xlen('wm:{permute}:stream'), 1);
  });

  it('accepts the JSON form for every built-in type', async () => {
    for (const [type, data] of [
      ['permute', 'abc'],
      ['hash', { text: 'x', algorithm: 'sha1' }],
      ['text-stats', { text: 'a b', top: 1 }],
    ] as const) {
      const res = await api.app.inject({
        method: 'POST',
        url: '/api/work',
        payload: { type, data },
      });
      assert.equal(res.statusCode, 202, res.body);
      assert.equal(res.json<{ type: string }>().type, type);
    }
  });

  it('answers the status of an accepted job', async () => {
    const { callback } = (
      await api.app.inject({
        method: 'POST',
        url: '/api/work',
        payload: { data: 'xyz', resultTtlSec: 5 },
      })
    ).json<{ callback: string }>();
    const res = await api.app.inject({ method: 'GET', url: `/api/status/${callback}` });
    assert.equal(res.statusCode, 200);
    const body = res.json<Record<string, unknown>>();
    assert.equal(body.status, 'accepted');
    assert.equal(body.resultTtlSec, 5);
    assert.equal(body.callback, callback);
    assert.equal(body.data, undefined, 'the input is not echoed back');
  });
});

describe('bad input: a clear 4xx and nothing written', () => {
  const cases: {
    name: string;
    req: InjectOptions;
    status: number;
    code: string;
    /** What the message must say, for a person to fix the request. */
    says?: RegExp;
  }[] = [
    {
      name: 'no data',
      req: { method: 'POST', url: '/api/work' },
      status: 400,
      code: 'WM_ERR_API_NO_DATA',
    },
    {
      name: 'JSON body without data',
      req: { method: 'POST', url: '/api/work', payload: { type: 'permute' } },
      status: 400,
      code: 'WM_ERR_API_NO_DATA',
    },
    {
      name: 'bad JSON',
      req: {
        method: 'POST',
        url: '/api/work',
        headers: { 'content-type': 'application/json' },
        payload: '{"data": ',
      },
      status: 400,
      code: 'WM_ERR_API_BAD_JSON',
    },
    {
      name: 'wrong content type',
      req: {
        method: 'POST',
        url: '/api/work',
        headers: { 'content-type': 'text/plain' },
        payload: 'data=x',
      },
      status: 415,
      code: 'WM_ERR_API_UNSUPPORTED_MEDIA_TYPE',
      says: /application\/json.*\?data=/,
    },
    {
      name: 'form encoding',
      req: {
        method: 'POST',
        url: '/api/work',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'data=x',
      },
      status: 415,
      code: 'WM_ERR_API_UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'unknown type',
      req: { method: 'POST', url: '/api/work', payload: { type: 'nope', data: 'x' } },
      status: 400,
      code: 'WM_ERR_JOB_UNKNOWN_TYPE',
    },
    {
      name: 'unknown type in the query',
      req: { method: 'POST', url: '/api/work?type=nope&data=x' },
      status: 400,
      code: 'WM_ERR_JOB_UNKNOWN_TYPE',
    },
    {
      name: 'type name that is not a name',
      req: { method: 'POST', url: '/api/work', payload: { type: '../x}{', data: 'x' } },
      status: 400,
      code: 'WM_ERR_API_BAD_REQUEST',
    },
    {
      name: 'data not matching the type schema',
      req: { method: 'POST', url: '/api/work', payload: { type: 'hash', data: { text: 5 } } },
      status: 400,
      code: 'WM_ERR_JOB_INVALID_DATA',
    },
    {
      name: 'empty string for permute',
      req: { method: 'POST', url: '/api/work?data=' },
      status: 400,
      code: 'WM_ERR_JOB_INVALID_DATA',
    },
    {
      name: 'data both in query and body',
      req: { method: 'POST', url: '/api/work?data=a', payload: { data: 'b' } },
      status: 400,
      code: 'WM_ERR_API_AMBIGUOUS_DATA',
    },
    {
      name: 'unknown body field',
      req: { method: 'POST', url: '/api/work', payload: { data: 'x', extra: 1 } },
      status: 400,
      code: 'WM_ERR_API_BAD_REQUEST',
      says: /body has an unknown property "extra"/,
    },
    ...(
      [
        ['maxAttempts as a string', { maxAttempts: '5' }, /body\.maxAttempts must be integer/],
        ['maxAttempts as a boolean', { maxAttempts: true }, /body\.maxAttempts must be integer/],
        ['resultTtlSec as a string', { resultTtlSec: '60' }, /body\.resultTtlSec must be integer/],
        ['delayMs null', { delayMs: null }, /body\.delayMs must be integer/],
        ['timeoutMs as a string', { timeoutMs: '100' }, /body\.timeoutMs must be integer/],
      ] as const
    ).map(([name, options, says]) => ({
      name: `options are not coerced: ${name}`,
      req: { method: 'POST' as const, url: '/api/work', payload: { data: 'x', ...options } },
      status: 400,
      code: 'WM_ERR_API_BAD_REQUEST',
      says,
    })),
    {
      name: 'a backoff type that is not one of the choices',
      req: {
        method: 'POST',
        url: '/api/work',
        payload: { data: 'x', backoff: { type: 'linear', delayMs: 10 } },
      },
      status: 400,
      code: 'WM_ERR_API_BAD_REQUEST',
      says: /^body\.backoff\.type must be one of "exponential", "fixed"$/,
    },
    {
      name: 'a JSON body that is not an object',
      req: {
        method: 'POST',
        url: '/api/work',
        payload: '"x"',
        headers: { 'content-type': 'application/json' },
      },
      status: 400,
      code: 'WM_ERR_API_BAD_REQUEST',
      says: /^body must be object$/,
    },
    {
      name: 'a query option that is not a number',
      req: { method: 'POST', url: '/api/work?data=x&resultTtlSec=soon' },
      status: 400,
      code: 'WM_ERR_API_BAD_REQUEST',
      says: /querystring\.resultTtlSec must be integer/,
    },
    {
      name: 'bad resultTtlSec',
      req: { method: 'POST', url: '/api/work', payload: { data: 'x', resultTtlSec: -1 } },
      status: 400,
      code: 'WM_ERR_API_BAD_REQUEST',
    },
    {
      name: 'oversize body',
      req: { method: 'POST', url: '/api/work', payload: { data: 'x'.repeat(5000) } },
      status: 413,
      code: 'WM_ERR_API_BODY_TOO_LARGE',
    },
    {
      name: 'malformed id',
      req: { method: 'GET', url: '/api/status/nope' },
      status: 400,
      code: 'WM_ERR_API_BAD_ID',
    },
    {
      name: 'id with a key-breaking character',
      req: { method: 'GET', url: '/api/status/permute%7D.AAAAAAAAAAAAAAAA' },
      status: 400,
      code: 'WM_ERR_API_BAD_ID',
    },
    {
      name: 'an id over 100 characters',
      req: { method: 'GET', url: `/api/status/permute.${'A'.repeat(120)}` },
      status: 400,
      code: 'WM_ERR_API_BAD_ID',
      says: /at most 100 characters/,
    },
    {
      name: 'a URL that does not decode',
      req: { method: 'GET', url: '/api/status/%E0%A4%A' },
      status: 400,
      code: 'WM_ERR_API_BAD_REQUEST',
    },
    {
      name: 'unknown id',
      req: { method: 'GET', url: '/api/status/permute.AAAAAAAAAAAAAAAA' },
      status: 404,
      code: 'WM_ERR_JOB_NOT_FOUND',
    },
    {
      name: 'unknown route',
      req: { method: 'GET', url: '/api/nothing' },
      status: 404,
      code: 'WM_ERR_API_ROUTE_NOT_FOUND',
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const before = await redis.dbsize();
      const streamBefore = await redis.client.xlen('wm:{permute}:stream');
      const res = await api.app.inject(c.req);
      assert.equal(res.statusCode, c.status, res.body);
      assert.match(String(res.headers['content-type']), /application\/json/);
      const body = res.json<{ error: { code: string; message: string } }>();
      assert.equal(body.error.code, c.code);
      assert.ok(body.error.message.length > 0);
      if (c.says) assert.match(body.error.message, c.says);
      assert.equal(await redis.dbsize(), before, 'no key was added');
      assert.equal(
        await redis.client.xlen('wm:{permute}:stream'),
        streamBefore,
        'nothing was queued',
      );
    });
  }
});

describe('a request Node cannot parse', () => {
  it('gets the same error form, written on the socket', async () => {
    const address = await api.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = new URL(address);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.write('NOT HTTP AT ALL\r\n\r\n'),
      );
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 400 /);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as {
      error: { code: string };
    };
    assert.equal(body.error.code, 'WM_ERR_API_BAD_REQUEST');
  });
});

describe('documents', () => {
  it('serves an OpenAPI document generated from the route schemas', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/api/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json<{ openapi: string; paths: Record<string, unknown> }>();
    assert.match(doc.openapi, /^3\./);
    assert.ok(doc.paths['/api/work']);
    assert.ok(doc.paths['/api/status/{id}']);
  });

  it('lists the job types with their input schemas', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/api/types' });
    const names = res.json<{ types: { name: string }[] }>().types.map((t) => t.name);
    assert.deepEqual(names.sort(), ['hash', 'permute', 'text-stats']);
  });

  it('is ready when Redis answers', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(res.statusCode, 200);
  });
});

describe('docs/api.md', () => {
  it('lists every route of the OpenAPI document', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../docs/api.md', import.meta.url), 'utf8');
    const openapi = (await api.app.inject({ method: 'GET', url: '/api/openapi.json' })).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    for (const [path, methods] of Object.entries(openapi.paths)) {
      for (const method of Object.keys(methods)) {
        const escaped = path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
        const row = new RegExp(`\\|\\s*${method.toUpperCase()}\\s*\\|\\s*\`${escaped}\`\\s*\\|`);
        assert.match(doc, row, `docs/api.md lacks ${method.toUpperCase()} ${path}`);
      }
    }
  });
});
