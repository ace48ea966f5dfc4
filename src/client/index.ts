export { WorkmeshClient, type ClientOptions } from './client.js';
export type { JobEventMessage } from './sse.js';
export {
  FINAL_STATUSES,
  type Accepted,
  type Cancelled,
  type DeadPage,
  type FlowAccepted,
  type FlowNode,
  type FlowTree,
  type BatchState,
  type JobState,
  type JobStatus,
  type SubmitOptions,
  type WaitOptions,
} from './types.js';
export { WorkmeshError, isWorkmeshError, type ErrorCode } from '../errors/index.js';
