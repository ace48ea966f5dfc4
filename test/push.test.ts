import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkmeshClient, type JobEventMessage } from '../src/client/index.js';
import { Keys } from '../src/redis/index.js';
import { verifyWebhook } from '../src/webhooks/index.js';
import { FAST_CLUSTER } from './helpers/cluster.js';
import { ON_CLUSTER, startTestRedis, type TestRedis } from './helpers/redis.js';
import { ROOT, startApiProcess, startWorkerProcess, stopAll } from './helpers/processes.js';
import { tempDir } from './helpers/temp-dir.js';
import { watchCommands } from './helpers/monitor.js';
import { until } from './helpers/wait.js';

const ENV = {
  ...FAST_CLUSTER,
  WORKMESH_JOBS: `${ROOT}test/fixtures/jobs.ts`,
  WORKMESH_WEBHOOK_ALLOW: '127.0.0.1',
  WORKMESH_WEBHOOK_SECRET: 'hook-secret',
  WORKMESH_WEBHOOK_RETRY_MS: '100',
  WORKMESH_PERMUTE_DELAY_MS: '0',
};
let redis: TestRedis;
let apis: WorkmeshClient[];
let urls: string[];

before(async () => {
  redis = await startTestRedis();
  const procs = [startApiProcess(redis.url, ENV), startApiProcess(redis.url, ENV)];
  urls = await Promise.all(procs.map(async (p) => (await p.ready).url!));
  apis = urls.map((baseUrl) => new WorkmeshClient({ baseUrl }));
});
after(async () => {
  await stopAll();
  await redis.stop();
});

/** The file's worker, started by the first test that needs one (the first test waits first). */
let worker: Promise<unknown> | undefined;
function ensureWorker(): Promise<unknown> {
  worker ??= startWorkerProcess(redis.url, ENV).ready;
  return worker;
}

async function commandCalls(command: string): Promise<number> {
  const info = await redis.client.info('commandstats');
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

describe('waiting without polling', () => {
  it(
    '1,000 long-poll waiters on 2 API processes are all answered when their jobs finish; nobody polls Redis meanwhile',
    // MONITOR and INFO commandstats watch one server; on a cluster the work is spread over three.
    { skip: ON_CLUSTER && 'watches the commands of one redis-server (MONITOR, INFO)' },
    async () => {
      const ids = await Promise.all(
        Array.from(
          { length: 1000 },
          async (_, i) => (await apis[i % 2]!.submit('hash', { text: `w${i}` })).callback,
        ),
      );
      // MONITOR shows every command Redis runs, from before the waiters arrive: each waiter
      // reads its job once (after it started watching), then, until its job finishes, none may
      // touch a job again.
      const monitor = await watchCommands(redis.server.port);
      let answered = 0;
      const waiters = ids.map((id, i) =>
        fetch(`${urls[i % 2]}/api/status/${id}?wait=60`).then(async (res) => {
          answered += 1;
          return (await res.json()) as { status: string; callback: string };
        }),
      );
      const readJobs = (text: string): Set<string> =>
        new Set([...text.matchAll(/"(?:hmget|hgetall)" "[^"]*:job:([^"]+)"/gi)].map((m) => m[1]!));
      await until(
        'every waiter to read its job once (it watches from then on)',
        () => readJobs(monitor.text()).size,
        (n) => n === ids.length,
        60_000,
      );
      const mark = monitor.text().lastIndexOf('\r\n') + 2;
      await new Promise((r) => setTimeout(r, 2000)); // the window in which nothing may poll
      monitor.stop();
      const seen = monitor.text();
      assert.equal(answered, 0, 'nobody answered before any worker ran');
      assert.match(
        seen.slice(mark),
        /"evalsha"/i,
        'MONITOR sees the cluster heartbeats: it would see polling too',
      );
      const touched = seen
        .slice(mark)
        .split('\r\n')
        .filter((line) => line.includes(':job:'));
      assert.deepEqual(touched, [], 'no job read while waiting: no polling');
      await redis.client.config('RESETSTAT');

      await ensureWorker();
      const results = await Promise.all(waiters);
      assert.equal(results.filter((r) => r.status === 'done').length, 1000);
      assert.deepEqual(
        results.map((r) => r.callback),
        ids,
      );
      // One read per waiter when its job finished (plus nothing else).
      assert.ok((await commandCalls('hgetall')) <= 1000 + 10);
    },
  );

  it('a long-poll on a job that does not finish answers its current status at the deadline', async () => {
    const { callback } = await apis[0]!.submit(
      'record',
      { file: '/dev/null' },
      { delayMs: 60_000 },
    );
    const started = performance.now();
    const res = await fetch(`${urls[1]}/api/status/${callback}?wait=1`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, 'accepted');
    assert.ok(performance.now() - started >= 900);
    await apis[0]!.cancel(callback);
  });
});

describe('server-sent events', () => {
  before(() => ensureWorker());
  it('stream accepted -> pending -> progress -> done in order; a reconnect with Last-Event-ID misses nothing', async () => {
    const { callback } = await apis[0]!.submit('steps', { steps: 3, ms: 300 });
    const seen: JobEventMessage[] = [];
    const first = new AbortController();
    try {
      for await (const event of apis[1]!.events(callback, { signal: first.signal })) {
        seen.push(event);
        if (event.status === 'pending') first.abort();
      }
    } catch {
      // aborted on purpose, mid-stream
    }
    assert.deepEqual(
      seen.map((e) => e.status),
      ['accepted', 'pending'],
    );
    await until(
      'the job to finish',
      () => apis[0]!.status(callback),
      (s) => s.status === 'done',
    );
    for await (const event of apis[0]!.events(callback, { lastEventId: seen.at(-1)!.n }))
      seen.push(event);
    assert.deepEqual(
      seen.map((e) => e.status),
      ['accepted', 'pending', 'progress', 'progress', 'progress', 'done'],
    );
    assert.deepEqual(
      seen.map((e) => e.n),
      [1, 2, 3, 4, 5, 6],
    );
    assert.deepEqual(
      seen.slice(2, 5).map((e) => e.progress),
      [1, 2, 3].map((step) => ({ step, of: 3 })),
    );
    assert.equal(seen.at(-1)!.value, 'stepped');
    const state = await apis[1]!.status(callback);
    assert.deepEqual(state.progress, { step: 3, of: 3 });
  });

  it('a plain job keeps its log implicit and replays it; a retried one writes its log out whole', async (t) => {
    const keys = new Keys('wm');
    const events = async (id: string) => {
      const out: JobEventMessage[] = [];
      for await (const event of apis[0]!.events(id)) out.push(event);
      return out;
    };
    const plain = (await apis[0]!.submit('hash', { text: 'implicit' })).callback;
    await apis[0]!.wait(plain);
    const hash = await redis.client.hgetall(keys.job(plain));
    assert.equal(hash.events, undefined, 'no events field for a plain job');
    assert.equal(hash.ev, '3');
    const replayed = await events(plain);
    assert.deepEqual(
      replayed.map(({ n, status, at, attempt, worker }) => ({ n, status, at, attempt, worker })),
      [
        {
          n: 1,
          status: 'accepted',
          at: Number(hash.createdAt),
          attempt: undefined,
          worker: undefined,
        },
        { n: 2, status: 'pending', at: Number(hash.startedAt), attempt: 1, worker: hash.workedBy },
        {
          n: 3,
          status: 'done',
          at: Number(hash.finishedAt),
          attempt: undefined,
          worker: undefined,
        },
      ],
    );

    const file = join(tempDir('implicit', t), 'runs');
    const retried = (
      await apis[0]!.submit(
        'flaky',
        { file, fails: 1 },
        { backoff: { type: 'fixed', delayMs: 10 } },
      )
    ).callback;
    await apis[0]!.wait(retried);
    const record = await redis.client.hgetall(keys.job(retried));
    const log = JSON.parse(record.events!) as { n: number; status: string; attempt?: number }[];
    assert.deepEqual(
      log.map((e) => [e.n, e.status, e.attempt]),
      [
        [1, 'accepted', undefined],
        [2, 'pending', 1],
        [3, 'accepted', undefined],
        [4, 'pending', 2],
        [5, 'done', undefined],
      ],
    );
    assert.deepEqual(
      (await events(retried)).map((e) => [e.n, e.status]),
      log.map((e) => [e.n, e.status]),
    );
  });

  it('the raw stream is text/event-stream with ids, and ends after the final event', async () => {
    const { callback } = await apis[0]!.submit('hash', { text: 'sse' });
    await apis[0]!.wait(callback);
    const res = await fetch(`${urls[0]}/api/events/${callback}`);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const text = await res.text();
    assert.match(text, /^id: 1\nevent: accepted\ndata: \{/);
    assert.match(text, /id: 3\nevent: done\ndata: .*"value":\{"algorithm":"sha256"/);
    const missing = await fetch(`${urls[0]}/api/events/hash.AAAAAAAAAAAAAAAA`);
    assert.equal(missing.status, 404);
  });
});

describe('webhooks', () => {
  let server: Server;
  let port: number;
  const received: { body: string; headers: IncomingMessage['headers']; at: number }[] = [];
  let failuresLeft = 0;
  let slowAnswered = 0;

  before(async () => {
    await ensureWorker();
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ body, headers: req.headers, at: performance.now() });
        if (req.url === '/slow') {
          setTimeout(() => {
            res.writeHead(500).end();
            slowAnswered += 1;
          }, 2500);
        } else if (failuresLeft > 0) {
          failuresLeft -= 1;
          res.writeHead(500).end();
        } else res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  after(() => server.close());

  it('the final status is POSTed once, signed', async () => {
    received.length = 0;
    const { callback } = await apis[0]!.submit(
      'hash',
      { text: 'hook' },
      { callbackUrl: `http://127.0.0.1:${port}/hook` },
    );
    await until(
      'the webhook',
      () => received.length,
      (n) => n >= 1,
    );
    // Delivered and booked: a second delivery would have come before (or counted an attempt).
    await until(
      'the delivery booked',
      () => apis[0]!.status(callback),
      (s) => s.webhookStatus === 'delivered',
    );
    assert.equal(received.length, 1, 'exactly once');
    const [hook] = received;
    const body = JSON.parse(hook!.body) as {
      callback: string;
      status: string;
      value: { hex: string };
    };
    assert.equal(body.callback, callback);
    assert.equal(body.status, 'done');
    assert.equal(hook!.headers['x-workmesh-delivery'], callback);
    assert.ok(
      verifyWebhook('hook-secret', hook!.body, String(hook!.headers['x-workmesh-signature'])),
    );
    assert.equal(
      verifyWebhook('other-secret', hook!.body, String(hook!.headers['x-workmesh-signature'])),
      false,
    );
    const job = await redis.client.hgetall(`wm:{hash}:job:${callback}`);
    assert.equal(job.webhookStatus, 'delivered');
    // The status route shows it too, as docs/push.md says.
    const status = await apis[0]!.status(callback);
    assert.equal(status.webhookStatus, 'delivered');
    assert.equal(status.webhookAttempts, 1);
  });

  it('a receiver that fails twice gets the third try', async () => {
    received.length = 0;
    failuresLeft = 2;
    const { callback } = await apis[1]!.submit('boom', 'hook', {
      maxAttempts: 1,
      callbackUrl: `http://127.0.0.1:${port}/flaky`,
    });
    await until(
      'three tries',
      () => received.length,
      (n) => n >= 3,
    );
    await until(
      'the third try booked',
      () => apis[1]!.status(callback),
      (s) => s.webhookStatus === 'delivered',
    );
    assert.equal(received.length, 3);
    assert.deepEqual(
      received.map((r) => r.headers['x-workmesh-attempt']),
      ['1', '2', '3'],
    );
    assert.equal((JSON.parse(received[2]!.body) as { status: string }).status, 'failed');
    // WORKMESH_WEBHOOK_RETRY_MS=100: retries 100 and 200 ms later, not at the dispatcher's
    // 2 s idle timer (each gap was 2 s before).
    const waited = received[2]!.at - received[0]!.at;
    assert.ok(waited < 1500, `two retries took ${Math.round(waited)} ms`);
    assert.equal(
      await redis.client.hget(`wm:{boom}:job:${callback}`, 'webhookStatus'),
      'delivered',
    );
    const status = await apis[1]!.status(callback);
    assert.equal(status.webhookStatus, 'delivered');
    assert.equal(status.webhookAttempts, 3);
    assert.equal(status.webhookError, 'HTTP 500', 'why the last failed attempt failed');
  });

  it('a delivery outliving its job record does not bring the record back', async () => {
    received.length = 0;
    const { callback } = await apis[0]!.submit(
      'hash',
      { text: 'short' },
      { resultTtlSec: 1, callbackUrl: `http://127.0.0.1:${port}/slow` },
    );
    await until(
      'the slow delivery to start',
      () => received.length,
      (n) => n === 1,
    );
    const key = `wm:{hash}:job:${callback}`;
    await until(
      'the record to expire',
      () => redis.client.exists(key),
      (n) => n === 0,
      10_000,
    );
    // The receiver answers 500 after the record is gone; then the dispatcher books the try.
    const answeredBefore = slowAnswered;
    await until(
      'the slow receiver to answer',
      () => slowAnswered,
      (n) => n > answeredBefore,
    );
    await until(
      'the try booked: its webhook dropped',
      () => redis.client.zscore('wm:{hash}:webhooks', callback),
      (score) => score === null,
    );
    assert.equal(await redis.client.exists(key), 0, 'not recreated by the delivery bookkeeping');
    assert.equal(
      await redis.client.zscore('wm:{hash}:webhooks', callback),
      null,
      'its webhook dropped',
    );
  });

  it('a host that is not allowed is refused at submit and never called', async () => {
    received.length = 0;
    for (const url of [
      `http://localhost:${port}/x`,
      'ftp://127.0.0.1/x',
      `http://10.0.0.1:${port}/x`,
    ]) {
      const res = await fetch(`${urls[0]}/api/work`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'hash', data: { text: 'x' }, callbackUrl: url }),
      });
      assert.equal(res.status, 400, url);
      assert.equal(
        ((await res.json()) as { error: { code: string } }).error.code,
        'WM_ERR_WEBHOOK_NOT_ALLOWED',
      );
    }
    // An allowed one after them is delivered; nothing else is.
    const { callback } = await apis[0]!.submit(
      'hash',
      { text: 'allowed' },
      { callbackUrl: `http://127.0.0.1:${port}/allowed` },
    );
    await until(
      'the allowed delivery booked',
      () => apis[0]!.status(callback),
      (s) => s.webhookStatus === 'delivered',
    );
    assert.deepEqual(
      received.map((r) => (JSON.parse(r.body) as { callback: string }).callback),
      [callback],
    );
  });
});
