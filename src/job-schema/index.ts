export {
  JOB_STATUSES,
  FINAL_STATUSES,
  JOB_STATE_FIELDS,
  JobStateSchema,
  isFinalStatus,
  type FinalStatus,
  type JobEvent,
  type JobState,
  type JobStatus,
  type JobView,
} from './job-schema.js';
