import { newNodeId } from '../../cluster/index.js';
import { createRegistry } from '../../jobs/index.js';
import { createLogger } from '../../log/index.js';
import { startWorker } from '../../worker/index.js';
import type { Command } from '../command.js';
import { stopOnSignals, tellParent } from '../lifecycle.js';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'Run a worker: claims jobs from the Redis queues and runs their handlers.',
  usage: 'worker [options]',
  description:
    'Start as many as you like, on any machine that reaches the same Redis. On SIGTERM a worker stops claiming, lets running jobs finish (WORKMESH_SHUTDOWN_GRACE_MS) and exits; a second signal exits at once.',
  settings: [
    'redisUrl',
    'prefix',
    'concurrency',
    'types',
    'jobModules',
    'permuteDelayMs',
    'claimTimeoutMs',
    'blockMs',
    'shutdownGraceMs',
    'logLevel',
  ],
  async run({ config }) {
    const nodeId = newNodeId('worker');
    const log = createLogger(config.logLevel, { nodeId, role: 'worker' });
    const registry = await createRegistry(config, config.jobModules);
    const worker = await startWorker({ config, registry, nodeId, log });
    tellParent({ kind: 'ready', role: 'worker', nodeId });
    await stopOnSignals(() => worker.stop(), log);
    return 0;
  },
};
