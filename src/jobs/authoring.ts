/**
 * What a job module imports (`workmesh/jobs`): defining job types and their input schemas.
 * Kept free of Redis and the runtime, so it loads the same from an ES module or from a
 * CommonJS project's TypeScript compiled on the fly, and costs nothing to import.
 */
export {
  defineJob,
  type JobContext,
  type ChildOutcome,
  type JobDefinition,
  type AnyJobDefinition,
  type JobSettings,
  type SetupContext,
  type JobSchedule,
} from './define.js';
export {
  UnrecoverableError,
  isUnrecoverable,
  RetryAfterError,
  retryAfterOf,
  type RetryAfterScope,
} from './errors.js';
export type {
  JobShape,
  JobTypeMap,
  JobTypesOf,
  TypesOf,
  TypeName,
  DataOf,
  ValueOf,
} from './type-map.js';
// Input schemas are written with TypeBox: from here, nothing else to install.
export { Type, type Static, type TSchema } from '@sinclair/typebox';
