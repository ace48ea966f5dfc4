export {
  JOB_STATE_FIELDS,
  JobStateSchema,
  type JobEvent,
  type JobState,
  type JobView,
} from './job-schema.js';
export {
  JOB_STATUSES,
  FINAL_STATUSES,
  isFinalStatus,
  type FinalStatus,
  type JobStatus,
} from './statuses.js';
