import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { WorkmeshClient } from '../src/client/index.js';
import { createLogger } from '../src/log/index.js';
import { Producer, StreamConsumer } from '../src/queue/index.js';
import { Keys, connectRedis } from '../src/redis/index.js';
import { WebhookAllowList, WebhookDispatcher } from '../src/webhooks/index.js';
import { FAST_CLUSTER } from './helpers/cluster.js';
import { ROOT, startApiProcess, startWorkerProcess, stopAll } from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { until } from './helpers/wait.js';

/**
 * docs/push.md "Webhooks", the promises test/webhooks.test.ts and test/push.test.ts leave
 * open: the allow-list and where the host resolves are checked again before each delivery,
 * redirects are not followed, wildcard entries, 8 failed tries end `failed`, and a delivery
 * still pending survives an API restart.
 */
const keys = new Keys('wm');
let redis: TestRedis;
let conn: Redis;
let blocking: Redis;
let server: Server;
let port: number;
/** What the receiver got: path and X-Workmesh-Attempt. */
const received: { path: string; attempt: string }[] = [];
/** How the receiver answers POST /hook. */
let answer: (res: ServerResponse) => void = (res) => res.writeHead(204).end();

before(async () => {
  redis = await startTestRedis();
  const log = createLogger('silent');
  conn = connectRedis(redis.url, log, { name: 'hooks-delivery-test' });
  blocking = connectRedis(redis.url, log, { name: 'hooks-delivery-blocking', blocking: true });
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push({ path: req.url ?? '', attempt: String(req.headers['x-workmesh-attempt']) });
      if (req.url === '/hook') answer(res);
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  await stopAll();
  server.close();
  conn.disconnect();
  blocking.disconnect();
  await redis.stop();
});

let queueCount = 0;

/** A final job of a fresh queue with this webhook, as finish.lua leaves it: due for delivery. */
async function finishedWithWebhook(url: string): Promise<{ queue: string; id: string }> {
  const queue = `hooked${(queueCount += 1)}`;
  const { id } = await new Producer(conn, keys, 'hooks-test').enqueue({
    queue: queue,
    data: 1,
    resultTtlSec: 600,
    maxAttempts: 1,
    webhook: url,
  });
  const consumer = new StreamConsumer(conn, blocking, keys, queue, 'hooks-worker', {
    deadTtlSec: 600,
    maxRecoveries: 2,
  });
  await consumer.ensureGroup();
  const [job] = await consumer.claimOrWait(1, 1000);
  assert.equal(await consumer.finish(job!, { kind: 'done', json: '"ok"' }), 'done');
  return { queue, id };
}

/** Runs a dispatcher until the job's webhook has a final status; answers the job's fields. */
async function deliver(
  queue: string,
  id: string,
  allow: WebhookAllowList,
): Promise<Record<string, string>> {
  const dispatcher = new WebhookDispatcher({
    redis: conn,
    keys,
    queues: () => [queue],
    allow,
    secret: 'hook-secret',
    retryMs: 10,
    log: createLogger('silent'),
  });
  dispatcher.start();
  try {
    await until(
      'the webhook to be delivered or given up',
      () => conn.hget(keys.job(id), 'webhookStatus'),
      (s) => s !== null,
    );
  } finally {
    dispatcher.stop();
  }
  return conn.hgetall(keys.job(id));
}

const resolvesTo = (address: string) => async (): Promise<LookupAddress[]> => [
  { address, family: 4 },
];

describe('webhook checks at delivery', () => {
  it('a host taken off the allow-list since submit is never called: failed at once', async () => {
    received.length = 0;
    const { queue, id } = await finishedWithWebhook(`http://127.0.0.1:${port}/hook`);
    const job = await deliver(queue, id, new WebhookAllowList(['hooks.example.test']));
    assert.equal(job.webhookStatus, 'failed');
    assert.equal(job.webhookAttempts, '1');
    assert.match(job.webhookError!, /host 127\.0\.0\.1 is not in WORKMESH_WEBHOOK_ALLOW/);
    assert.deepEqual(received, []);
  });

  it('a name allowed by a wildcard that resolves to an internal address at delivery is never called', async () => {
    received.length = 0;
    // Allowed at submit (a public address then); by delivery the name points inside.
    const submitCheck = new WebhookAllowList(['*.example.test'], resolvesTo('93.184.216.34'));
    const url = `http://hooks.example.test:${port}/hook`;
    assert.equal((await submitCheck.check(url)).ok, true);
    const { queue, id } = await finishedWithWebhook(url);
    const job = await deliver(
      queue,
      id,
      new WebhookAllowList(['*.example.test'], resolvesTo('127.0.0.1')),
    );
    assert.equal(job.webhookStatus, 'failed');
    assert.match(job.webhookError!, /resolves to the internal address 127\.0\.0\.1/);
    assert.deepEqual(received, []);
  });

  it('wildcard entries: any depth below the domain, never the domain itself or a look-alike', () => {
    const allow = new WebhookAllowList(['*.Example.test']);
    for (const host of ['a.example.test', 'a.b.example.test', 'A.EXAMPLE.TEST'])
      assert.equal(allow.checkUrl(`https://${host}/x`).ok, true, host);
    for (const host of ['example.test', 'evilexample.test', 'example.test.evil.com', 'x.test'])
      assert.equal(allow.checkUrl(`https://${host}/x`).ok, false, host);
    // Under a wildcard an internal IP is refused; named exactly, it is allowed.
    assert.equal(new WebhookAllowList(['*']).checkUrl('http://127.0.0.1/x').ok, false);
    assert.equal(new WebhookAllowList(['*', '127.0.0.1']).checkUrl('http://127.0.0.1/x').ok, true);
  });
});

describe('webhook retries', () => {
  it('a redirect is not followed: it is a failed try; 8 failed tries end `failed`', async () => {
    received.length = 0;
    answer = (res) => res.writeHead(302, { location: `http://127.0.0.1:${port}/moved` }).end();
    try {
      const { queue, id } = await finishedWithWebhook(`http://127.0.0.1:${port}/hook`);
      const job = await deliver(queue, id, new WebhookAllowList(['127.0.0.1']));
      assert.equal(job.webhookStatus, 'failed');
      assert.equal(job.webhookAttempts, '8');
      assert.equal(job.webhookError, '8 attempts failed; last: HTTP 302');
      assert.deepEqual(
        received.map((r) => `${r.path} ${r.attempt}`),
        ['1', '2', '3', '4', '5', '6', '7', '8'].map((a) => `/hook ${a}`),
        'never /moved, never a ninth try',
      );
      assert.equal(await conn.zscore(keys.webhooks(queue), id), null, 'no longer scheduled');
    } finally {
      answer = (res) => res.writeHead(204).end();
    }
  });

  it('a delivery still pending survives an API restart: the next API delivers it', async () => {
    received.length = 0;
    answer = (res) => res.writeHead(500).end();
    const env = {
      ...FAST_CLUSTER,
      WORKMESH_JOBS: join(ROOT, 'test/fixtures/jobs.ts'),
      WORKMESH_WEBHOOK_ALLOW: '127.0.0.1',
      WORKMESH_WEBHOOK_RETRY_MS: '1000',
    };
    const first = startApiProcess(redis.url, env);
    const client = new WorkmeshClient({ baseUrl: (await first.ready).url! });
    const worker = startWorkerProcess(redis.url, { ...env, WORKMESH_TYPES: 'boom' });
    await worker.ready;
    const { callback } = await client.submit('boom', 'x', {
      maxAttempts: 1,
      callbackUrl: `http://127.0.0.1:${port}/hook`,
    });
    const jobKey = `wm:{boom}:job:${callback}`;
    await until(
      'the first try to fail',
      () => conn.hget(jobKey, 'webhookAttempts'),
      (a) => a === '1',
    );
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);
    answer = (res) => res.writeHead(204).end();
    const second = startApiProcess(redis.url, env);
    await second.ready;
    await until(
      'the delivery',
      () => conn.hget(jobKey, 'webhookStatus'),
      (s) => s !== null,
    );
    assert.equal(await conn.hget(jobKey, 'webhookStatus'), 'delivered');
    assert.equal(await conn.hget(jobKey, 'webhookAttempts'), '2');
    assert.deepEqual(
      received.map((r) => r.attempt),
      ['1', '2'],
    );
  });
});
