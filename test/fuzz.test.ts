import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { after, before, describe, it } from 'node:test';
import { ROUTE_SCOPES } from '../src/api/route-scopes.js';
import { buildTestApi, type InProcessApi } from './helpers/api.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';

/*
 * Random and malformed requests over every route. Replay a run with WORKMESH_FUZZ_SEED; make
 * it longer with WORKMESH_FUZZ_COUNT. Checks: no answer >= 500, the process never throws,
 * nothing is stored but the jobs that were accepted, and the heap does not grow with the count.
 */
const SEED = Number(process.env.WORKMESH_FUZZ_SEED ?? Date.now() % 1_000_000);
const COUNT = Number(process.env.WORKMESH_FUZZ_COUNT ?? 10_000);
const TOKEN = 'fuzz-admin-token-0123456789abcdef';

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// A full garbage collection before each heap reading, so that what is measured is what is
// kept, not what the collector has not come to yet. node --test passes no flag to a file's
// process: expose gc here (a new context picks the flag up).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** The heap after a full collection, in bytes. */
function heapAfterGc(): number {
  gc();
  gc(); // a second pass frees what the first one's finalizers let go
  return process.memoryUsage().heapUsed;
}
/**
 * What the heap may grow by between the readings (after gc), in bytes per request between
 * them. Measured: no leak moves it by less than 20 bytes a request either way; a request that
 * keeps a small object ({id, at} in an array) grows it by 240 and fails; one that keeps only
 * its short id string (38) slips under.
 */
const MAX_GROWTH_PER_REQUEST = 50;

const rand = prng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const int = (n: number) => Math.floor(rand() * n);

const ODD_STRINGS = [
  '',
  ' ',
  '..',
  '../../etc/passwd',
  '%2e%2e%2f%2e%2e%2fetc',
  '%00',
  '\u0000',
  '\uFEFF',
  '\uD800',
  'ä½ å¥½',
  '💥'.repeat(50),
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '${jndi:ldap://x}',
  '__proto__',
  'constructor',
  'permute.AAAAAAAAAAAAAAAA',
  'permute.' + 'A'.repeat(15),
  'hash.AAAAAAAAAAAAAAA*',
  'x'.repeat(10_000),
  '*',
  '{wm}',
  'wm:{permute}:job:x',
  '\r\nX-Injected: 1',
  '-1',
  '1e999',
  'NaN',
];

function randomJson(depth: number): unknown {
  switch (int(depth > 6 ? 5 : 8)) {
    case 0:
      return pick(ODD_STRINGS);
    case 1:
      return rand() * 10 ** int(300) * (rand() < 0.5 ? -1 : 1);
    case 2:
      return pick([true, false, null]);
    case 3:
      return int(2 ** 31);
    case 4:
      return 'y'.repeat(int(2000));
    case 5:
      return Array.from({ length: int(5) }, () => randomJson(depth + 1));
    case 6: {
      const o: Record<string, unknown> = {};
      for (let i = int(5); i > 0; i--)
        o[
          pick([
            ...ODD_STRINGS,
            'type',
            'data',
            'key',
            'delayMs',
            'maxAttempts',
            'callbackUrl',
            'runAt',
          ])
        ] = randomJson(depth + 1);
      return o;
    }
    default: {
      let v: unknown = 1;
      for (let i = int(100); i > 0; i--) v = rand() < 0.5 ? [v] : { a: v };
      return v;
    }
  }
}

function randomBody(): { payload?: string | Buffer; contentType?: string } {
  switch (int(12)) {
    case 0:
      return {};
    case 1:
      return {
        payload: JSON.stringify({
          type: pick(['permute', 'hash', 'text-stats', 'nope', '']),
          data: randomJson(0),
        }),
        contentType: 'application/json',
      };
    case 2:
      return { payload: JSON.stringify(randomJson(0)), contentType: 'application/json' };
    case 3:
      return { payload: '{"type": "permute", "data": ', contentType: 'application/json' };
    case 4:
      return {
        payload: Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x80, 0xc3]),
        contentType: 'application/json',
      };
    case 5:
      return {
        payload: 'data=abc&type=permute',
        contentType: pick([
          'application/x-www-form-urlencoded',
          'text/plain',
          'multipart/form-data; boundary=x',
          'application/xml',
          '',
        ]),
      };
    case 6:
      return {
        payload:
          '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}, "type": "permute", "data": "abc"}',
        contentType: 'application/json',
      };
    case 7:
      return {
        payload: JSON.stringify({ type: 'permute', data: 'z'.repeat(int(2_000_000)) }),
        contentType: 'application/json',
      };
    case 8:
      return {
        payload: '\uFEFF{"type":"permute","data":"bom"}',
        contentType: 'application/json; charset=utf-16',
      };
    case 9:
      return { payload: '['.repeat(5000) + ']'.repeat(5000), contentType: 'application/json' };
    case 10:
      return {
        payload: JSON.stringify({
          type: 'permute',
          data: 'ok',
          key: pick(ODD_STRINGS),
          callbackUrl: pick([
            'http://169.254.169.254/',
            'file:///etc/passwd',
            'javascript:1',
            'http://127.0.0.1:1/x',
            pick(ODD_STRINGS),
          ]),
        }),
        contentType: 'application/json',
      };
    default:
      return {
        payload: JSON.stringify({ type: 'permute', data: 'abc' }),
        contentType: 'application/json',
      };
  }
}

interface FuzzRequest {
  readonly method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'PATCH' | 'OPTIONS' | 'HEAD';
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly payload?: string | Buffer;
}

/** encodeURIComponent that keeps a lone surrogate as a raw (invalid) escape instead of throwing. */
function encodePath(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return '%ED%A0%80';
  }
}

function randomRequest(): FuzzRequest {
  const route = pick(Object.keys(ROUTE_SCOPES));
  const [routeMethod, routeUrl] = route.split(' ') as [string, string];
  let url = routeUrl
    .replace('*', pick(ODD_STRINGS))
    .replace(':id', () => encodePath(pick(ODD_STRINGS)));
  if (rand() < 0.15) url = url.replace(/\/[^/]*$/, `/${encodePath(pick(ODD_STRINGS))}`);
  if (rand() < 0.1)
    url = `/${pick(['', '/', '//api//work', 'api/../api/work', 'API/WORK', '%2fapi%2fwork', 'api/work/', 'api/status/'])}`;
  if (rand() < 0.3)
    url += `?${pick(['data=', 'data=abc', 'wait=-1', 'wait=abc', 'wait=99999', 'type=nope', 'data[]=1&data[]=2', 'limit=1e9', 'offset=-5', '__proto__[x]=1', '%%%', 'a='.repeat(500)])}`;
  // light-my-request reads a leading `//` as a host; the wire test below sends such paths.
  url = `/${url.replace(/^\/+/, '')}`;
  const body = randomBody();
  const headers: Record<string, string> = {};
  if (body.contentType !== undefined && body.contentType !== '')
    headers['content-type'] = body.contentType;
  if (rand() < 0.5)
    headers.authorization = pick([
      `Bearer ${TOKEN}`,
      'Bearer',
      `Bearer ${TOKEN}x`,
      'Basic Zm9vOmJhcg==',
      `bearer  ${TOKEN}`,
      pick(ODD_STRINGS).replace(/[\r\n]/g, ''),
    ]);
  if (rand() < 0.2)
    headers['idempotency-key'] = pick(ODD_STRINGS)
      .replace(/[\r\n]/g, '')
      .slice(0, 4000);
  if (rand() < 0.1) headers['x-forwarded-for'] = pick(ODD_STRINGS).replace(/[\r\n]/g, '');
  if (rand() < 0.1) headers['content-encoding'] = pick(['gzip', 'br', 'identity', 'x']);
  if (rand() < 0.05) headers['x-big'] = 'h'.repeat(20_000);
  const method =
    rand() < 0.8 ? routeMethod : pick(['GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD']);
  return {
    method: method as FuzzRequest['method'],
    url,
    headers,
    ...(body.payload === undefined || ['GET', 'HEAD'].includes(method)
      ? {}
      : { payload: body.payload }),
  };
}

let redis: TestRedis;
const apis: InProcessApi[] = [];
before(async () => {
  redis = await startTestRedis();
});
after(async () => {
  await Promise.all(apis.map((a) => a.close()));
  await redis.stop();
});

describe(`fuzz (seed ${SEED}, ${COUNT} requests)`, () => {
  it('no answer >= 500, nothing stored by a rejected request, the heap steady', async (t) => {
    const open = await buildTestApi(redis.url);
    const locked = await buildTestApi(redis.url, {
      WORKMESH_API_TOKENS: `fuzz:admin:${TOKEN}`,
      WORKMESH_RATE_LIMIT: '1000000',
    });
    apis.push(open, locked);
    const statuses = new Map<number, number>();
    const accepted = new Set<string>();
    const heapAt: number[] = [];
    for (let i = 0; i < COUNT; i++) {
      if (i === Math.floor(COUNT / 5) || i === COUNT - 1) heapAt.push(heapAfterGc());
      const req = randomRequest();
      const api = i % 2 === 0 ? open : locked;
      let res;
      try {
        res = await api.app.inject(req);
      } catch (err) {
        throw new Error(
          `inject failed for ${req.method} ${JSON.stringify(req.url.slice(0, 200))}: ${(err as Error).message}`,
        );
      }
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      assert.ok(
        res.statusCode < 500,
        `#${i} (seed ${SEED}) ${req.method} ${req.url.slice(0, 200)} -> ${res.statusCode} ${res.body.slice(0, 300)}`,
      );
      // A 2xx POST with a callback accepted a job (a path like /api/../api/work included).
      if (req.method === 'POST' && res.statusCode < 300 && res.body.includes('"callback"')) {
        accepted.add(res.json<{ callback: string }>().callback);
      }
    }
    // Every job in Redis is one the API accepted; no other queue or key appeared.
    const jobKeys = await redis.client.keys('wm:*:job:*');
    const stored = new Set(jobKeys.map((k) => k.slice(k.indexOf(':job:') + 5)));
    assert.deepEqual([...stored].sort(), [...accepted].sort());
    const queues = new Set([...accepted].map((id) => id.slice(0, id.indexOf('.'))));
    for (const key of await redis.client.keys('*')) {
      const queue = /^wm:\{([^}]+)\}:/.exec(key)?.[1];
      assert.ok(
        queue !== undefined && (queues.has(queue) || queue === '_cluster'),
        `unexpected key ${key}`,
      );
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'prototype pollution');
    const growth = heapAt[1]! - heapAt[0]!;
    const between = COUNT - 1 - Math.floor(COUNT / 5);
    t.diagnostic(
      `statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}; accepted ${accepted.size}; heap after gc ${(heapAt[0]! / 1048576).toFixed(1)} -> ${(heapAt[1]! / 1048576).toFixed(1)} MB (${Math.round(growth / between)} bytes a request)`,
    );
    assert.ok(
      growth < between * MAX_GROWTH_PER_REQUEST,
      `heap grew ${(growth / 1048576).toFixed(1)} MB over ${between} requests (after gc): a leak`,
    );
  });

  it('malformed HTTP on the wire: 4xx or a closed connection, never 5xx, and the server lives on', async () => {
    const api = await buildTestApi(redis.url);
    apis.push(api);
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = api.app.server.address() as { port: number };
    const raw = [
      'GET / HTTP/1.1\r\n\r\n',
      'GARBAGE\r\n\r\n',
      '\x00\x01\x02\x03\r\n\r\n',
      'GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n',
      'GET /healthz\r\n\r\n',
      `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(100_000)}\r\n\r\n`,
      'POST /api/work HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'POST /api/work HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
      'POST /api/work HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"type":"permute"}',
      'POST /api/work HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n',
      'POST /api/work HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
      'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Name: 1\r\n\r\n',
      'GET /healthz HTTP/1.1\r\nHost: x\r\n X-Folded: 1\r\n\r\n',
      'GET /api/status/permute.AAAAAAAAAAAAAAAA%00 HTTP/1.1\r\nHost: x\r\n\r\n',
      'GET /api/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n',
      'DELETE /api/work/..%2f..%2f HTTP/1.1\r\nHost: x\r\n\r\n',
    ];
    const answers: string[] = [];
    for (let i = 0; i < 300; i++) {
      const payload =
        i < raw.length
          ? raw[i]!
          : pick(raw).replace(/[a-z]/, () => String.fromCharCode(32 + int(95)));
      const answer = await new Promise<string>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        let data = '';
        socket.setTimeout(3000, () => socket.destroy());
        socket.on('data', (c) => (data += c.toString('latin1')));
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(data.split('\r\n')[0] ?? ''));
        socket.write(payload, () => socket.end());
      });
      answers.push(answer);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
      assert.ok(status < 500, `${JSON.stringify(payload.slice(0, 120))} -> ${answer}`);
    }
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
  });
});
