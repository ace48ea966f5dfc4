export { startWorker, type WorkerHandle, type WorkerOptions } from './start.js';
export { startRunners, type Runners, type RunnersOptions } from './worker.js';
export type { ProcessorCounts } from './queue-processor.js';
export { runCallable } from './run-callable.js';
