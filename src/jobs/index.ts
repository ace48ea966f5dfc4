export {
  defineJob,
  UnrecoverableError,
  isUnrecoverable,
  RetryAfterError,
  retryAfterOf,
  type RetryAfterScope,
  Type,
  type JobContext,
  type ChildOutcome,
  type JobDefinition,
  type AnyJobDefinition,
  type JobSettings,
  type SetupContext,
  type JobSchedule,
  type Static,
  type TSchema,
  type JobShape,
  type JobTypeMap,
  type JobTypesOf,
  type TypesOf,
  type TypeName,
  type DataOf,
  type ValueOf,
} from './authoring.js';
export {
  JobRegistry,
  createRegistry,
  builtinJobs,
  registryOf,
  type JobDefinitions,
} from './registry.js';
export { permuteString } from './permute.js';
export { ajvWithFormats } from './input-validator.js';
export { writeDefinitionLimits } from './definition-limits.js';
