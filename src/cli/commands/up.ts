import { randomBytes } from 'node:crypto';
import { join, relative } from 'node:path';
import { configToEnv } from '../../config/index.js';
import { WorkmeshError } from '../../errors/index.js';
import { redactRedisUrl, startRedisServer, type RedisServerHandle } from '../../redis/index.js';
import type { Command } from '../command.js';
import { Supervisor } from '../supervisor.js';
import { readLocalState, removeLocalState, writeLocalState } from '../local-state.js';

const say = (line: string): void => void process.stdout.write(`${line}\n`);

/**
 * How to run the next commands: `npx workmesh` finds the installed package's command and, in
 * this repository, its own; from the sources (`npm run dev`), the same entry through tsx.
 */
function invocation(): string {
  const script = process.argv[1] ?? '';
  if (!script.endsWith('.ts')) return 'npx workmesh';
  return `npx tsx ${relative(process.cwd(), script) || script}`;
}

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
    'historyFlushMs',
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
    const running = readLocalState(config.dataDir);
    if (running) {
      throw new WorkmeshError(
        'WM_ERR_CLI_USAGE',
        `a workmesh up (pid ${running.pid}) is already running from ${config.dataDir}: stop it first, or give this one another --data-dir`,
      );
    }
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
    // The processes of one `up` share a fresh secret unless one is given.
    const clusterSecret = config.clusterSecret ?? randomBytes(24).toString('base64url');
    const env = {
      ...process.env,
      ...configToEnv(config),
      WORKMESH_CLUSTER_SECRET: clusterSecret,
      REDIS_URL: redisUrl,
      WORKMESH_LOG_LEVEL: flags.verbose === true ? config.logLevel : 'warn',
    };
    const supervisor = new Supervisor(env, (line) => say(`up: ${line}`));
    const stopAll = async (): Promise<void> => {
      removeLocalState(config.dataDir);
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
      const statePath = writeLocalState(config.dataDir, {
        pid: process.pid,
        redisUrl,
        clusterSecret,
        prefix: config.prefix,
        apiUrl: api.url ?? config.apiUrl,
        ...(sysmon.url ? { consoleUrl: sysmon.url } : {}),
      });
      const wm = invocation();
      say('');
      say('Try:');
      say(`  curl -X POST '${api.url ?? ''}/api/work?data=some-string-goes-here'`);
      say(`  curl ${api.url ?? ''}/api/status/<callback>`);
      say(`Next, from another terminal in this folder (they find this cluster in ${statePath}):`);
      say(`  ${wm} submit hello --wait`);
      say(`  ${wm} shell -e "await call('worker', 'ping')"`);
      say(`  ${wm} nodes`);
      say(`  ${wm} sysmon`);
      say('  (that file holds the cluster secret: only you can read it)');
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
