import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { createLogger } from '../src/log/index.js';
import { Producer, StreamConsumer, type ClaimedJob } from '../src/queue/index.js';
import { Keys, connectRedis } from '../src/redis/index.js';
import { buildTestApi, type InProcessApi } from './helpers/api.js';
import { ON_CLUSTER, startTestRedis, type TestRedis } from './helpers/redis.js';

// GET /api/events/<id> must end with the job's final event: not hang when the watcher's
// pub/sub connection drops (pub/sub does not replay), and not say `gone` for a live job when
// a read fails for a while.
const QUEUE = 'permute';
const keys = new Keys('wm');
let redis: TestRedis;
let api: InProcessApi;
let baseUrl: string;
let conn: Redis;
let blocking: Redis;
let producer: Producer;
let consumer: StreamConsumer;

before(async () => {
  redis = await startTestRedis();
  // A short Redis timeout: a paused Redis fails the stream's reads within the test.
  api = await buildTestApi(redis.url, {}, { watch: true, redisTimeoutMs: 300 });
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
  const log = createLogger('error');
  conn = connectRedis(redis.url, log, { name: 'events-test' });
  blocking = connectRedis(redis.url, log, { name: 'events-test-blocking', blocking: true });
  producer = new Producer(conn, keys, 'events-test');
  consumer = new StreamConsumer(conn, blocking, keys, QUEUE, 'events-worker', {
    deadTtlSec: 3600,
    maxRecoveries: 2,
  });
  await consumer.ensureGroup();
});
after(async () => {
  await api.close();
  conn.disconnect();
  blocking.disconnect();
  await redis.stop();
});

async function runningJob(): Promise<ClaimedJob> {
  const { id } = await producer.enqueue({
    queue: QUEUE,
    data: { text: 'abc' },
    resultTtlSec: 600,
    maxAttempts: 1,
  });
  const jobs = await consumer.claimOrWait(1, 1000);
  assert.equal(jobs[0]?.id, id);
  return jobs[0];
}

/**
 * Opens the job's event stream; calls onEvent with each event's name; answers every name once
 * the server ends the stream (or throws after timeoutMs: a stream that hangs).
 */
async function readStream(
  id: string,
  onEvent: (name: string) => void,
  timeoutMs = 15_000,
): Promise<string[]> {
  const res = await fetch(`${baseUrl}/api/events/${id}`, {
    signal: AbortSignal.timeout(timeoutMs),
  });
  assert.equal(res.status, 200);
  const names: string[] = [];
  let text = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body!) {
    text += decoder.decode(chunk as Uint8Array, { stream: true });
    let end: number;
    while ((end = text.indexOf('\n\n')) >= 0) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const name = /^event: (.*)$/m.exec(block)?.[1];
      if (name) {
        names.push(name);
        onEvent(name);
      }
    }
  }
  return names;
}

describe('server-sent events', { skip: ON_CLUSTER && 'kills and pauses one redis-server' }, () => {
  it("the stream ends with the final event even when it was published while the watcher's connection was down", async () => {
    const job = await runningJob();
    let onPending: () => void = () => undefined;
    const pending = new Promise<void>((resolve) => (onPending = resolve));
    const stream = readStream(job.id, (name) => name === 'pending' && onPending());
    await pending;
    // Kill the watcher's connection, and finish the job at once: it reconnects after its
    // retry delay, too late to hear the final event, which pub/sub does not replay.
    const killed = await redis.client.client('KILL', 'TYPE', 'pubsub');
    assert.equal(killed, 1, "the watcher's connection was killed");
    assert.equal(await consumer.finish(job, { kind: 'done', json: '"cba"' }), 'done');
    const names = await stream;
    assert.deepEqual(names.slice(-1), ['done']);
  });

  it('a read that fails for a while (Redis paused past the API timeout) never says `gone`: the stream goes on to the final event', async () => {
    const job = await runningJob();
    let onPending: () => void = () => undefined;
    const pending = new Promise<void>((resolve) => (onPending = resolve));
    const stream = readStream(job.id, (name) => name === 'pending' && onPending());
    await pending;
    // The final event is published, then Redis pauses every client for 1.5 s: the stream's
    // read of the job times out (300 ms), maybe more than once, before it succeeds.
    const finished = consumer.finish(job, { kind: 'done', json: '"cba"' });
    const paused = conn.client('PAUSE', 1500, 'ALL');
    assert.equal(await finished, 'done');
    await paused;
    const names = await stream;
    assert.ok(!names.includes('gone'), `events: ${names.join(', ')}`);
    assert.deepEqual(names.slice(-1), ['done']);
  });
});
