import type { HistoryRecorder } from '../history/index.js';
import type { Metrics } from '../metrics/index.js';
import { Producer, type Enqueued, type NewJob } from '../queue/index.js';
import { typeOfQueue, type Keys, type Redis } from '../redis/index.js';

/** A Producer that counts the jobs it queued (workmesh_jobs_accepted_total, the history). */
export class CountingProducer extends Producer {
  constructor(
    redis: Redis,
    keys: Keys,
    nodeId: string,
    private readonly metrics: Metrics,
    private readonly history: HistoryRecorder,
  ) {
    super(redis, keys, nodeId);
  }

  override async enqueue(job: NewJob): Promise<Enqueued> {
    const enqueued = await super.enqueue(job);
    if (enqueued.created) {
      const type = typeOfQueue(job.queue);
      this.metrics.accepted.inc({ type });
      this.history.accepted(type);
    }
    return enqueued;
  }
}
