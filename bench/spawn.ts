import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ChildSpec } from './child.js';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The parent's handle on one child process (see child.ts). */
export class Child {
  count = 0;
  private readonly waiters: { kind: string; resolve: (m: ChildMessage) => void }[] = [];
  private readonly exited: Promise<number | null>;

  private constructor(private readonly proc: ChildProcess) {
    proc.on('message', (m: ChildMessage) => {
      if (m.kind === 'count') this.count = m.n;
      for (const w of this.waiters.filter((w) => w.kind === m.kind)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      }
    });
    this.exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
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

  next<K extends ChildMessage['kind']>(kind: K): Promise<Extract<ChildMessage, { kind: K }>> {
    return new Promise((resolve) =>
      this.waiters.push({ kind, resolve: resolve as (m: ChildMessage) => void }),
    );
  }

  /** Stops a worker; answers the latencies of the jobs it finished. */
  async stop(): Promise<number[]> {
    trace('stop worker');
    const stopped = this.next('stopped');
    this.proc.send({ kind: 'stop' });
    const { latenciesMs } = await stopped;
    await this.exit();
    return latenciesMs;
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
    if (performance.now() > deadline) {
      const got = workers.reduce((s, w) => s + w.count, 0);
      throw new Error(`only ${got} of ${total} jobs finished within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}
