export { Producer, type NewJob, type Enqueued } from './producer.js';
export { CountingProducer } from './counting-producer.js';
export {
  StreamConsumer,
  type ClaimedJob,
  type ConsumerLimits,
  type Outcome,
  type FinishResult,
} from './stream-consumer.js';
export {
  PRIORITY_MIN,
  PRIORITY_MAX,
  GROUP_RE,
  DEDUPE_KEY_MAX_CHARS,
  DEDUPE_TTL_MAX_SEC,
  DEDUPE_MODES,
  checkPriority,
  checkGroup,
  checkDedupe,
  dedupeRuleProblem,
  dedupeFromRule,
  type Dedupe,
  type DedupeMode,
  type DedupeRule,
} from './job-controls.js';
export { retryDelayMs, type Backoff, type JobOptions } from './job-options.js';
export {
  getJob,
  getJobStatus,
  queueCounts,
  queueFigures,
  type QueueCounts,
  type QueueFigures,
} from './read.js';
export { jobFromHash, JOB_FIELDS } from './job-record.js';
export { oldestWaitingSince } from './oldest-waiting.js';
export { TurnBatcher } from './turn-batcher.js';
export {
  cancelJob,
  listDead,
  reviveDead,
  buryDead,
  pruneDead,
  countDead,
  type CancelOutcome,
  type DeadPage,
} from './admin.js';
export {
  listJobs,
  trimJobsIndex,
  encodeCursor,
  decodeCursor,
  type JobsQuery,
  type JobsPage,
  type JobsCursor,
  type DataFilter,
} from './list-jobs.js';
export {
  actOnJobs,
  JOB_ACTIONS,
  MAX_ACTION_IDS,
  type JobAction,
  type ActionResult,
} from './job-actions.js';
export { requeueHeldBy, requeueEntries, requeueGoneNode, type HeldEntry } from './requeue.js';
export { JobWatcher, RESYNC, type JobEventListener } from './job-watcher.js';
export {
  checkLimits,
  shareOf,
  LIMIT_NAMES,
  MAX_LIMIT,
  MAX_PER_MS,
  type QueueLimits,
  type RateLimit,
  type LimitsChange,
} from './limits.js';
export {
  pauseQueues,
  resumeQueues,
  setQueueLimits,
  readLimits,
  applyDefinitionLimits,
  type LimitsSource,
  type StoredLimits,
} from './controls.js';
export { readQueueState, type QueueState, type HeldBack } from './queue-state.js';
export { checkedId } from './job-id.js';
export { cancelById, type CancelAnswer } from './cancel.js';
export { followJob, type FollowedEvent, type FollowOptions, type JobGone } from './follow.js';
