import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import {
  PortFailure,
  PortProcess,
  type JobHooks,
  type PortCommand,
  type PortReply,
} from './port-process.js';
import type { JobRequest } from './protocol.js';

const RESTART_BASE_MS = 200;
const RESTART_MAX_MS = 10_000;
const CLOSE_GRACE_MS = 2_000;

/**
 * The children of one port-bound job type on one worker: at most `size` of them, each running
 * one job at a time. A child that breaks is killed and replaced on demand, each consecutive
 * failure doubling the wait before the next start (a program that cannot start must not be
 * restarted in a tight loop).
 */
export class PortPool {
  private readonly idle: PortProcess[] = [];
  private readonly all = new Set<PortProcess>();
  private readonly waiters: ((child: PortProcess) => void)[] = [];
  private size = 1;
  /** Children being started (waiting out the backoff or their hello). */
  private starting = 0;
  private failures = 0;
  private nextStartAt = 0;
  private closed = false;

  constructor(
    readonly type: string,
    private readonly command: PortCommand,
    private readonly log: Logger,
  ) {}

  /** Sizes the pool and starts its children, waiting for their handshakes (failures are logged). */
  async open(size: number): Promise<void> {
    this.size = size;
    this.closed = false;
    const starting: Promise<void>[] = [];
    while (this.all.size + this.starting < this.size) {
      starting.push(
        this.start().then(
          (child) => this.release(child),
          () => undefined,
        ),
      );
    }
    await Promise.all(starting);
  }

  /** Runs one job on a child; a child that breaks makes this reject with PortFailure. */
  async run(request: JobRequest, hooks: JobHooks, signal: AbortSignal): Promise<PortReply> {
    const child = await this.acquire(signal);
    const onAbort = () =>
      child.kill(signal.reason instanceof Error ? signal.reason : new PortFailure('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const reply = await child.run(request, hooks);
      this.failures = 0;
      return reply;
    } catch (err) {
      this.noteFailure(`port failed job ${request.id}: ${(err as Error).message}`);
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.release(child);
    }
  }

  /** Closes every child's stdin and waits for them to exit (killing those that linger). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.all].map((child) => child.close(CLOSE_GRACE_MS)));
    this.all.clear();
    this.idle.length = 0;
  }

  private async acquire(signal: AbortSignal): Promise<PortProcess> {
    for (;;) {
      signal.throwIfAborted();
      if (this.closed) throw new PortFailure(`port ${this.type} is closed`);
      const idle = this.idle.pop();
      if (idle?.alive) return idle;
      if (idle) continue;
      if (this.all.size + this.starting < this.size) return await this.start(signal);
      const child = await new Promise<PortProcess>((resolve, reject) => {
        const onAbort = () => reject(signal.reason as Error);
        signal.addEventListener('abort', onAbort, { once: true });
        this.waiters.push((c) => {
          signal.removeEventListener('abort', onAbort);
          resolve(c);
        });
      });
      if (child.alive) return child;
    }
  }

  private release(child: PortProcess): void {
    if (!child.alive || this.closed) {
      this.all.delete(child);
      // A slot opened: a waiter may start a fresh child.
      if (!child.alive) this.waiters.shift()?.(child);
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter(child);
    else this.idle.push(child);
  }

  /** Starts a child (after the restart backoff) and waits for its hello. */
  private async start(signal?: AbortSignal): Promise<PortProcess> {
    const waitMs = this.nextStartAt - Date.now();
    if (waitMs > 0) {
      // The slot is taken while waiting, so parallel callers do not all start children.
      this.starting += 1;
      try {
        await sleep(waitMs, undefined, signal ? { signal } : undefined);
      } finally {
        this.starting -= 1;
      }
    }
    if (this.closed) throw new PortFailure(`port ${this.type} is closed`);
    const child = new PortProcess(this.command, this.log);
    this.all.add(child);
    void child.exited().then(() => this.all.delete(child));
    try {
      const hello = await child.handshake(this.type);
      this.log.info({ pid: child.pid, name: hello.name }, 'port started');
      return child;
    } catch (err) {
      this.all.delete(child);
      const message = `port failed to start: ${(err as Error).message}`;
      this.noteFailure(message);
      throw new PortFailure(message);
    }
  }

  /** Every broken child pushes the next start further out, up to RESTART_MAX_MS. */
  private noteFailure(message: string): void {
    this.failures += 1;
    const backoffMs = Math.min(RESTART_BASE_MS * 2 ** (this.failures - 1), RESTART_MAX_MS);
    this.nextStartAt = Date.now() + backoffMs;
    this.log.warn({ failures: this.failures, backoffMs }, message);
  }
}
