import { readMembers } from '../../cluster/index.js';
import { createLogger } from '../../log/index.js';
import { Keys, connectRedis } from '../../redis/index.js';
import type { Command } from '../command.js';
import { reachRedis } from '../redis-reach.js';

const mib = (bytes: number): string => `${Math.round(bytes / 1048576)}M`;

export const nodesCommand: Command = {
  name: 'nodes',
  summary: 'List the live cluster members, read from Redis.',
  usage: 'nodes [--json] [options]',
  joinsLocalUp: true,
  settings: ['redisUrl', 'prefix', 'logLevel'],
  flags: { json: { type: 'boolean', doc: 'Print the members as JSON.' } },
  async run({ config, flags }) {
    const redis = connectRedis(config.redisUrl, createLogger(config.logLevel, {}, 2), {
      name: 'wm-cli-nodes',
    });
    try {
      await reachRedis(redis, config.redisUrl);
      const members = await readMembers(redis, new Keys(config.prefix));
      if (flags.json === true) {
        process.stdout.write(`${JSON.stringify(members, null, 2)}\n`);
        return 0;
      }
      const rows = [
        [
          'ID',
          'ROLE',
          'STATE',
          'HOST',
          'PID',
          'HEARTBEAT',
          'IN FLIGHT',
          'DONE',
          'FAILED',
          'HEAP',
          'RSS',
          'CPU',
          'LAG',
        ],
        ...members.map((m) => [
          m.id,
          m.role,
          // Workers say running, draining, drained...; other roles just run.
          m.meta?.state ?? 'running',
          m.host,
          String(m.pid),
          `${(m.heartbeatAgeMs / 1000).toFixed(1)}s`,
          String(m.figures.inFlight),
          String(m.figures.processed),
          String(m.figures.failed),
          mib(m.figures.heapUsedBytes),
          mib(m.figures.rssBytes),
          `${m.figures.cpuPercent}%`,
          `${m.figures.eventLoopLagMs}ms`,
        ]),
      ];
      const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
      for (const row of rows)
        process.stdout.write(`${row.map((v, c) => v.padEnd(widths[c]!)).join('  ')}\n`);
      process.stdout.write(`${members.length} node(s)\n`);
      return 0;
    } finally {
      redis.disconnect();
    }
  },
};
