import type { Logger } from 'pino';
import type { JobContext } from '../jobs/index.js';
import {
  fromThreadError,
  type CallMethod,
  type FromThread,
  type ThreadSpec,
  type ToThread,
} from './sandbox-messages.js';
import { startHost, type SandboxHost, type SandboxKind } from './sandbox-host.js';

/**
 * How long an aborted handler (timeout, cancel, lost claim, shutdown) has to see its signal
 * and return before its thread is terminated. Its thread is replaced either way: one that
 * ignored the signal may still be busy.
 */
export const ABORT_GRACE_MS = 1000;

interface Current {
  readonly ctx: JobContext;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
  /** Removes its abort listener (a signal may fire after the job ended: not this thread's). */
  readonly unlisten: () => void;
}

/** One thread of a pool: runs one job at a time. */
class SandboxThread {
  private readonly worker: SandboxHost;
  private readonly ready: Promise<void>;
  private current: Current | undefined;
  private onClosed: (() => void) | undefined;
  /** Its handler runs (it may run on past an abort, until terminated). */
  private busy = false;
  /** Aborted or failed: it runs nothing more and is terminated. */
  retired = false;
  readonly exited: Promise<void>;

  constructor(
    kind: SandboxKind,
    spec: ThreadSpec,
    private readonly log: Logger,
    /** Told once it is retired: `aborted` (it was sound: replace it) or `failed`. */
    private readonly onRetired: (thread: SandboxThread, why: 'aborted' | 'failed') => void,
  ) {
    this.worker = startHost(kind, spec);
    let loaded!: () => void;
    let loadFailed!: (err: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      loaded = resolve;
      loadFailed = reject;
    });
    this.ready.catch(() => undefined);
    this.worker.onMessage((msg: FromThread) => {
      if (msg.kind === 'ready') loaded();
      else if (msg.kind === 'load-failed') {
        loadFailed(fromThreadError(msg.error));
        this.retire('failed');
      } else this.onMessage(msg);
    });
    this.worker.onError((err) => {
      // An uncaught error in the thread ends it: its job fails with it.
      loadFailed(err);
      this.finish(undefined, err);
      this.retire('failed');
    });
    this.exited = this.worker.exited;
    void this.exited.then(() => {
      loadFailed(new Error('its sandbox ended before it was ready'));
      this.finish(undefined, new Error('its sandbox ended while running the job'));
      this.retire('failed');
    });
  }

  get threadId(): number {
    return this.worker.id;
  }

  /** Resolves once the thread has loaded its definition and run its setup. */
  whenReady(): Promise<void> {
    return this.ready;
  }

  async run(data: unknown, ctx: JobContext): Promise<unknown> {
    await this.ready;
    return new Promise<unknown>((resolve, reject) => {
      const { signal } = ctx;
      // Aborted while it waited for the thread: nothing ran, the thread stays sound.
      if (signal.aborted) return reject(signal.reason as Error);
      const onAbort = () => this.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      const unlisten = () => signal.removeEventListener('abort', onAbort);
      this.current = { ctx, resolve, reject, unlisten };
      this.busy = true;
      this.send({
        kind: 'run',
        id: ctx.id,
        attempt: ctx.attempt,
        deadline: ctx.deadline,
        data,
      });
    });
  }

  /** Fires the handler's signal, then terminates the thread past the grace (or on return). */
  private abort(reason: unknown): void {
    const message = reason instanceof Error ? reason.message : 'aborted';
    this.send({ kind: 'abort', message });
    this.retire('aborted');
    this.finish(undefined, reason);
    setTimeout(() => void this.worker.terminate(), ABORT_GRACE_MS).unref();
  }

  /** Closes an idle thread: its type's teardown runs, then it ends. Terminates a busy one. */
  async close(): Promise<void> {
    if (this.busy || this.retired) {
      this.retired = true;
      await this.worker.terminate();
      return;
    }
    this.retired = true;
    const closed = new Promise<void>((resolve) => (this.onClosed = resolve));
    this.send({ kind: 'close' });
    await Promise.race([closed, this.exited]);
    await this.worker.terminate();
  }

  private send(msg: ToThread): void {
    try {
      this.worker.send(msg);
    } catch (err) {
      this.finish(undefined, err);
    }
  }

  private retire(why: 'aborted' | 'failed'): void {
    if (this.retired) return;
    this.retired = true;
    // A retired thread whose handler is not running has nothing to finish: end it now.
    if (!this.busy) void this.worker.terminate();
    this.onRetired(this, why);
  }

  private finish(value: unknown, err: unknown): void {
    const current = this.current;
    if (!current) return;
    this.current = undefined;
    current.unlisten();
    if (err === undefined) current.resolve(value);
    else current.reject(err);
  }

  /** The handler returned or threw in the thread. */
  private handlerEnded(value: unknown, err: unknown): void {
    this.busy = false;
    this.finish(value, err);
    // Retired while its handler ran on (an abort): ends now that the handler is done.
    if (this.retired) void this.worker.terminate();
  }

  private onMessage(msg: FromThread): void {
    const ctx = this.current?.ctx;
    switch (msg.kind) {
      case 'done':
        return this.handlerEnded(msg.value, undefined);
      case 'failed':
        return this.handlerEnded(undefined, fromThreadError(msg.error));
      case 'log':
        return this.forwardLog(ctx?.log ?? this.log, msg.line);
      case 'call': {
        const answer = ctx
          ? contextCall(ctx, msg.method, msg.arg)
          : Promise.reject(new Error('no job runs in this thread'));
        answer.then(
          (value) => this.send({ kind: 'reply', seq: msg.seq, value }),
          (err: unknown) =>
            this.send({
              kind: 'reply',
              seq: msg.seq,
              error: { name: 'Error', message: (err as Error).message ?? String(err) },
            }),
        );
        return;
      }
      case 'closed':
        return this.onClosed?.();
      default:
        return;
    }
  }

  /** A pino line of the thread, logged again by the worker's logger (with its bindings). */
  private forwardLog(log: Logger, line: string): void {
    try {
      const { level, msg, ...fields } = JSON.parse(line) as Record<string, unknown>;
      const label = log.levels.labels[Number(level)] ?? 'info';
      const write = (log as unknown as Record<string, (o: object, m?: unknown) => void>)[label];
      write?.call(log, { ...fields, thread: this.worker.id }, msg);
    } catch {
      log.info({ thread: this.worker.id }, line);
    }
  }
}

/**
 * The worker threads of a sandboxed job type (`sandbox: 'thread'`), at most `size` at once
 * (its concurrency): started when a job needs one, kept while idle, replaced when one is
 * terminated (an abort) or dies. A CPU-bound handler blocks its thread, never the worker's
 * event loop: heartbeats and claim renewals go on.
 */
export class SandboxPool {
  private readonly idle: SandboxThread[] = [];
  /** Threads not retired: what `size` bounds. */
  private readonly live = new Set<SandboxThread>();
  /** Every thread not yet exited, retired ones included. */
  private readonly all = new Set<SandboxThread>();
  private readonly waiting: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly kind: SandboxKind,
    private readonly spec: ThreadSpec,
    private size: number,
    private readonly log: Logger,
  ) {}

  /** Threads started and not exited yet (retired ones being terminated included). */
  get threads(): number {
    return this.all.size;
  }

  /** The ids of those threads. */
  threadIds(): number[] {
    return [...this.all].map((t) => t.threadId);
  }

  /**
   * Sizes the pool (the worker's setup knows the type's concurrency) and starts its threads,
   * resolving once each has loaded the job module and run the type's setup: a thread's start
   * (a second or two for a TypeScript module) is not counted in a job's timeout, and a module
   * that cannot load in a thread stops the worker's start with its error.
   */
  async start(size: number): Promise<void> {
    this.size = Math.max(1, size);
    this.closed = false;
    const started: SandboxThread[] = [];
    while (this.live.size < this.size) started.push(this.spawn());
    this.idle.push(...started);
    try {
      await Promise.all(started.map((t) => t.whenReady()));
    } catch (err) {
      await this.close();
      throw new Error(`sandbox thread of ${this.spec.type}: ${(err as Error).message}`);
    }
  }

  /** The handler a sandboxed definition gets: runs the job in one of the pool's threads. */
  readonly handler = async (data: unknown, ctx: JobContext): Promise<unknown> => {
    const thread = await this.acquire();
    try {
      return await thread.run(data, ctx);
    } finally {
      this.release(thread);
    }
  };

  async close(): Promise<void> {
    this.closed = true;
    this.idle.length = 0;
    await Promise.all([...this.all].map((t) => t.close()));
  }

  private async acquire(): Promise<SandboxThread> {
    for (;;) {
      const idle = this.idle.pop();
      if (idle && !idle.retired) return idle;
      if (idle) continue;
      if (this.live.size < this.size) return this.spawn();
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(thread: SandboxThread): void {
    if (!thread.retired && !this.closed) this.idle.push(thread);
    this.waiting.shift()?.();
  }

  private spawn(): SandboxThread {
    const thread = new SandboxThread(this.kind, this.spec, this.log, (t, why) => {
      this.live.delete(t);
      // An aborted thread's place is taken at once, so the next job finds a loaded thread.
      if (why === 'aborted' && !this.closed && this.live.size < this.size)
        this.idle.unshift(this.spawn());
      this.waiting.shift()?.();
    });
    this.live.add(thread);
    this.all.add(thread);
    void thread.exited.then(() => this.all.delete(thread));
    return thread;
  }
}

/** A handler context call made in a thread, answered by the worker's own context. */
function contextCall(ctx: JobContext, method: CallMethod, arg: unknown): Promise<unknown> {
  switch (method) {
    case 'progress':
      return ctx.progress(arg);
    case 'addLog':
      return ctx.addLog(String(arg));
    case 'children':
      return ctx.children();
    case 'previous':
      return ctx.previous();
  }
}
