/**
 * What every system under test offers the benchmark: a producer and a worker, both in the
 * process that calls them (the benchmark puts each in its own child process), and a way to
 * count finished jobs from Redis itself, so a job that did not complete fails the run.
 */

/** The job's data: when it was enqueued (ms since the epoch), for latency. */
export interface BenchJob {
  readonly t: number;
}

export interface BenchProducer {
  /** Enqueues one job. */
  add(job: BenchJob): Promise<void>;
  /** Enqueues many jobs through the system's bulk call. */
  addBulk(jobs: readonly BenchJob[]): Promise<void>;
  close(): Promise<void>;
}

export interface BenchWorker {
  close(): Promise<void>;
}

export interface WorkerSettings {
  readonly concurrency: number;
  /** Called once per job whose result is stored, with its data. */
  readonly onDone: (job: BenchJob) => void;
}

export interface Peer {
  readonly name: PeerName;
  /**
   * via 'library': workmesh's producer API (Queue.add, through the Submitter as POST
   * /api/work); the others have one way in (BullMQ's queue.add already is its library call).
   */
  producer(redisUrl: string, via?: 'library'): Promise<BenchProducer>;
  worker(redisUrl: string, settings: WorkerSettings): Promise<BenchWorker>;
  /** Jobs completed with their result kept, read from Redis. */
  completed(redisUrl: string): Promise<number>;
  /** Jobs waiting to be claimed, read from Redis. */
  waiting(redisUrl: string): Promise<number>;
}

export type PeerName = 'workmesh' | 'bullmq' | 'beequeue';
export const PEER_NAMES: readonly PeerName[] = ['workmesh', 'bullmq', 'beequeue'];

/** The same queue name for every system; each keeps its own key prefix. */
export const QUEUE = 'noop';
/** Results kept at least this long by every system. */
export const RESULT_TTL_SEC = 600;
