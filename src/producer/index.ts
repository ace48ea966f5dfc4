/** The producer API: add, read, wait for and cancel jobs from the application's own process. */
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
} from './queue.js';
