import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { portCommand } from './define-port.js';
import { PortProcess, type PortReply } from './port-process.js';
import { PORT_PROTOCOL_VERSION } from './protocol.js';

export interface CheckOptions {
  /** Program and arguments. */
  readonly command: readonly string[];
  /** Job type to send (default: the first the port announces). */
  readonly type?: string;
  /** Data of the test jobs. */
  readonly data?: unknown;
  /** Time allowed for the hello and for each reply. */
  readonly timeoutMs?: number;
  readonly cwd?: string;
}

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  /** What was seen: the reply, or what is wrong and why it matters. */
  readonly detail: string;
  readonly ms?: number;
}

export interface CheckReport {
  readonly command: readonly string[];
  readonly results: readonly CheckResult[];
  readonly passed: number;
  readonly failed: number;
  /** The port's stderr, last lines (a failing port often says why there). */
  readonly stderr: readonly string[];
}

const UNKNOWN_TYPE = 'port-check-unannounced-type';

function describe(reply: PortReply): string {
  return reply.kind === 'ok'
    ? `ok, value ${truncate(JSON.stringify(reply.value) ?? 'undefined')}`
    : `error ${JSON.stringify(reply.message)} (retryable ${reply.retryable})`;
}

function truncate(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/**
 * The conformance suite of `workmesh port-check`: starts the program as a worker would (same
 * environment rules, no shell) and checks the handshake, two jobs on one process, a job of a
 * type it did not announce, and a clean exit when stdin closes. Stops at the first check that
 * leaves the process dead.
 */
export async function checkPort(options: CheckOptions): Promise<CheckReport> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const stderr: string[] = [];
  const log = pino(
    { level: 'warn', base: null },
    {
      write(line: string) {
        const { msg } = JSON.parse(line) as { msg?: string };
        if (msg?.startsWith('port stderr: ')) stderr.push(msg.slice('port stderr: '.length));
        if (stderr.length > 20) stderr.shift();
      },
    },
  );
  const spec = {
    name: options.type ?? 'port-check',
    description: 'port-check',
    command: options.command,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    startTimeoutMs: timeoutMs,
  };
  const results: CheckResult[] = [];
  const child = new PortProcess(portCommand(spec), log);
  const timed = async <T>(
    name: string,
    work: () => Promise<T>,
    judge: (v: T) => CheckResult['detail'] | Error,
    limitMs = timeoutMs,
  ): Promise<T | undefined> => {
    const start = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const value = await Promise.race([
        work(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no reply within ${limitMs} ms`)), limitMs);
        }),
      ]);
      const verdict = judge(value);
      const ms = Math.round(performance.now() - start);
      results.push(
        verdict instanceof Error
          ? { name, ok: false, detail: verdict.message, ms }
          : { name, ok: true, detail: verdict, ms },
      );
      return verdict instanceof Error ? undefined : value;
    } catch (err) {
      results.push({
        name,
        ok: false,
        detail: (err as Error).message,
        ms: Math.round(performance.now() - start),
      });
      child.kill();
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };

  const hello = await timed(
    'says hello on start',
    () => child.greeting(),
    (h) => {
      if (h.protocol !== PORT_PROTOCOL_VERSION)
        return new Error(
          `announces protocol ${h.protocol}; workers speak ${PORT_PROTOCOL_VERSION}`,
        );
      if (options.type !== undefined && !h.types.includes(options.type))
        return new Error(`announces ${JSON.stringify(h.types)}, not ${options.type}`);
      return `protocol ${h.protocol}, types ${h.types.join(', ')}${h.name ? `, name ${h.name}` : ''}`;
    },
  );
  const type = options.type ?? hello?.types[0];
  const request = (id: string, jobType: string) => ({
    kind: 'job' as const,
    id,
    type: jobType,
    data: options.data ?? {},
    attempt: 1,
    deadline: Date.now() + timeoutMs,
  });
  const hooks = { progress: () => undefined, log: () => undefined };
  const wellFormed = (reply: PortReply) => describe(reply);
  if (hello && type !== undefined && child.alive) {
    await timed(
      `answers ${/^[aeiou]/i.test(type) ? 'an' : 'a'} ${type} job`,
      () => child.run(request('port-check.1', type), hooks),
      wellFormed,
    );
  }
  if (child.alive && type !== undefined) {
    await timed(
      'answers a second job in the same process',
      () => child.run(request('port-check.2', type), hooks),
      wellFormed,
    );
  }
  if (child.alive) {
    await timed(
      'answers a job type it did not announce with an error reply',
      () => child.run(request('port-check.3', UNKNOWN_TYPE), hooks),
      (reply) =>
        reply.kind === 'error'
          ? describe(reply)
          : new Error(`answered ${describe(reply)}; expected an error reply (retryable false)`),
    );
  }
  if (child.alive) {
    await timed(
      'exits when its stdin closes',
      () => child.close(timeoutMs),
      (byItself) =>
        byItself
          ? 'exited'
          : new Error(`still running ${timeoutMs} ms after its stdin closed; killed`),
      timeoutMs + 2_000,
    );
  } else {
    child.kill();
  }
  await child.exited();
  const failed = results.filter((r) => !r.ok).length;
  return { command: options.command, results, passed: results.length - failed, failed, stderr };
}
