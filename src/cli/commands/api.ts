import { startApi } from '../../api/index.js';
import { newNodeId } from '../../cluster/index.js';
import { createRegistry } from '../../jobs/index.js';
import { loadPorts } from '../../ports/index.js';
import { createLogger } from '../../log/index.js';
import type { Command } from '../command.js';
import { stopOnSignals, tellParent } from '../lifecycle.js';

export const apiCommand: Command = {
  name: 'api',
  summary:
    'Run the HTTP API: accepts work (POST /api/work) and answers its status (GET /api/status/<id>).',
  usage: 'api [options]',
  settings: [
    'redisUrl',
    'prefix',
    'host',
    'apiPort',
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
    'logLevel',
  ],
  async run({ config }) {
    const nodeId = newNodeId('api');
    const log = createLogger(config.logLevel, { nodeId, role: 'api' });
    const registry = await createRegistry(config, config.jobModules, loadPorts(config.portFiles));
    const api = await startApi({ config, registry, nodeId, log });
    tellParent({ kind: 'ready', role: 'api', nodeId, url: api.url });
    await stopOnSignals(() => api.stop(), log);
    return 0;
  },
};
