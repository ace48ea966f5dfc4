import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Logger } from 'pino';
import { LineSplitter } from './line-splitter.js';
import {
  PORT_PROTOCOL_VERSION,
  ProtocolViolation,
  parseChildLine,
  type ChildMessage,
  type HelloMessage,
  type JobRequest,
  type LogLevel,
} from './protocol.js';

/** How to start a port program; `command` comes from configuration only, never from a job. */
export interface PortCommand {
  /** Program and its arguments, run without a shell. */
  readonly command: readonly string[];
  readonly cwd: string;
  /** The child's whole environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Longest line (bytes) the child may write on stdout. */
  readonly maxLineBytes: number;
  /** How long the child may take to say hello. */
  readonly startTimeoutMs: number;
}

/** What a job gets back from the child, or why the child failed it. */
export type PortReply =
  | { readonly kind: 'ok'; readonly value: unknown }
  | { readonly kind: 'error'; readonly message: string; readonly retryable: boolean };

/** The child misbehaved (exited, hung, garbage, oversized, bad handshake): it is killed. */
export class PortFailure extends Error {
  override readonly name = 'PortFailure';
}

export interface JobHooks {
  progress(value: unknown): void;
  log(level: LogLevel, message: string): void;
}

interface Pending {
  readonly id: string;
  readonly hooks: JobHooks;
  resolve(reply: PortReply): void;
  reject(err: Error): void;
}

const STDERR_LINE_MAX = 8192;

/**
 * One long-lived child process speaking the port protocol, running one job at a time. It
 * leads its own process group, so a kill takes whatever it started with it.
 */
export class PortProcess {
  readonly child: ChildProcessWithoutNullStreams;
  private hello: HelloMessage | undefined;
  private readonly helloReceived: Promise<HelloMessage>;
  private settleHello!: { resolve(h: HelloMessage): void; reject(err: Error): void };
  private readonly helloTimer: NodeJS.Timeout;
  private pending: Pending | undefined;
  private failure: Error | undefined;
  private exitedPromise: Promise<void>;

  constructor(
    private readonly spec: PortCommand,
    private readonly log: Logger,
  ) {
    this.helloReceived = new Promise((resolve, reject) => (this.settleHello = { resolve, reject }));
    // Nobody may be asking yet: a failed start must not be an unhandled rejection.
    this.helloReceived.catch(() => undefined);
    this.helloTimer = setTimeout(
      () =>
        this.fail(
          new PortFailure(
            // The most common cause by far: the hello was written but sits in a pipe buffer.
            `said no hello within ${spec.startTimeoutMs} ms; if it writes one, flush stdout after every line (Python: print(..., flush=True), python3 -u or PYTHONUNBUFFERED=1; Perl: $| = 1; C: fflush(stdout))`,
          ),
        ),
      spec.startTimeoutMs,
    );
    const [program, ...args] = spec.command;
    this.child = spawn(program!, args, {
      cwd: spec.cwd,
      env: { ...spec.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      shell: false,
      windowsHide: true,
    });
    this.exitedPromise = new Promise((resolve) => this.child.once('close', () => resolve()));
    const lines = new LineSplitter(
      spec.maxLineBytes,
      (line) => this.onLine(line),
      (bytes) =>
        this.fail(
          new PortFailure(`wrote a line over ${spec.maxLineBytes} bytes (${bytes} so far)`),
        ),
    );
    this.child.stdout.on('data', (chunk: Buffer) => {
      if (!this.failure) lines.push(chunk);
    });
    const errLines = new LineSplitter(
      STDERR_LINE_MAX,
      (line) => this.onStderr(line),
      () => undefined,
    );
    this.child.stderr.on('data', (chunk: Buffer) => errLines.push(chunk));
    // EPIPE when the child died: its exit is reported by 'exit' below.
    this.child.stdin.on('error', () => undefined);
    this.child.once('error', (err) =>
      this.fail(new PortFailure(`could not start: ${err.message}`)),
    );
    this.child.once('exit', (code, signal) => {
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      this.fail(new PortFailure(this.hello ? how : `${how} before its hello`));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.failure === undefined;
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  /** The child's hello, whatever it says; rejects if it breaks or stays silent. */
  greeting(): Promise<HelloMessage> {
    return this.helloReceived;
  }

  /** Resolves once the child said a valid hello naming `type`; rejects (and kills it) otherwise. */
  async handshake(type: string): Promise<HelloMessage> {
    const hello = await this.helloReceived;
    const wrong =
      hello.protocol !== PORT_PROTOCOL_VERSION
        ? `speaks protocol ${hello.protocol}; this worker speaks ${PORT_PROTOCOL_VERSION}`
        : !hello.types.includes(type)
          ? `handles ${JSON.stringify(hello.types)}, not job type ${type}`
          : undefined;
    if (wrong) {
      const err = new PortFailure(wrong);
      this.fail(err);
      throw err;
    }
    return hello;
  }

  /** Sends one job and resolves with the child's reply; rejects with PortFailure if it breaks. */
  run(request: JobRequest, hooks: JobHooks): Promise<PortReply> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error('port is busy'));
    return new Promise<PortReply>((resolve, reject) => {
      this.pending = { id: request.id, hooks, resolve, reject };
      this.child.stdin.write(`${JSON.stringify(request)}\n`);
    });
  }

  /** Kills the child's whole process group at once. */
  kill(reason: Error = new PortFailure('killed')): void {
    this.fail(reason);
  }

  /**
   * Closes stdin (a port exits on EOF), then kills the group if it has not gone in graceMs.
   * Resolves true when the child exited by itself.
   */
  async close(graceMs: number): Promise<boolean> {
    let killed = false;
    this.child.stdin.end();
    const timer = setTimeout(() => {
      killed = true;
      this.kill(new PortFailure(`did not exit within ${graceMs} ms of its stdin closing`));
    }, graceMs);
    await this.exitedPromise;
    clearTimeout(timer);
    this.failure ??= new PortFailure('closed');
    return !killed;
  }

  exited(): Promise<void> {
    return this.exitedPromise;
  }

  private onLine(line: string): void {
    let msg: ChildMessage;
    try {
      msg = parseChildLine(line);
    } catch (err) {
      this.fail(err instanceof ProtocolViolation ? new PortFailure(err.message) : (err as Error));
      return;
    }
    if (msg.kind === 'hello') {
      if (this.hello) return this.fail(new PortFailure('said hello twice'));
      this.hello = msg;
      clearTimeout(this.helloTimer);
      this.settleHello.resolve(msg);
      return;
    }
    if (!this.hello)
      return this.fail(new PortFailure(`wrote a ${msg.kind} message before its hello`));
    const pending = this.pending;
    if (!pending || pending.id !== msg.id) {
      return this.fail(
        new PortFailure(
          `wrote a ${msg.kind} message for job ${JSON.stringify(msg.id)}, which it does not hold`,
        ),
      );
    }
    switch (msg.kind) {
      case 'progress':
        pending.hooks.progress(msg.value);
        return;
      case 'log':
        pending.hooks.log(msg.level, msg.message);
        return;
      case 'ok':
        this.pending = undefined;
        pending.resolve({ kind: 'ok', value: msg.value });
        return;
      case 'error':
        this.pending = undefined;
        pending.resolve({ kind: 'error', message: msg.message, retryable: msg.retryable });
    }
  }

  private onStderr(line: string): void {
    this.log.warn(
      { pid: this.pid, ...(this.pending ? { jobId: this.pending.id } : {}) },
      `port stderr: ${line}`,
    );
  }

  /** Records the first failure, kills the process group and rejects whoever waits. */
  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    // The whole group, even when the leader is gone: what it started must not outlive it.
    const pid = this.child.pid;
    if (pid !== undefined) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        this.child.kill('SIGKILL');
      }
    }
    clearTimeout(this.helloTimer);
    this.settleHello.reject(err);
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(err);
  }
}
