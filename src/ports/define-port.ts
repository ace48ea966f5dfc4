import { isAbsolute, resolve } from 'node:path';
import { Type, type TSchema } from '@sinclair/typebox';
import type { Logger } from 'pino';
import { UnrecoverableError, type AnyJobDefinition, type JobDefinition } from '../jobs/index.js';
import { activeTrace } from '../tracing/index.js';
import type { Backoff } from '../queue/index.js';
import { PortPool } from './port-pool.js';
import type { PortCommand } from './port-process.js';

/** Variables a port gets from the worker's environment unless its spec says otherwise. */
export const PORT_BASE_ENV = [
  'PATH',
  'HOME',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
] as const;

/** A job type whose handler is an external program speaking the port protocol (docs/ports.md). */
export interface PortSpec<S extends TSchema = TSchema> {
  readonly name: string;
  readonly description: string;
  /** Program and arguments, run without a shell. Job data never reaches the command line. */
  readonly command: readonly string[];
  /** Working directory of the program (default: the worker's). */
  readonly cwd?: string;
  /** JSON Schema of the job's data (default: any JSON); the API validates with it. */
  readonly input?: S;
  readonly example?: unknown;
  /** Variables set in the child's environment, on top of those passed through. */
  readonly env?: Readonly<Record<string, string>>;
  /** Names passed through from the worker's environment (default PORT_BASE_ENV); nothing else is. */
  readonly passEnv?: readonly string[];
  readonly concurrency?: number;
  readonly resultTtlSec?: number;
  readonly maxAttempts?: number;
  readonly backoff?: Backoff;
  readonly timeoutMs?: number;
  /** How long a starting child may take to say hello (default 10,000 ms). */
  readonly startTimeoutMs?: number;
  /** Longest line the child may write, replies included (default 1 MiB). */
  readonly maxReplyBytes?: number;
}

/** The child's whole environment: chosen names from the worker's, plus the spec's values. */
export function portEnvironment(
  spec: Pick<PortSpec, 'name' | 'env' | 'passEnv'>,
  from: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of spec.passEnv ?? PORT_BASE_ENV) {
    const value = from[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...spec.env, WORKMESH_PORT_TYPE: spec.name };
}

export function portCommand(spec: PortSpec, env: NodeJS.ProcessEnv = process.env): PortCommand {
  return {
    command: spec.command,
    cwd:
      spec.cwd === undefined ? process.cwd() : isAbsolute(spec.cwd) ? spec.cwd : resolve(spec.cwd),
    env: portEnvironment(spec, env),
    maxLineBytes: spec.maxReplyBytes ?? 1024 * 1024,
    startTimeoutMs: spec.startTimeoutMs ?? 10_000,
  };
}

/**
 * A job type run by a pool of long-lived child processes. Workers that take the type start
 * the pool (sized by its concurrency) in `setup`; the API only uses the name and schema.
 */
export function definePort<S extends TSchema>(spec: PortSpec<S>): JobDefinition<S, unknown> {
  const command = portCommand(spec);
  let pool: PortPool | undefined;
  const poolFor = (log: Logger) =>
    (pool ??= new PortPool(spec.name, command, log.child({ port: spec.name })));
  const definition: AnyJobDefinition = {
    name: spec.name,
    description: spec.description,
    input: spec.input ?? Type.Unknown(),
    ...(spec.example === undefined ? {} : { example: spec.example }),
    ...(spec.concurrency === undefined ? {} : { concurrency: spec.concurrency }),
    ...(spec.resultTtlSec === undefined ? {} : { resultTtlSec: spec.resultTtlSec }),
    ...(spec.maxAttempts === undefined ? {} : { maxAttempts: spec.maxAttempts }),
    ...(spec.backoff === undefined ? {} : { backoff: spec.backoff }),
    ...(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs }),
    async setup({ concurrency, log }) {
      await poolFor(log).open(concurrency);
    },
    async teardown() {
      await pool?.close();
    },
    async handler(data: unknown, ctx) {
      // The attempt's span (an SDK installed): the port's own spans can be its children.
      const trace = activeTrace();
      // [] without a Redis read for a job that has no children (its claim says so).
      const children = await ctx.children();
      const reply = await poolFor(ctx.log).run(
        {
          kind: 'job',
          id: ctx.id,
          type: spec.name,
          data,
          attempt: ctx.attempt,
          deadline: ctx.deadline ?? null,
          ...(children.length > 0 ? { children } : {}),
          ...trace,
        },
        {
          progress: (value) => {
            ctx.progress(value).catch((err: unknown) => {
              ctx.log.warn({ err: (err as Error).message }, 'port progress not recorded');
            });
          },
          log: (level, message) => {
            ctx.log[level]({ port: spec.name }, message);
            // The job's own log too (its status' `log`), but for debug chatter.
            if (level === 'debug') return;
            ctx
              .addLog(level === 'info' ? message : `${level}: ${message}`)
              .catch((err: unknown) => {
                ctx.log.warn({ err: (err as Error).message }, 'port log line not recorded');
              });
          },
        },
        ctx.signal,
      );
      if (reply.kind === 'ok') return reply.value;
      if (reply.retryable) throw new Error(reply.message);
      throw new UnrecoverableError(reply.message);
    },
  };
  return definition as JobDefinition<S, unknown>;
}
