import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  WorkmeshClient,
  isWorkmeshError,
  type JobEventMessage,
  type WorkmeshError,
} from '../src/client/index.js';
import { retryAfterMs } from '../src/client/http.js';
import { freePort } from '../src/redis/index.js';
import type jobs from './fixtures/client-jobs.js';
import { FAST_CLUSTER } from './helpers/cluster.js';
import {
  ROOT,
  runCli,
  startApiProcess,
  startWorkerProcess,
  stopAll,
  stopProcess,
} from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { tempDir } from './helpers/temp-dir.js';

/**
 * The HTTP client against a real API and workers on a private redis-server: typed submits,
 * per-call deadlines and aborts, the event stream followed across a cut connection and an API
 * restart (Last-Event-ID). Retries of 429/503 run against a stub server that answers them on
 * cue (the real API gives a 503 only when Redis is away).
 */

const ORIGIN = 'http://page.example';
const ENV = {
  ...FAST_CLUSTER,
  WORKMESH_JOBS: `${ROOT}test/fixtures/client-jobs.ts`,
  WORKMESH_CORS_ORIGINS: ORIGIN,
};
let redis: TestRedis;
let apiUrl: string;
let client: WorkmeshClient<typeof jobs>;

before(async () => {
  redis = await startTestRedis();
  const api = startApiProcess(redis.url, ENV);
  const worker = startWorkerProcess(redis.url, ENV);
  apiUrl = (await api.ready).url!;
  await worker.ready;
  client = new WorkmeshClient<typeof jobs>({ baseUrl: apiUrl });
});
after(async () => {
  await stopAll();
  await redis.stop();
});

/** The error a promise rejects with (fails when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<WorkmeshError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isWorkmeshError(err), `not a WorkmeshError: ${String(err)}`);
    return err;
  }
  assert.fail('resolved, expected a rejection');
}

/** A job that stays `accepted` for 10 minutes (delayed). */
async function idleJob(): Promise<string> {
  return (await client.submit('ticks', { steps: 1, ms: 0 }, { delayMs: 600_000 })).callback;
}

describe('typed calls against the API', () => {
  it('submits, waits and reads the value the definitions promise', async () => {
    const job = await client.submit('add', { a: 2, b: 3 });
    assert.equal(job.type, 'add');
    const state = await client.wait(job.callback, { timeoutMs: 30_000 });
    assert.equal(state.status, 'done');
    assert.deepEqual(state.value, { sum: 5 });
  });

  it('data the schema refuses is a 400 with its catalogue code, and no job is made', async () => {
    const records = (): Promise<string[]> => redis.keys('*:{add}:job:*');
    const before = (await records()).length;
    // What a caller without types (or with a cast) could send.
    const err = await rejection(client.submit('add', { a: 1, b: 'two' } as never));
    assert.equal(err.code, 'WM_ERR_JOB_INVALID_DATA');
    assert.equal(err.details?.httpStatus, 400);
    assert.equal((await records()).length, before);
    assert.ok(before > 0, 'the job of the test before is not found: wrong key pattern');
  });
});

describe('wait()', () => {
  it('falls back to long-polls when the event stream cannot be read (a proxy in the way)', async () => {
    const asked: string[] = [];
    const noStreams = new WorkmeshClient<typeof jobs>({
      baseUrl: apiUrl,
      retryDelayMs: 10,
      // The client's own fetch option: every stream refused, as a proxy that breaks them.
      fetch: (input, init) => {
        const url =
          typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        asked.push(new URL(url).pathname);
        if (url.includes('/api/events/')) return Promise.reject(new TypeError('fetch failed'));
        return fetch(input, init);
      },
    });
    const job = await noStreams.submit('add', { a: 20, b: 22 });
    const state = await noStreams.wait(job.callback, { timeoutMs: 30_000 });
    assert.deepEqual(state.value, { sum: 42 });
    assert.ok(asked.some((path) => path.startsWith('/api/events/')));
    assert.ok(asked.some((path) => path.startsWith('/api/status/')));
  });
});

describe('deadlines and aborts', () => {
  it('a call past its timeoutMs throws WM_ERR_CLIENT_TIMEOUT (a long-poll cut short)', async () => {
    const id = await idleJob();
    const err = await rejection(client.status(id, { waitSec: 30, timeoutMs: 300 }));
    assert.equal(err.code, 'WM_ERR_CLIENT_TIMEOUT');
  });

  it('wait() past its deadline throws WM_ERR_CLIENT_TIMEOUT with the last state seen', async () => {
    const id = await idleJob();
    const err = await rejection(client.wait(id, { timeoutMs: 5000 }));
    assert.equal(err.code, 'WM_ERR_CLIENT_TIMEOUT');
    assert.equal((err.details?.state as { status: string }).status, 'accepted');
  });

  it("the caller's signal aborts wait(), events() and any call: WM_ERR_CLIENT_ABORTED", async () => {
    const id = await idleJob();
    const waiting = new AbortController();
    const wait = client.wait(id, { signal: waiting.signal });
    setTimeout(() => waiting.abort(new Error('user left')), 100);
    const err = await rejection(wait);
    assert.equal(err.code, 'WM_ERR_CLIENT_ABORTED');
    assert.equal((err.cause as Error).message, 'user left');

    const following = new AbortController();
    const seen: string[] = [];
    const events = (async () => {
      for await (const event of client.events(id, { signal: following.signal })) {
        seen.push(event.status);
        following.abort();
      }
    })();
    assert.equal((await rejection(events)).code, 'WM_ERR_CLIENT_ABORTED');
    assert.deepEqual(seen, ['accepted']);

    const gone = new AbortController();
    gone.abort();
    const scoped = new WorkmeshClient<typeof jobs>({ baseUrl: apiUrl, signal: gone.signal });
    assert.equal((await rejection(scoped.status(id))).code, 'WM_ERR_CLIENT_ABORTED');
  });

  it('a stream of a job that does not exist is a 404 at once, not a reconnect loop', async () => {
    const err = await rejection(client.events('add.AAAAAAAAAAAAAAAA').next());
    assert.equal(err.code, 'WM_ERR_JOB_NOT_FOUND');
    assert.equal(err.details?.httpStatus, 404);
  });
});

describe('retries of 429 and 503', () => {
  interface Stub {
    readonly url: string;
    readonly hits: { at: number; method: string; key: string | undefined }[];
    close(): Promise<void>;
  }
  /** A server answering `answers` in turn (the last one forever). */
  async function stub(answers: readonly { status: number; headers?: Record<string, string> }[]) {
    const hits: Stub['hits'] = [];
    const server: Server = createServer((req, res) => {
      const key = req.headers['idempotency-key'];
      hits.push({ at: performance.now(), method: req.method!, key: key as string | undefined });
      const answer = answers[Math.min(hits.length - 1, answers.length - 1)]!;
      const body =
        answer.status === 200
          ? { callback: 'add.AAAAAAAAAAAAAAAB', status: 'accepted', type: 'add', statusUrl: '/x' }
          : {
              error: {
                code:
                  answer.status === 429 ? 'WM_ERR_API_RATE_LIMITED' : 'WM_ERR_REDIS_UNAVAILABLE',
                message: 'not now',
              },
            };
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}`,
      hits,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    } satisfies Stub;
  }

  it('503 then 429 with Retry-After, then 200: answered, each retry after Retry-After; a write resent with the Idempotency-Key of the 503', async () => {
    const server = await stub([
      { status: 503, headers: { 'retry-after': '1', 'idempotency-key': 'retry-key-1' } },
      { status: 429, headers: { 'retry-after': '1' } },
      { status: 200 },
    ]);
    // Without Retry-After the backoff would be 1 ms: the pauses below are Retry-After's.
    const stubbed = new WorkmeshClient<typeof jobs>({ baseUrl: server.url, retryDelayMs: 1 });
    const accepted = await stubbed.submit('add', { a: 1, b: 1 });
    await server.close();
    assert.equal(accepted.callback, 'add.AAAAAAAAAAAAAAAB');
    assert.equal(server.hits.length, 3);
    assert.ok(server.hits[1]!.at - server.hits[0]!.at >= 950);
    assert.ok(server.hits[2]!.at - server.hits[1]!.at >= 950);
    assert.deepEqual(
      server.hits.map((h) => h.key),
      [undefined, 'retry-key-1', 'retry-key-1'],
    );
  });

  it('retries are bounded: the last 503 is thrown with its code; other errors are not retried', async () => {
    const busy = await stub([{ status: 503 }]);
    const stubbed = new WorkmeshClient({ baseUrl: busy.url, retryDelayMs: 1, retries: 2 });
    const err = await rejection(stubbed.status('add.AAAAAAAAAAAAAAAB'));
    await busy.close();
    assert.equal(err.code, 'WM_ERR_REDIS_UNAVAILABLE');
    assert.equal(err.details?.httpStatus, 503);
    assert.equal(busy.hits.length, 3);

    const once = await stub([{ status: 503 }]);
    const noRetry = new WorkmeshClient({ baseUrl: once.url, retryDelayMs: 1 });
    await rejection(noRetry.status('add.AAAAAAAAAAAAAAAB', { retries: 0 }));
    await once.close();
    assert.equal(once.hits.length, 1);

    const bad = await stub([{ status: 400 }]);
    await rejection(new WorkmeshClient({ baseUrl: bad.url }).status('add.AAAAAAAAAAAAAAAB'));
    await bad.close();
    assert.equal(bad.hits.length, 1);
  });

  it('a Retry-After past the deadline ends the call at the deadline', async () => {
    const slow = await stub([{ status: 503, headers: { 'retry-after': '120' } }]);
    const stubbed = new WorkmeshClient({ baseUrl: slow.url });
    const err = await rejection(stubbed.status('add.AAAAAAAAAAAAAAAB', { timeoutMs: 300 }));
    await slow.close();
    assert.equal(err.code, 'WM_ERR_CLIENT_TIMEOUT');
    assert.equal(slow.hits.length, 1);
  });

  it('Retry-After: delay-seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(retryAfterMs('3', now), 3000);
    assert.equal(retryAfterMs('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
    assert.equal(retryAfterMs('Wed, 31 Dec 2025 23:59:00 GMT', now), 0);
    assert.equal(retryAfterMs('soon', now), undefined);
    assert.equal(retryAfterMs(null, now), undefined);
  });
});

describe('the event stream', () => {
  it('a cut connection is opened again with Last-Event-ID: every event once, in order', async () => {
    // A pass-through proxy in front of the real API, whose client sockets the test can cut.
    const sockets = new Set<Socket>();
    const streams: (string | undefined)[] = [];
    const yielded: number[] = [];
    const lastYielded: (number | undefined)[] = [];
    const target = new URL(apiUrl);
    const proxy = createServer((req, res) => {
      if (req.url!.startsWith('/api/events/')) {
        streams.push(req.headers['last-event-id'] as string | undefined);
        lastYielded.push(yielded.at(-1));
      }
      sockets.add(req.socket);
      const upstream = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as { port: number };
    const proxied = new WorkmeshClient<typeof jobs>({
      baseUrl: `http://127.0.0.1:${port}`,
      retryDelayMs: 50,
    });

    // The job holds after its first progress until released: whatever comes after can only
    // come through a new connection.
    const release = join(tempDir('client-cut'), 'release');
    const { callback } = await proxied.submit('gate', { release });
    const events: JobEventMessage[] = [];
    for await (const event of proxied.events(callback)) {
      events.push(event);
      yielded.push(event.n);
      if (event.status === 'progress' && !existsSync(release)) {
        for (const socket of sockets) socket.destroy();
        writeFileSync(release, '');
      }
    }
    proxy.close();
    proxy.closeAllConnections();

    assert.ok(streams.length >= 2, `one connection only: ${streams.length}`);
    assert.equal(streams[0], undefined);
    // Each connection after the first asked for the events after the last one it had.
    for (let i = 1; i < streams.length; i++) {
      assert.equal(streams[i], String(lastYielded[i]));
    }
    assert.deepEqual(
      events.map((e) => e.n),
      events.map((_, i) => i + 1),
    );
    assert.equal(events.at(-1)!.status, 'done');
    assert.equal(events.at(-1)!.value, 'released');
    assert.deepEqual(
      events.filter((e) => e.status === 'progress').map((e) => e.progress),
      [{ step: 1 }, { step: 2 }],
    );
  });

  it('the API process killed and started again mid-stream: the stream goes on to the final event', async () => {
    const port = await freePort();
    const env = { ...ENV, REDIS_URL: redis.url };
    const first = runCli(['api', '--port', String(port)], env);
    await first.ready;
    const own = new WorkmeshClient<typeof jobs>({
      baseUrl: `http://127.0.0.1:${port}`,
      retryDelayMs: 100,
    });
    const release = join(tempDir('client-restart'), 'release');
    const { callback } = await own.submit('gate', { release });
    const events: JobEventMessage[] = [];
    let restarted: Promise<unknown> | undefined;
    for await (const event of own.events(callback, { reconnects: 30 })) {
      events.push(event);
      if (event.status === 'progress' && !restarted) {
        await stopProcess(first, 'SIGKILL');
        restarted = runCli(['api', '--port', String(port)], env).ready;
        writeFileSync(release, '');
      }
    }
    assert.ok(restarted, 'the API was never restarted');
    await restarted;
    assert.deepEqual(
      events.map((e) => e.n),
      events.map((_, i) => i + 1),
    );
    assert.equal(events.at(-1)!.status, 'done');
    assert.equal(events.at(-1)!.value, 'released');
    assert.equal(events.filter((e) => e.status === 'progress').length, 2);
  });

  it('a page of an allowed origin can read the stream (CORS headers on the hijacked reply)', async () => {
    const { callback } = await client.submit('add', { a: 1, b: 1 });
    await client.wait(callback);
    const stream = await fetch(`${apiUrl}/api/events/${callback}`, {
      headers: { origin: ORIGIN, accept: 'text/event-stream' },
    });
    assert.equal(stream.headers.get('access-control-allow-origin'), ORIGIN);
    assert.match(await stream.text(), /event: done/);
    const other = await fetch(`${apiUrl}/api/events/${callback}`, {
      headers: { origin: 'http://elsewhere.example' },
    });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    await other.body?.cancel();
  });
});
