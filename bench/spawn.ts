import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ChildSpec } from './child.js';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The parent's handle on one child process (see child.ts). */
export class Child {
  count = 0;
  private readonly waiters: {
    kind: string;
    resolve: (m: ChildMessage) => void;
    reject: (err: Error) => void;
  }[] = [];
  private readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(private readonly proc: ChildProcess) {
    proc.on('message', (m: ChildMessage) => {
      if (m.kind === 'count') this.count = m.n;
      for (const w of this.waiters.filter((w) => w.kind === m.kind)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      }
    });
    this.exited = new Promise((resolve) =>
      proc.on('exit', (code) => {
        resolve(code);
        // Whoever waits for a message from a process that is gone would wait forever; the
        // last messages may still be on their way through the channel, so give them time.
        setTimeout(() => {
          this.exitCode = code;
          for (const w of this.waiters.splice(0)) {
            w.reject(new Error(`child exited (${code}) before its ${w.kind} message`));
          }
        }, 1000);
      }),
    );
  }

  /** Starts a child and waits until it is set up. */
  static async start(spec: ChildSpec): Promise<Child> {
    trace(`start ${spec.peer} ${spec.role}`);
    const proc = fork(CHILD, [JSON.stringify(spec)], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const child = new Child(proc);
    const failed = child.exited.then((code) => {
      throw new Error(`${spec.peer} ${spec.role} exited (${code}) before it was ready`);
    });
    await Promise.race([child.next('ready'), failed]);
    failed.catch(() => undefined);
    return child;
  }

  go(): void {
    this.proc.send({ kind: 'go' });
  }

  /** The next message of this kind; rejects if the process ends first. */
  next<K extends ChildMessage['kind']>(kind: K): Promise<Extract<ChildMessage, { kind: K }>> {
    if (this.exitCode !== undefined) {
      return Promise.reject(
        new Error(`child exited (${this.exitCode}) before its ${kind} message`),
      );
    }
    return new Promise((resolve, reject) =>
      this.waiters.push({ kind, resolve: resolve as (m: ChildMessage) => void, reject }),
    );
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  /** Stops a worker; answers the latencies of the jobs it finished. */
  async stop(): Promise<number[]> {
    trace('stop worker');
    const stopped = this.next('stopped');
    if (this.alive) this.proc.send({ kind: 'stop' });
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 30_000);
    try {
      const { latenciesMs } = await stopped;
      await this.exit();
      return latenciesMs;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for the process to end (killing it after 3 s). */
  async exit(): Promise<void> {
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    this.proc.kill('SIGKILL');
  }
}

/** BENCH_TRACE=1 logs each step, to find where a run stalls. */
export function trace(line: string): void {
  if (process.env.BENCH_TRACE) process.stderr.write(`  · ${line}\n`);
}

/** Resolves when the workers together report `total` finished jobs; rejects after timeoutMs. */
export async function untilCounted(
  workers: readonly Child[],
  total: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (workers.reduce((s, w) => s + w.count, 0) < total) {
    if (workers.some((w) => !w.alive)) throw new Error('a worker process ended during the run');
    if (performance.now() > deadline) {
      const got = workers.reduce((s, w) => s + w.count, 0);
      throw new Error(`only ${got} of ${total} jobs finished within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}
