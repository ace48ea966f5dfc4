import { ClusterNode, newNodeId } from '../../cluster/index.js';
import { checkListenAllowed, startConsole, type ConsoleHandle } from '../../console/index.js';
import { createRegistry } from '../../jobs/index.js';
import { createLogger } from '../../log/index.js';
import { loadPorts } from '../../ports/index.js';
import { Monitor, type MonitorSnapshot } from '../../monitor/index.js';
import { requeueGoneNode } from '../../queue/index.js';
import { Keys, connectRedis } from '../../redis/index.js';
import { TerminalView, renderFrame, statusLine } from '../../sysmon/index.js';
import type { Command } from '../command.js';
import { reachRedis } from '../redis-reach.js';
import { stopOnSignals, stopSelf, tellParent } from '../lifecycle.js';

export const sysmonCommand: Command = {
  name: 'sysmon',
  summary: 'Watch the cluster: a live view on the terminal and the web console on port 5984.',
  usage: 'sysmon [--once] [--json] [--no-console] [--headless] [options]',
  description:
    'Joins the cluster as a node (role sysmon) and reads it every WORKMESH_SYSMON_INTERVAL_MS. On a terminal: a full-screen view redrawn in place (nodes, queues, membership events); otherwise one status line per interval. Serves the web console on WORKMESH_HOST:WORKMESH_CONSOLE_PORT; beyond loopback it needs WORKMESH_CONSOLE_TOKEN. Logs go to stderr.',
  joinsLocalUp: true,
  settings: [
    'redisUrl',
    'prefix',
    'host',
    'consolePort',
    'consoleToken',
    'apiTokens',
    'insecure',
    'sysmonIntervalMs',
    'jobModules',
    'portFiles',
    'resultTtlSec',
    'maxAttempts',
    'backoffMs',
    'permuteDelayMs',
    'heartbeatMs',
    'nodeTtlMs',
    'clusterSecret',
    'callTimeoutMs',
    'historyFlushMs',
    'logLevel',
  ],
  flags: {
    once: { type: 'boolean', doc: 'Print one status line (or frame on a terminal) and exit.' },
    json: {
      type: 'boolean',
      doc: 'With --once: print the snapshot as JSON; otherwise one JSON line per interval.',
    },
    'no-console': { type: 'boolean', doc: 'Do not serve the web console.' },
    headless: {
      type: 'boolean',
      doc: 'Serve the console only: no terminal view or status lines (how `up` runs it).',
    },
  },
  async run({ config, flags }) {
    const once = flags.once === true;
    const json = flags.json === true;
    const headless = flags.headless === true;
    const tty = process.stdout.isTTY === true && !once && !json && !headless;
    const nodeId = newNodeId('sysmon');
    // stdout is the view: logs go to stderr, and a full-screen view shows only fatal ones.
    const log = createLogger(tty ? 'fatal' : config.logLevel, { nodeId, role: 'sysmon' }, 2);
    // The console's Submit form and queue list show every type the workers run, ports too.
    const registry = await createRegistry(config, config.jobModules, loadPorts(config.portFiles));
    const redis = connectRedis(config.redisUrl, log, { name: `wm-sysmon-${nodeId}` });
    const subscriber = connectRedis(config.redisUrl, log, {
      blocking: true,
      name: `wm-sysmon-sub-${nodeId}`,
    });
    const monitorOptions = {
      redis,
      subscriber,
      keys: new Keys(config.prefix),
      nodeId,
      // Every queue: a partitioned type's partitions, not its bare name (no queue has it).
      queueNames: registry.queues(),
      intervalMs: config.sysmonIntervalMs,
      log,
    };
    const closeRedis = (): Promise<unknown> => redis.quit().catch(() => redis.disconnect());
    if (once) {
      try {
        await reachRedis(redis, config.redisUrl);
      } catch (err) {
        subscriber.disconnect();
        throw err;
      }
      const monitor = new Monitor(monitorOptions);
      // A one-off read: no need to join the cluster, and no console.
      await monitor.start();
      const s = monitor.snapshot();
      const { columns, rows } = process.stdout;
      const text = json
        ? JSON.stringify(s, null, 2)
        : process.stdout.isTTY
          ? renderFrame(s, columns || 80, Math.min(rows || 24, 40)).trimEnd()
          : statusLine(s, 0);
      process.stdout.write(`${text}\n`);
      await monitor.stop();
      await closeRedis();
      return s.redisOk ? 0 : 1;
    }
    // Refuse an unsafe console before joining: others would see a node come and go.
    if (flags['no-console'] !== true) checkListenAllowed(config, log);
    const node = new ClusterNode({
      config,
      nodeId,
      role: 'sysmon',
      log,
      onNodeGone: requeueGoneNode(log),
    });
    const monitor = new Monitor({ ...monitorOptions, node });
    await node.start();
    await monitor.start();
    let web: ConsoleHandle | undefined;
    try {
      if (flags['no-console'] !== true)
        web = await startConsole({ config, monitor, node, registry, log });
    } catch (err) {
      await monitor.stop();
      await node.stop();
      await closeRedis();
      throw err;
    }
    const footer = web ? `console ${web.url}  ·  q to quit` : 'q to quit';
    let show: (s: MonitorSnapshot) => void = () => undefined;
    let view: TerminalView | undefined;
    if (tty) {
      view = new TerminalView(process.stdout, {
        footer,
        input: process.stdin,
        onQuit: () => stopSelf('q pressed'),
      });
      view.start();
      show = (s) => view?.draw(s);
    } else if (!headless) {
      let since = 0;
      if (web) process.stdout.write(`sysmon ${nodeId}: console ${web.url}\n`);
      show = (s) => {
        process.stdout.write(`${json ? JSON.stringify(s) : statusLine(s, since)}\n`);
        since = s.at;
      };
    }
    show(monitor.snapshot());
    monitor.on('snapshot', show);
    tellParent({ kind: 'ready', role: 'sysmon', nodeId, ...(web ? { url: web.url } : {}) });
    await stopOnSignals(async () => {
      view?.close();
      monitor.off('snapshot', show);
      await web?.stop();
      await monitor.stop();
      await node.stop();
      await closeRedis();
    }, log);
    return 0;
  },
};
