export { startWorker, type WorkerHandle, type WorkerOptions } from './worker.js';
export type { RunnerCounts } from './queue-runner.js';
export { runCallable } from './run-callable.js';
