import { newNodeId } from '../../cluster/index.js';
import { createLogger } from '../../log/index.js';
import { startWorker } from '../../worker/index.js';
import type { Command } from '../command.js';
import { stopOnSignals, stopSelf, tellParent } from '../lifecycle.js';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'Run a worker: claims jobs from the Redis queues and runs their handlers.',
  usage: 'worker [options]',
  description:
    'Start as many as you like, on any machine that reaches the same Redis. Each worker is a cluster node: it registers, heartbeats, and answers calls (ping, info, stats, run, drain, stop). On SIGTERM it stops claiming, lets running jobs finish (WORKMESH_SHUTDOWN_GRACE_MS), hands the rest back to the queue, leaves the cluster and exits; a second signal exits at once.',
  joinsLocalUp: true,
  settings: [
    'redisUrl',
    'prefix',
    'concurrency',
    'types',
    'jobModules',
    'portFiles',
    'permuteDelayMs',
    'claimTimeoutMs',
    'blockMs',
    'shutdownGraceMs',
    'heartbeatMs',
    'nodeTtlMs',
    'clusterSecret',
    'callTimeoutMs',
    'metricsPort',
    'apiTokens',
    'insecure',
    'host',
    'historyFlushMs',
    'logLevel',
  ],
  async run({ config }) {
    const nodeId = newNodeId('worker');
    const log = createLogger(config.logLevel, { nodeId, role: 'worker' });
    // The same worker a library user embeds (src/worker/); a `stop` call ends this process.
    const worker = await startWorker({ config, nodeId, log, onStopRequest: stopSelf });
    tellParent({
      kind: 'ready',
      role: 'worker',
      nodeId,
      ...(worker.metricsUrl === undefined ? {} : { url: worker.metricsUrl }),
    });
    await stopOnSignals(() => worker.stop(), log);
    return 0;
  },
};
