import { homedir } from 'node:os';
import { join } from 'node:path';
import { start as startRepl, type REPLServer } from 'node:repl';
import type { Readable, Writable } from 'node:stream';
import { inspect } from 'node:util';
import { JobWatcher, Producer, requeueGoneNode } from '../queue/index.js';
import { ClusterNode, newNodeId } from '../cluster/index.js';
import type { Config } from '../config/index.js';
import { createRegistry } from '../jobs/index.js';
import { loadPorts } from '../ports/index.js';
import type { Logger } from '../log/index.js';
import { Keys, connectRedis } from '../redis/index.js';
import { shellHelpers, type ShellHelpers } from './helpers.js';

export interface ShellOptions {
  readonly config: Config;
  readonly log: Logger;
  readonly input: Readable;
  readonly output: Writable;
  /** Where the history is kept (default ~/.workmesh_history); '' for none. */
  readonly historyFile?: string;
}

export interface ShellSession {
  readonly nodeId: string;
  readonly helpers: ShellHelpers;
  /** Evaluates one expression with the helpers in scope (awaited). */
  evaluate(expression: string): Promise<unknown>;
  /** Runs the REPL until it is closed (.exit, Ctrl-D, end of input). */
  repl(): Promise<void>;
  /** What tab completion offers for this line. */
  complete(line: string): Promise<[string[], string]>;
  close(): Promise<void>;
}

type AsyncFn = (...args: unknown[]) => Promise<unknown>;
// The constructor of async functions: -e expressions may use await.
const AsyncFunction = (Object.getPrototypeOf(async function () {}) as { constructor: unknown })
  .constructor as new (...args: string[]) => AsyncFn;

/** Joins the cluster as a node with role `shell` and puts the cluster at hand. */
export async function openShell(options: ShellOptions): Promise<ShellSession> {
  const { config, log, output } = options;
  const nodeId = newNodeId('shell');
  const redis = connectRedis(config.redisUrl, log, { name: `wm-shell-${nodeId}` });
  const keys = new Keys(config.prefix);
  const registry = await createRegistry(config, config.jobModules, loadPorts(config.portFiles));
  const watcher = new JobWatcher(
    connectRedis(config.redisUrl, log, { blocking: true, name: `wm-watch-${nodeId}` }),
    config.prefix,
    log,
  );
  const node = new ClusterNode({
    config,
    nodeId,
    role: 'shell',
    log,
    onNodeGone: requeueGoneNode(log),
  });
  let down = false;
  redis.on('reconnecting', () => {
    if (!down) output.write('\n[workmesh] Redis is unavailable; reconnecting...\n');
    down = true;
  });
  redis.on('ready', () => {
    if (down) output.write('\n[workmesh] Redis is back.\n');
    down = false;
  });
  await watcher.start();
  await node.start();
  const helpers = shellHelpers({
    config,
    node,
    redis,
    keys,
    producer: new Producer(redis, keys, nodeId),
    registry,
    watcher,
  });
  const names = Object.keys(helpers);
  const fns = Object.fromEntries(Object.entries(helpers).map(([k, v]) => [k, v.fn]));
  const nodeIds = async (): Promise<string[]> => (await node.readMembers()).map((m) => m.id);

  type Completer = (
    line: string,
    callback: (err: Error | null | undefined, result?: [string[], string]) => void,
  ) => void;
  let server: REPLServer | undefined;
  let jsCompleter: Completer | undefined;
  const complete = async (line: string): Promise<[string[], string]> => {
    // Inside a string literal: complete node ids and roles (call('wor<Tab>).
    const quoted = /(['"`])([^'"`]*)$/.exec(line);
    if (quoted) {
      const partial = quoted[2]!;
      const candidates = [...new Set([...(await nodeIds()), 'worker', 'api', 'shell', 'self'])];
      return [candidates.filter((c) => c.startsWith(partial)), partial];
    }
    const word = /[A-Za-z_$][\w$]*$/.exec(line)?.[0] ?? '';
    const fromHelpers = names.filter((n) => n.startsWith(word));
    if (!server || !jsCompleter) return [fromHelpers, word];
    const base = jsCompleter;
    const [others] = await new Promise<[string[], string]>((resolve) =>
      base.call(server, line, (_err, result) => resolve(result ?? [[], word])),
    );
    return [[...new Set([...fromHelpers, ...others])], word];
  };

  const close = async (): Promise<void> => {
    await node.stop();
    await watcher.stop();
    await redis.quit().catch(() => redis.disconnect());
  };

  return {
    nodeId,
    helpers,
    evaluate(expression) {
      return new AsyncFunction(...names, `return (${expression});`)(...names.map((n) => fns[n]));
    },
    complete,
    close,
    repl() {
      output.write(
        `workmesh shell — node ${nodeId}. .help lists the helpers; top-level await works.\n`,
      );
      server = startRepl({
        prompt: 'workmesh> ',
        input: options.input,
        output,
        terminal: (output as { isTTY?: boolean }).isTTY === true,
        useGlobal: false,
        ignoreUndefined: true,
      });
      Object.assign(server.context, fns);
      // Keep Node's own completion (JavaScript names) and add helpers and node ids to it.
      const writable = server as unknown as { completer: Completer };
      jsCompleter = writable.completer;
      writable.completer = (line, callback) => {
        complete(line).then(
          (result) => callback(null, result),
          () => callback(null, [[], line]),
        );
      };
      server.defineCommand('help', {
        help: 'The helpers, and the REPL commands',
        action() {
          output.write(
            `Helpers:\n${names.map((n) => `  ${helpers[n as keyof ShellHelpers].help}`).join('\n')}\n`,
          );
          output.write('Commands: .help .exit .clear .editor .load .save (Ctrl-D exits)\n');
          this.displayPrompt();
        },
      });
      const history = options.historyFile ?? join(homedir(), '.workmesh_history');
      if (history !== '') server.setupHistory(history, () => undefined);
      return new Promise<void>((resolve) => server!.once('exit', () => resolve()));
    },
  };
}

/** One line of JSON for `shell -e`; errors and functions become readable text. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value ?? null,
    (_k, v: unknown) => (typeof v === 'function' ? inspect(v) : v),
    2,
  );
}
