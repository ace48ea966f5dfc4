import { typeOfQueue, type Keys, type Redis } from '../redis/index.js';
import { Producer, type Enqueued, type NewJob } from './producer.js';

/**
 * A Producer that tells `counted` the type of each job it created (a resend of a known job is
 * not counted): the API counts them in workmesh_jobs_accepted_total and the metrics history,
 * the console in the history.
 */
export class CountingProducer extends Producer {
  constructor(
    redis: Redis,
    keys: Keys,
    nodeId: string,
    private readonly counted: (type: string) => void,
  ) {
    super(redis, keys, nodeId);
  }

  override async enqueue(job: NewJob): Promise<Enqueued> {
    const enqueued = await super.enqueue(job);
    if (enqueued.created) this.counted(typeOfQueue(job.queue));
    return enqueued;
  }
}
