export { WorkmeshClient, type ClientOptions, type StatusOptions } from './client.js';
export type { CallOptions } from './http.js';
export type { EventsOptions } from './event-stream.js';
export type { JobEventMessage } from './sse.js';
export type { NameOf, DataFor, ValueFor, JobId, Submitted, StateOf, BatchItem } from './typed.js';
export type { JobTypeMap, JobTypesOf, TypesOf } from '../jobs/index.js';
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
