/** The one way a job is submitted: checks, defaults, partition and idempotent id. */
export {
  Submitter,
  type Submission,
  type SubmitterOptions,
  type Submitted,
  type Prepared,
} from './submitter.js';
export { IDEMPOTENCY_TTL_SEC, jobFingerprint } from './job-id.js';
export { jobSettings, type JobSettingsRequest, type JobSettings } from './job-settings.js';
export {
  BackoffSchema,
  DedupeSchema,
  Group,
  IdempotencyKey,
  Priority,
  TypeName,
  WorkBody,
  checkWorkItem,
  submissionOf,
  type SubmissionBase,
  type SubmissionFallback,
  type WorkItem,
} from './work-schema.js';
