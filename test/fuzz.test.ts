import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { after, before, describe, it } from 'node:test';
import { buildTestApi, type InProcessApi } from './helpers/api.js';
import { fuzzer } from './helpers/fuzz-requests.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';

/*
 * Random and malformed requests over every route. Replay a run with WORKMESH_FUZZ_SEED; make
 * it longer with WORKMESH_FUZZ_COUNT. Checks: no answer >= 500, the process never throws,
 * nothing is stored but the jobs that were accepted, and the heap does not grow with the count.
 */
const SEED = Number(process.env.WORKMESH_FUZZ_SEED ?? Date.now() % 1_000_000);
const COUNT = Number(process.env.WORKMESH_FUZZ_COUNT ?? 10_000);
const TOKEN = 'fuzz-admin-token-0123456789abcdef';

const { pick, int, randomRequest } = fuzzer(SEED, TOKEN);

// A full garbage collection before each heap reading, so that what is measured is what is
// kept, not what the collector has not come to yet. node --test passes no flag to a file's
// process: expose gc here (a new context picks the flag up).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/**
 * The heap after full collections, in bytes: several, with a turn of the event loop between
 * them, so that what finalizers, weak references and closed sockets let go is gone too.
 */
async function heapAfterGc(): Promise<number> {
  let least = Infinity;
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    least = Math.min(least, process.memoryUsage().heapUsed);
  }
  return least;
}
/**
 * What the heap may grow by between the readings (after gc), in bytes per request between
 * them. Measured: no leak moves it by less than 20 bytes a request either way; a request that
 * keeps a small object ({id, at} in an array) grows it by 240 and fails; one that keeps only
 * its short id string (38) slips under.
 */
const MAX_GROWTH_PER_REQUEST = 50;

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
    for (let i = 0; i < COUNT; i++) {
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
      // The rate limiter counts every request, rejected or not: its per-client counters only.
      if (/^wm:ratelimit:[ta]:[^:]+$/.test(key)) continue;
      const queue = /^wm:\{([^}]+)\}:/.exec(key)?.[1];
      assert.ok(
        queue !== undefined && (queues.has(queue) || queue === '_cluster'),
        `unexpected key ${key}`,
      );
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'prototype pollution');
    // The heap over a second replay of the same requests: the first pass and a replay warmed
    // every path they take (V8 compiles and optimizes code as paths get hot, and keeps that
    // code on the heap: about 1 MB over the first two passes, measured with heap snapshots),
    // so what grows now is what the requests keep.
    const replay = async (): Promise<void> => {
      const again = fuzzer(SEED, TOKEN).randomRequest;
      for (let i = 0; i < COUNT; i++) await (i % 2 === 0 ? open : locked).app.inject(again());
    };
    await replay();
    const heapAt = [await heapAfterGc()];
    await replay();
    heapAt.push(await heapAfterGc());
    const growth = heapAt[1]! - heapAt[0]!;
    const between = COUNT;
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
