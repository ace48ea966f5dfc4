export { startWorker, type WorkerHandle, type WorkerOptions } from './worker.js';
export type { ProcessorCounts } from './queue-processor.js';
export { runCallable } from './run-callable.js';
