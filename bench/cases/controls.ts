/**
 * The queue-control cases (workmesh only: the peers' priorities and rate limiters differ too
 * much to compare one to one): a drain with priorities in use, and a drain of a rate-limited
 * type. Both fill the queue from this process through workmesh's Producer, then drain it with
 * one worker process (concurrency 100), as drain1 does for plain jobs.
 */
import { createLogger } from '../../src/log/index.js';
import { Producer } from '../../src/queue/index.js';
import { Keys, connectRedis } from '../../src/redis/index.js';
import { loadPeer } from '../peers/index.js';
import { QUEUE } from '../peers/types.js';
import type { BenchRedis } from '../redis.js';
import { Child, untilCounted } from '../spawn.js';

const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_MS ?? 120_000);
const keys = new Keys('wm');

async function fill(redis: BenchRedis, jobs: number, priorities: boolean): Promise<void> {
  const conn = connectRedis(redis.url, createLogger('error'), { name: 'bench-controls' });
  const producer = new Producer(conn, keys, 'bench-controls');
  for (let done = 0; done < jobs; done += 1000) {
    await Promise.all(
      Array.from({ length: Math.min(1000, jobs - done) }, (_, i) =>
        producer.enqueue({
          queue: QUEUE,
          data: { t: Date.now() },
          resultTtlSec: 3600,
          maxAttempts: 3,
          // Every job placed: -10..10 spread evenly, no plain job among them.
          ...(priorities ? { priority: ((done + i) % 21) - 10 } : {}),
        }),
      ),
    );
  }
  await conn.quit();
}

async function drain(redis: BenchRedis, jobs: number): Promise<number> {
  const worker = await Child.start({
    role: 'worker',
    peer: 'workmesh',
    redisUrl: redis.url,
    concurrency: 100,
  });
  const start = performance.now();
  worker.go();
  await untilCounted([worker], jobs, TIMEOUT_MS);
  const elapsed = performance.now() - start;
  await worker.stop();
  const done = await (await loadPeer('workmesh')).completed(redis.url);
  if (done !== jobs) throw new Error(`controls case: ${done} jobs completed, expected ${jobs}`);
  return (jobs * 1000) / elapsed;
}

/** Jobs per second drained by one worker process from a queue whose jobs all have a priority. */
export async function drainPriorities(redis: BenchRedis, jobs: number): Promise<number> {
  await redis.flush();
  await fill(redis, jobs, true);
  return drain(redis, jobs);
}

/**
 * Jobs per second drained by one worker process from a type limited to `perSec` starts a
 * second (sliding window): the figure to read is how close it stays to the limit.
 */
export async function drainRated(redis: BenchRedis, jobs: number, perSec: number): Promise<number> {
  await redis.flush();
  const conn = connectRedis(redis.url, createLogger('error'), { name: 'bench-controls' });
  await conn.hset(keys.controls(QUEUE), { rateMax: perSec, ratePerMs: 1000, gated: 1 });
  await conn.quit();
  await fill(redis, jobs, false);
  return drain(redis, jobs);
}
