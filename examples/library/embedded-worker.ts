/**
 * A worker embedded in a process that already does something else (here: a small HTTP health
 * server). startWorker() gives it everything `workmesh worker` has: it joins the cluster, runs
 * the job types of jobs.ts, answers cancel messages and the console's drain, resume and stop,
 * fires schedules, serves metrics when WORKMESH_METRICS_PORT is set. SIGTERM stops it gently.
 *
 *   REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/library/embedded-worker.ts
 */
import { createServer } from 'node:http';
import { loadConfig, startWorker } from 'workmesh';
import jobs from './jobs.js';

// The application's own work: a health endpoint, say.
const health = createServer((_request, response) => response.end('ok\n'));
await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));

// Settings from the environment (REDIS_URL, WORKMESH_CONCURRENCY, ...), as the CLI reads them.
const config = loadConfig(process.env);
const worker = await startWorker({ config, jobs });
console.log(`worker ${worker.nodeId} runs ${worker.types.join(', ')}`);

process.once('SIGTERM', () => {
  // Stop claiming, let running jobs finish (WORKMESH_SHUTDOWN_GRACE_MS), leave the cluster.
  void worker.stop().then(() => {
    health.close();
    console.log('worker stopped');
  });
});
