export {
  defineJob,
  type JobContext,
  type JobDefinition,
  type AnyJobDefinition,
  type JobSettings,
  type SetupContext,
} from './define.js';
export { JobRegistry, createRegistry, builtinJobs } from './registry.js';
export { permuteString } from './permute.js';
export { UnrecoverableError, isUnrecoverable } from './errors.js';
