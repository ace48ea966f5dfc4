import BeeQueue from 'bee-queue';
import { Redis } from 'ioredis';
import { QUEUE, type BenchJob, type Peer } from './types.js';

function redisOptions(redisUrl: string) {
  const { hostname, port } = new URL(redisUrl);
  return { host: hostname, port: Number(port) };
}

// Jobs and their success kept (storeJobs, removeOnSuccess false: Bee-Queue keeps no TTL, so
// "at least 10 minutes" holds); stalled jobs retried (at-least-once); no delayed-job timers.
const common = {
  storeJobs: true,
  removeOnSuccess: false,
  removeOnFailure: false,
  activateDelayedJobs: false,
} as const;

/** Bee-Queue 2.0.0. */
export const beequeue: Peer = {
  name: 'beequeue',

  async producer(redisUrl) {
    const queue = new BeeQueue<BenchJob>(QUEUE, {
      ...common,
      redis: redisOptions(redisUrl),
      isWorker: false,
      getEvents: false,
    });
    await queue.ready();
    return {
      add: async (j) => void (await queue.createJob(j).save()),
      addBulk: async (jobs) => void (await queue.saveAll(jobs.map((j) => queue.createJob(j)))),
      close: () => queue.close(),
    };
  },

  async worker(redisUrl, { concurrency, onDone }) {
    const queue = new BeeQueue<BenchJob>(QUEUE, {
      ...common,
      redis: redisOptions(redisUrl),
      isWorker: true,
      getEvents: false,
      sendEvents: true,
    });
    queue.on('succeeded', (job: BeeQueue.Job<BenchJob>) => onDone(job.data));
    queue.process(concurrency, () => Promise.resolve('ok'));
    await queue.ready();
    return { close: () => queue.close() };
  },

  async completed(redisUrl) {
    const redis = new Redis(redisUrl);
    const n = await redis.scard(`bq:${QUEUE}:succeeded`);
    await redis.quit();
    return n;
  },

  async waiting(redisUrl) {
    const redis = new Redis(redisUrl);
    const n = await redis.llen(`bq:${QUEUE}:waiting`);
    await redis.quit();
    return n;
  },
};
