/**
 * Redis memory (INFO used_memory) per waiting job and per finished job kept with its result,
 * each scaled to 100,000 jobs: on an empty Redis, fill the queue, read; drain it, read.
 */
import { loadPeer, type PeerName } from '../peers/index.js';
import type { BenchRedis } from '../redis.js';
import { Child, untilCounted } from '../spawn.js';
import { prefill } from './queue.js';

export interface MemoryFigures {
  /** Bytes per 100,000 jobs. */
  readonly waiting: number;
  readonly finished: number;
}

export async function memoryRun(
  redis: BenchRedis,
  peer: PeerName,
  jobs: number,
): Promise<MemoryFigures> {
  await redis.flush();
  const empty = await redis.usedMemory();
  await prefill({ redis, peer }, jobs);
  const waiting = await redis.usedMemory();
  const worker = await Child.start({ role: 'worker', peer, redisUrl: redis.url, concurrency: 100 });
  worker.go();
  await untilCounted([worker], jobs, 300_000);
  await worker.stop();
  const completed = await (await loadPeer(peer)).completed(redis.url);
  if (completed !== jobs)
    throw new Error(`${peer} memory run: ${completed} of ${jobs} jobs completed`);
  const finished = await redis.usedMemory();
  const per100k = (bytes: number) => (bytes * 100_000) / jobs;
  return { waiting: per100k(waiting - empty), finished: per100k(finished - empty) };
}
