import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export type JobEventListener = (n: number, status: string) => void;

const FINAL = new Set(['done', 'failed', 'cancelled']);

export function isFinalStatus(status: string): boolean {
  return FINAL.has(status);
}

/**
 * Tells the requests of this API process that wait on jobs (long-poll, server-sent events)
 * when their jobs change: one pattern subscription to every queue's events channel, whatever
 * the number of waiters; the waiters themselves are a map in memory. No polling of Redis.
 */
export class JobWatcher {
  private readonly listeners = new Map<string, Set<JobEventListener>>();
  private readonly onFinal: (() => void)[] = [];
  private readonly onEvery: ((id: string, n: number, status: string) => void)[] = [];

  constructor(
    private readonly subscriber: Redis,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.subscriber.on('pmessage', (_pattern: string, _channel: string, message: string) =>
      this.dispatch(message),
    );
    await this.subscriber.psubscribe(`${this.prefix}:{*}:events`);
  }

  /** Calls the listener on every event of the job until the returned function is called. */
  watch(id: string, listener: JobEventListener): () => void {
    let set = this.listeners.get(id);
    if (!set) {
      set = new Set();
      this.listeners.set(id, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(id);
    };
  }

  /** Calls fn whenever some job of any queue becomes final (e.g. to deliver its webhook). */
  onAnyFinal(fn: () => void): void {
    this.onFinal.push(fn);
  }

  /** Calls fn on every event of every job (the shell's on('job', fn)). */
  onAnyEvent(fn: (id: string, n: number, status: string) => void): void {
    this.onEvery.push(fn);
  }

  /**
   * Reads a job until it is final or waitMs pass (or the signal fires), woken by the job's
   * events, never by polling: watch first, then read, so an event between the two is not
   * missed; read once more when woken. Answers the last read.
   */
  async untilFinal<J extends { status: string }>(
    id: string,
    read: () => Promise<J | undefined>,
    waitMs: number,
    signal?: AbortSignal,
  ): Promise<J | undefined> {
    let wake: () => void = () => undefined;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const unwatch = this.watch(id, (_n, status) => {
      if (FINAL.has(status)) wake();
    });
    const timer = setTimeout(wake, waitMs);
    signal?.addEventListener('abort', wake, { once: true });
    try {
      const first = await read();
      if (!first || FINAL.has(first.status)) return first;
      await woken;
      return await read();
    } finally {
      unwatch();
      clearTimeout(timer);
      signal?.removeEventListener('abort', wake);
    }
  }

  async stop(): Promise<void> {
    this.listeners.clear();
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }

  private dispatch(message: string): void {
    if (this.listeners.size === 0 && this.onFinal.length === 0 && this.onEvery.length === 0) return;
    let events: [string, number, string][];
    try {
      events = JSON.parse(message) as [string, number, string][];
    } catch {
      this.log.warn('unreadable job event message');
      return;
    }
    let anyFinal = false;
    for (const [id, n, status] of events) {
      anyFinal ||= FINAL.has(status);
      const set = this.listeners.get(id);
      if (set) for (const listener of [...set]) listener(n, status);
      for (const fn of this.onEvery) fn(id, n, status);
    }
    if (anyFinal) for (const fn of this.onFinal) fn();
  }
}
