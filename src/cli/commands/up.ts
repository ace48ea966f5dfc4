import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { configToEnv } from '../../config/index.js';
import { redactRedisUrl, startRedisServer, type RedisServerHandle } from '../../redis/index.js';
import type { Command } from '../command.js';
import { Supervisor } from '../supervisor.js';

const say = (line: string): void => void process.stdout.write(`${line}\n`);

export const upCommand: Command = {
  name: 'up',
  summary:
    'Run the whole system on this machine: Redis, the API, worker processes and the system monitor with its web console.',
  usage: 'up [options]',
  description:
    'Starts a private redis-server when REDIS_URL is not set (data under WORKMESH_DATA_DIR, AOF on), then the API, WORKMESH_WORKERS worker processes and the system monitor (serving the web console on WORKMESH_CONSOLE_PORT), each a separate process. Ctrl-C or SIGTERM stops everything it started.',
  settings: [
    'redisUrl',
    'prefix',
    'host',
    'apiPort',
    'consolePort',
    'consoleToken',
    'resultTtlSec',
    'permuteDelayMs',
    'workers',
    'concurrency',
    'jobModules',
    'portFiles',
    'claimTimeoutMs',
    'shutdownGraceMs',
    'heartbeatMs',
    'nodeTtlMs',
    'clusterSecret',
    'webhookAllow',
    'maxBodyBytes',
    'maxJsonDepth',
    'maxJsonKeys',
    'apiTokens',
    'insecure',
    'corsOrigins',
    'rateLimitPerMin',
    'dataDir',
    'logLevel',
  ],
  flags: {
    verbose: {
      type: 'boolean',
      short: 'v',
      doc: "Show the processes' info logs (JSON); otherwise only warnings and errors.",
    },
  },
  async run({ config, flags }) {
    let redis: RedisServerHandle | undefined;
    let redisUrl = config.redisUrl;
    if (redisUrl === undefined) {
      const dir = join(config.dataDir, 'redis');
      redis = await startRedisServer({ dir });
      redisUrl = redis.url;
      say(`redis    ${redisUrl} (private, AOF on, data in ${dir})`);
    } else {
      say(`redis    ${redactRedisUrl(redisUrl)}`);
    }
    const env = {
      ...process.env,
      ...configToEnv(config),
      // The processes of one `up` share a fresh secret unless one is given.
      WORKMESH_CLUSTER_SECRET: config.clusterSecret ?? randomBytes(24).toString('base64url'),
      REDIS_URL: redisUrl,
      WORKMESH_LOG_LEVEL: flags.verbose === true ? config.logLevel : 'warn',
    };
    const supervisor = new Supervisor(env, (line) => say(`up: ${line}`));
    const stopAll = async (): Promise<void> => {
      await supervisor.stopAll(config.shutdownGraceMs + 5000);
      await redis?.stop();
    };
    let stopping = false;
    let markStopped: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (markStopped = resolve));
    const onSignal = (): void => {
      if (stopping) process.exit(130);
      stopping = true;
      say('\nstopping...');
      void stopAll().finally(markStopped);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const api = await supervisor.start('api');
      say(`api      ${api.url ?? ''} (${api.nodeId})`);
      const workers = await Promise.all(
        Array.from({ length: config.workers }, () => supervisor.start('worker')),
      );
      say(`workers  ${workers.length}: ${workers.map((w) => w.nodeId).join(', ')}`);
      const sysmon = await supervisor.start('sysmon', ['--headless']);
      say(`console  ${sysmon.url ?? ''} (${sysmon.nodeId})`);
      say('');
      say('Try:');
      say(`  curl -X POST '${api.url ?? ''}/api/work?data=some-string-goes-here'`);
      say(`  curl ${api.url ?? ''}/api/status/<callback>`);
      say('Ctrl-C stops everything.');
    } catch (err) {
      await stopAll();
      throw err;
    }
    await stopped;
    say('stopped.');
    return 0;
  },
};
