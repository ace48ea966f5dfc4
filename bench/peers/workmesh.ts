import { Redis } from 'ioredis';
import { Queue, createLogger, loadConfig } from '../../src/index.js';
import { startRunners } from '../../src/worker/index.js';
import { JobRegistry, createRegistry } from '../../src/jobs/index.js';
import { Producer } from '../../src/queue/index.js';
import { Keys, connectRedis } from '../../src/redis/index.js';
import { QUEUE, RESULT_TTL_SEC, type BenchJob, type Peer } from './types.js';

const NOOP_MODULE = new URL('./noop-job.ts', import.meta.url).pathname;

function config(redisUrl: string, concurrency = 100) {
  return loadConfig({
    REDIS_URL: redisUrl,
    WORKMESH_TYPES: QUEUE,
    WORKMESH_JOBS: NOOP_MODULE,
    WORKMESH_CONCURRENCY: String(concurrency),
    WORKMESH_RESULT_TTL_SEC: String(RESULT_TTL_SEC),
    WORKMESH_LOG_LEVEL: 'error',
  });
}

/**
 * workmesh through its own classes: the Producer the API uses (or, via 'library', the producer
 * API's Queue), the runners `workmesh worker` runs (without its cluster node).
 */
export const workmesh: Peer = {
  name: 'workmesh',

  async producer(redisUrl, via) {
    const cfg = config(redisUrl);
    if (via === 'library') {
      // The producer API: the job registry's checks, the defaults and the id as POST /api/work.
      const queue = new Queue({
        jobs: await createRegistry(cfg, cfg.jobModules),
        config: cfg,
        log: createLogger('error'),
      });
      await queue.redis.ping();
      return {
        add: async (j) => void (await queue.add(QUEUE, j)),
        addBulk: async (jobs) =>
          void (await queue.addBulk(jobs.map((data) => ({ type: QUEUE, data })))),
        close: () => queue.close(),
      };
    }
    const redis = connectRedis(redisUrl, createLogger('error'), { name: 'bench-producer' });
    await redis.ping(); // connected before it says ready, as the others wait for theirs
    const producer = new Producer(redis, new Keys(cfg.prefix), 'bench-producer');
    const job = (j: BenchJob) => ({
      queue: QUEUE,
      data: j,
      resultTtlSec: cfg.resultTtlSec,
      maxAttempts: cfg.maxAttempts,
    });
    return {
      add: async (j) => void (await producer.enqueue(job(j))),
      // One turn's enqueues are one script call: the bulk path is simply many at once.
      addBulk: async (jobs) => void (await Promise.all(jobs.map((j) => producer.enqueue(job(j))))),
      close: async () => {
        await producer.drain();
        await redis.quit();
      },
    };
  },

  async worker(redisUrl, { concurrency, onDone }) {
    const cfg = config(redisUrl, concurrency);
    const registry = await createRegistry(cfg, cfg.jobModules);
    const started = new Map<string, BenchJob>();
    const def = registry.get(QUEUE)!;
    // Remember each job's data by id, to hand it to onDone once its result is written.
    const wrapped = new JobRegistry();
    wrapped.add({
      ...def,
      handler: (data: BenchJob, ctx) => {
        started.set(ctx.id, data);
        return def.handler(data, ctx);
      },
    });
    const handle = await startRunners({
      config: cfg,
      registry: wrapped,
      nodeId: `bench-worker-${process.pid}`,
      log: createLogger('error'),
      onFinished: (id, result) => {
        const data = started.get(id);
        started.delete(id);
        if (result === 'done' && data) onDone(data);
      },
    });
    return { close: () => handle.stop(1000) };
  },

  async completed(redisUrl) {
    const redis = new Redis(redisUrl);
    const [, stats] = new Keys(config(redisUrl).prefix).queue(QUEUE);
    const done = await redis.hget(stats, 'done');
    await redis.quit();
    return Number(done ?? 0);
  },

  async waiting(redisUrl) {
    const redis = new Redis(redisUrl);
    const [stream] = new Keys(config(redisUrl).prefix).queue(QUEUE);
    const n = await redis.xlen(stream);
    await redis.quit();
    return n;
  },
};
