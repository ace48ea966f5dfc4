// The package's public surface: embed workmesh in your own process, or define job types.
export { loadConfig, type Config } from './config/index.js';
export { WorkmeshError, isWorkmeshError, catalogue, type ErrorCode } from './errors/index.js';
export {
  defineJob,
  createRegistry,
  JobRegistry,
  RetryAfterError,
  type RetryAfterScope,
  type JobContext,
  type JobDefinition,
  type JobDefinitions,
  type JobTypeMap,
  type JobTypesOf,
  type TypesOf,
  type TypeName,
  type DataOf,
  type ValueOf,
} from './jobs/index.js';
export {
  Queue,
  type QueueOptions,
  type QueueTypesOf,
  type AddOptions,
  type Added,
  type BulkJob,
  type BulkResult,
  type JobStateOf,
  type WaitOptions,
  type EventsOptions,
} from './producer/index.js';
export type { FollowedEvent, JobGone, CancelAnswer } from './queue/index.js';
export { definePort, type PortSpec } from './ports/index.js';
export {
  startApi,
  workmeshApi,
  type ApiHandle,
  type ApiOptions,
  type WorkmeshApiOptions,
} from './api/index.js';
export { workmeshConsole, type WorkmeshConsoleOptions } from './console/index.js';
export { startWorker, type WorkerHandle, type WorkerOptions } from './worker/index.js';
export { WorkmeshClient, type JobState, type Accepted } from './client/index.js';
export {
  ClusterNode,
  newNodeId,
  readMembers,
  type NodeInfo,
  type Member,
  type NodeGoneHook,
} from './cluster/index.js';
export { requeueGoneNode } from './queue/index.js';
export { createLogger } from './log/index.js';
export { verifyWebhook, signWebhook, webhookSigningKey } from './webhooks/index.js';
