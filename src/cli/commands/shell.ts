import { isWorkmeshError } from '../../errors/index.js';
import { createLogger } from '../../log/index.js';
import type { Command } from '../command.js';
import { checkRedis } from '../redis-reach.js';

export const shellCommand: Command = {
  name: 'shell',
  summary: 'An interactive shell that joins the cluster as a node: nodes(), submit(), call(), ...',
  usage: 'shell [-e <expression>] [options]',
  description:
    'Helpers: nodes() queues() submit(type, data) status(id) wait(id) call(node, name, ...args) broadcast(msg) on(event, fn) dead() retry(id) cancel(id) stats(); .help lists them. With -e it evaluates one expression (awaited), prints the result as JSON and exits: 0 on success, 1 on error. History in ~/.workmesh_history (WORKMESH_HISTORY=off keeps none).',
  joinsLocalUp: true,
  settings: [
    'redisUrl',
    'prefix',
    'jobModules',
    'portFiles',
    'heartbeatMs',
    'nodeTtlMs',
    'clusterSecret',
    'callTimeoutMs',
    'historyFile',
    'logLevel',
  ],
  flags: {
    eval: { type: 'string', short: 'e', doc: 'Evaluate this expression, print it as JSON, exit.' },
  },
  async run({ config, flags }) {
    // Imported here, not at the top: node:repl loads node:domain, which slows every
    // EventEmitter (sockets, streams, requests) of whichever process merely imports it.
    const { openShell, toJson } = await import('../../shell/index.js');
    // Logs would interleave with the prompt: only errors, unless asked for.
    const log = createLogger(config.logLevel === 'info' ? 'error' : config.logLevel, {
      role: 'shell',
    });
    // A shell that cannot reach Redis would hang silently: say so and exit non-zero instead.
    await checkRedis(config.redisUrl, log);
    const session = await openShell({
      config,
      log,
      input: process.stdin,
      output: process.stdout,
      ...(config.historyFile === undefined
        ? {}
        : { historyFile: config.historyFile === 'off' ? '' : config.historyFile }),
    });
    try {
      if (typeof flags.eval === 'string') {
        try {
          process.stdout.write(`${toJson(await session.evaluate(flags.eval))}\n`);
          return 0;
        } catch (err) {
          const code = isWorkmeshError(err) ? ` [${err.code}]` : '';
          process.stderr.write(`workmesh shell: ${(err as Error).message}${code}\n`);
          return 1;
        }
      }
      await session.repl();
      return 0;
    } finally {
      await session.close();
    }
  },
};
