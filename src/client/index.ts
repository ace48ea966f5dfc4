export { WorkmeshClient, type ClientOptions } from './client.js';
export type { JobEventMessage } from './sse.js';
export {
  jobsQueryString,
  pointInTime,
  type JobsQuery,
  type JobsPage,
  type JobAction,
  type JobActionAnswer,
} from './jobs-query.js';
export {
  FINAL_STATUSES,
  type Accepted,
  type BatchAnswer,
  type BatchJob,
  type BatchResult,
  type Cancelled,
  type DeadPage,
  type FlowAccepted,
  type FlowNode,
  type FlowTree,
  type BatchState,
  type JobState,
  type JobStatus,
  type ScheduleSpec,
  type ScheduleView,
  type SubmitOptions,
  type WaitOptions,
  type QueueState,
  type QueueLimits,
  type LimitsChange,
  type RateLimit,
  type HeldBack,
} from './types.js';
export { WorkmeshError, isWorkmeshError, type ErrorCode } from '../errors/index.js';
