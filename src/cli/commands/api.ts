import cluster from 'node:cluster';
import { startApi } from '../../api/index.js';
import { newNodeId } from '../../cluster/index.js';
import { createLogger } from '../../log/index.js';
import { runApiPrimary } from '../api-procs.js';
import type { Command } from '../command.js';
import { stopOnSignals, tellParent } from '../lifecycle.js';

export const apiCommand: Command = {
  name: 'api',
  summary:
    'Run the HTTP API: accepts work (POST /api/work) and answers its status (GET /api/status/<id>).',
  usage: 'api [options]',
  description:
    'Run several behind a load balancer, or several on one machine with --procs N: they share the port (node:cluster), each is its own cluster node, and a process that dies is restarted with backoff. GET /metrics, /healthz and /readyz (Redis reachable and the node registered) are served on the same port.',
  settings: [
    'redisUrl',
    'prefix',
    'host',
    'apiPort',
    'apiProcs',
    'resultTtlSec',
    'permuteDelayMs',
    'jobModules',
    'portFiles',
    'maxBodyBytes',
    'maxJsonDepth',
    'maxJsonKeys',
    'apiTokens',
    'insecure',
    'corsOrigins',
    'rateLimitPerMin',
    'heartbeatMs',
    'nodeTtlMs',
    'clusterSecret',
    'callTimeoutMs',
    'webhookAllow',
    'webhookSecret',
    'webhookRetryMs',
    'historyFlushMs',
    'logLevel',
  ],
  async run({ config }) {
    if (config.apiProcs > 1 && cluster.isPrimary) {
      return runApiPrimary(config.apiProcs, createLogger(config.logLevel, { role: 'api-primary' }));
    }
    const nodeId = newNodeId('api');
    const log = createLogger(config.logLevel, { nodeId, role: 'api' });
    // The same API a library user embeds (src/api/): job types from the settings.
    const api = await startApi({ config, nodeId, log });
    tellParent({ kind: 'ready', role: 'api', nodeId, url: api.url });
    await stopOnSignals(() => api.stop(), log);
    return 0;
  },
};
