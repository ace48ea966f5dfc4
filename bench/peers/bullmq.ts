import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUE, RESULT_TTL_SEC, type BenchJob, type Peer } from './types.js';

function connection(redisUrl: string) {
  const { hostname, port } = new URL(redisUrl);
  return { host: hostname, port: Number(port), maxRetriesPerRequest: null };
}

// Results kept for RESULT_TTL_SEC, as workmesh keeps them; failures kept too.
const jobOptions = { removeOnComplete: { age: RESULT_TTL_SEC }, removeOnFail: false } as const;

/** BullMQ 6.7.0 with its defaults (at-least-once: stalled jobs are moved back to wait). */
export const bullmq: Peer = {
  name: 'bullmq',

  async producer(redisUrl) {
    const queue = new Queue<BenchJob>(QUEUE, {
      connection: connection(redisUrl),
      defaultJobOptions: jobOptions,
    });
    await queue.waitUntilReady();
    return {
      add: async (j) => void (await queue.add('noop', j)),
      addBulk: async (jobs) =>
        void (await queue.addBulk(jobs.map((data) => ({ name: 'noop', data })))),
      close: () => queue.close(),
    };
  },

  async worker(redisUrl, { concurrency, onDone }) {
    const worker = new Worker<BenchJob, string>(QUEUE, () => Promise.resolve('ok'), {
      connection: connection(redisUrl),
      concurrency,
      removeOnComplete: { age: RESULT_TTL_SEC },
      removeOnFail: { count: 1_000_000 },
    });
    worker.on('completed', (job) => onDone(job.data));
    await worker.waitUntilReady();
    return { close: () => worker.close() };
  },

  async completed(redisUrl) {
    const redis = new Redis(redisUrl);
    const n = await redis.zcard(`bull:${QUEUE}:completed`);
    await redis.quit();
    return n;
  },

  async waiting(redisUrl) {
    const redis = new Redis(redisUrl);
    const n = await redis.llen(`bull:${QUEUE}:wait`);
    await redis.quit();
    return n;
  },
};
