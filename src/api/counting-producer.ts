import type { Metrics } from '../metrics/index.js';
import { Producer, type Enqueued, type NewJob } from '../queue/index.js';
import { typeOfQueue, type Keys, type Redis } from '../redis/index.js';

/** A Producer that counts the jobs it queued (workmesh_jobs_accepted_total). */
export class CountingProducer extends Producer {
  constructor(
    redis: Redis,
    keys: Keys,
    nodeId: string,
    private readonly metrics: Metrics,
  ) {
    super(redis, keys, nodeId);
  }

  override async enqueue(job: NewJob): Promise<Enqueued> {
    const enqueued = await super.enqueue(job);
    if (enqueued.created) this.metrics.accepted.inc({ type: typeOfQueue(job.queue) });
    return enqueued;
  }
}
