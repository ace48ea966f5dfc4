import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { createLogger } from '../src/log/index.js';
import { Producer, StreamConsumer } from '../src/queue/index.js';
import { Keys, connectRedis } from '../src/redis/index.js';
import {
  WebhookAllowList,
  WebhookDispatcher,
  verifyWebhook,
  webhookSigningKey,
} from '../src/webhooks/index.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { until } from './helpers/wait.js';

function dnsError(code: string): Error {
  return Object.assign(new Error(`getaddrinfo ${code} hooks.example.test`), { code });
}

describe('webhook address checks', () => {
  it('refuses NAT64, 6to4, IPv4-compatible, benchmarking, multicast and reserved addresses under a wildcard', async () => {
    const allow = new WebhookAllowList(['*'], async () => [{ address: '8.8.8.8', family: 4 }]);
    for (const host of [
      '[64:ff9b::7f00:1]',
      '[64:ff9b::a00:1]',
      '[2002:7f00:1::1]',
      '[::127.0.0.1]',
      '[::a00:1]',
      '198.18.0.1',
      '198.19.255.254',
      '224.0.0.1',
      '239.255.255.250',
      '240.0.0.1',
      '255.255.255.255',
      '[ff02::1]',
    ]) {
      const verdict = allow.checkUrl(`http://${host}/hook`);
      assert.equal(verdict.ok, false, `${host} refused`);
    }
    assert.equal(allow.checkUrl('http://8.8.8.8/hook').ok, true);
    // The same addresses behind a name.
    for (const address of ['64:ff9b::7f00:1', '2002:a00:1::', '198.18.3.4', '224.1.2.3']) {
      const named = new WebhookAllowList(['*'], async () => [
        { address, family: address.includes(':') ? 6 : 4 },
      ]);
      const verdict = await named.check('https://hooks.example.test/x');
      assert.equal(verdict.ok, false, `a name resolving to ${address} is refused`);
    }
  });

  it('a transient DNS failure (EAI_AGAIN) is a failure to retry, not "does not resolve"', async () => {
    const again = new WebhookAllowList(['*'], async () => {
      throw dnsError('EAI_AGAIN');
    });
    const verdict = await again.check('https://hooks.example.test/x');
    assert.equal(verdict.ok, false);
    assert.equal(!verdict.ok && verdict.transient, true, JSON.stringify(verdict));
    const missing = new WebhookAllowList(['*'], async () => {
      throw dnsError('ENOTFOUND');
    });
    const gone = await missing.check('https://hooks.example.test/x');
    assert.equal(!gone.ok && gone.transient, false);
  });

  it('the default signing key is derived from the cluster secret, never the cluster secret itself', () => {
    const derived = webhookSigningKey(undefined, 'cluster-secret');
    assert.notEqual(derived, 'cluster-secret');
    assert.match(derived, /^[0-9a-f]{64}$/);
    assert.equal(webhookSigningKey(undefined, 'cluster-secret'), derived, 'stable');
    assert.notEqual(webhookSigningKey(undefined, 'other'), derived);
    assert.equal(webhookSigningKey('hook-secret', 'cluster-secret'), 'hook-secret');
  });
});

describe('webhook delivery', () => {
  const keys = new Keys('wm');
  let redis: TestRedis;
  let conn: Redis;
  let blocking: Redis;
  let server: Server;
  let port: number;
  const received: { body: string; headers: IncomingHttpHeaders }[] = [];

  before(async () => {
    redis = await startTestRedis();
    const log = createLogger('error');
    conn = connectRedis(redis.url, log, { name: 'hooks-test' });
    blocking = connectRedis(redis.url, log, { name: 'hooks-test-blocking', blocking: true });
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ body, headers: req.headers });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.close();
    conn.disconnect();
    blocking.disconnect();
    await redis.stop();
  });

  it('connects to the address it checked (the name is never resolved again), and retries after EAI_AGAIN', async () => {
    // hooks.example.test exists in no DNS: only the allow-list's resolver knows it. The first
    // lookup fails for a while (EAI_AGAIN), the second answers the test's server.
    const lookups: string[] = [];
    const resolver = async (host: string): Promise<LookupAddress[]> => {
      lookups.push(host);
      if (lookups.length === 1) throw dnsError('EAI_AGAIN');
      return [{ address: '127.0.0.1', family: 4 }];
    };
    const queue = 'hooked';
    const producer = new Producer(conn, keys, 'hooks-test');
    const { id } = await producer.enqueue({
      queue: queue,
      data: 1,
      resultTtlSec: 600,
      maxAttempts: 1,
      webhook: `http://hooks.example.test:${port}/hook`,
    });
    const consumer = new StreamConsumer(conn, blocking, keys, queue, 'hooks-worker', {
      deadTtlSec: 600,
      maxRecoveries: 2,
    });
    await consumer.ensureGroup();
    const [job] = await consumer.claimOrWait(1, 1000);
    assert.equal(await consumer.finish(job!, { kind: 'done', json: '"ok"' }), 'done');
    const secret = webhookSigningKey(undefined, 'cluster-secret');
    const dispatcher = new WebhookDispatcher({
      redis: conn,
      keys,
      queues: () => [queue],
      allow: new WebhookAllowList(['hooks.example.test'], resolver),
      secret,
      retryMs: 50,
      log: createLogger('error'),
    });
    dispatcher.start();
    try {
      await until(
        'the webhook to be delivered',
        () => conn.hget(keys.job(id), 'webhookStatus'),
        (s) => s !== null,
        15_000,
      );
    } finally {
      dispatcher.stop();
    }
    assert.equal(await conn.hget(keys.job(id), 'webhookStatus'), 'delivered');
    assert.equal(await conn.hget(keys.job(id), 'webhookAttempts'), '2');
    assert.equal(lookups.length, 2, 'one lookup per attempt, none by the request itself');
    assert.equal(received.length, 1);
    const hook = received[0]!;
    assert.equal(hook.headers.host, `hooks.example.test:${port}`);
    assert.ok(verifyWebhook(secret, hook.body, String(hook.headers['x-workmesh-signature'])));
    assert.ok(
      !verifyWebhook('cluster-secret', hook.body, String(hook.headers['x-workmesh-signature'])),
    );
  });
});
