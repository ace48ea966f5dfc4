export { Producer, type NewJob, type Enqueued } from './producer.js';
export { QueueConsumer, type ClaimedJob, type Outcome } from './consumer.js';
export { getJob, queueCounts, type QueueCounts } from './read.js';
export { jobFromHash, JOB_FIELDS, type JobStatus, type JobView } from './job-record.js';
export { TurnBatcher } from './turn-batcher.js';
export { requeueHeldBy, requeueEntries, type HeldEntry } from './requeue.js';
