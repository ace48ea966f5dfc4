import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { isFinalStatus } from '../job-schema/index.js';

/**
 * A job event (n, status), or (0, RESYNC): the watcher's connection was lost and is back, and
 * events published meanwhile are gone for good (pub/sub does not replay): read the job again.
 */
export type JobEventListener = (n: number, status: string) => void;

/** The status a listener gets after the watcher's pub/sub connection came back. */
export const RESYNC = 'resync';

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

  private started = false;

  async start(): Promise<void> {
    this.subscriber.on('pmessage', (_pattern: string, _channel: string, message: string) =>
      this.dispatch(message),
    );
    // Every (re)connect: once subscribed again, everyone who waits reads again (RESYNC).
    this.subscriber.on('ready', () => {
      if (this.started) void this.resync();
    });
    await this.subscriber.psubscribe(this.pattern());
    this.started = true;
  }

  private pattern(): string {
    return `${this.prefix}:{*}:events`;
  }

  /**
   * After a reconnect: subscribe (ioredis resubscribes too; this call's answer says the
   * subscription is in place), then wake every waiter and every onAnyFinal callback, so an
   * event published while the connection was down (a job that became final) is not missed.
   */
  private async resync(): Promise<void> {
    try {
      await this.subscriber.psubscribe(this.pattern());
    } catch (err) {
      // Lost again before it answered: the next 'ready' resyncs.
      this.log.warn({ err: String(err) }, 'job watcher: resubscribe failed');
      return;
    }
    this.log.info({ waiting: this.listeners.size }, 'job watcher reconnected; waiters read again');
    for (const set of [...this.listeners.values()]) {
      for (const listener of [...set]) listener(0, RESYNC);
    }
    for (const fn of this.onFinal) fn();
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
   * missed; read again when woken by a final event or a RESYNC. Answers the last read.
   */
  async untilFinal<J extends { status: string }>(
    id: string,
    read: () => Promise<J | undefined>,
    waitMs: number,
    signal?: AbortSignal,
  ): Promise<J | undefined> {
    let over = false;
    let wake: () => void = () => undefined;
    let woken = new Promise<void>((resolve) => (wake = resolve));
    const end = (): void => {
      over = true;
      wake();
    };
    const unwatch = this.watch(id, (_n, status) => {
      if (isFinalStatus(status) || status === RESYNC) wake();
    });
    const timer = setTimeout(end, waitMs);
    signal?.addEventListener('abort', end, { once: true });
    try {
      let last = await read();
      while (last && !isFinalStatus(last.status) && !over) {
        await woken;
        woken = new Promise<void>((resolve) => (wake = resolve));
        last = await read();
      }
      return last;
    } finally {
      unwatch();
      clearTimeout(timer);
      signal?.removeEventListener('abort', end);
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
      anyFinal ||= isFinalStatus(status);
      const set = this.listeners.get(id);
      if (set) for (const listener of [...set]) listener(n, status);
      for (const fn of this.onEvery) fn(id, n, status);
    }
    if (anyFinal) for (const fn of this.onFinal) fn();
  }
}
