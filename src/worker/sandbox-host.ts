import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FromThread, ThreadSpec, ToThread } from './sandbox-messages.js';

/** Where a sandboxed handler runs: a worker thread, or a child process. */
export type SandboxKind = 'thread' | 'process';

/** One sandbox (a thread or a child process) as its pool drives it. */
export interface SandboxHost {
  /** The thread id, or the child's pid. */
  readonly id: number;
  /** Resolves when it has ended, however. */
  readonly exited: Promise<void>;
  send(msg: ToThread): void;
  onMessage(fn: (msg: FromThread) => void): void;
  onError(fn: (err: Error) => void): void;
  /** Ends it at once (a busy loop included); resolves once it has. */
  terminate(): Promise<void>;
}

// Run from the sources (tsx), the entry is the .ts beside this file; built, the .js.
const FROM_SOURCES = import.meta.url.endsWith('.ts');
const ENTRY = new URL(
  FROM_SOURCES ? './sandbox-thread.ts' : './sandbox-thread.js',
  import.meta.url,
);

/**
 * A thread's entry URL: from the sources, a bootstrap that registers tsx first (a thread does
 * not run the process's `--import tsx`, a child process does).
 */
function threadEntry(): URL {
  if (!FROM_SOURCES) return ENTRY;
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `const { register } = await import(${JSON.stringify(tsx)}); register(); await import(${JSON.stringify(ENTRY.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

export function startHost(kind: SandboxKind, spec: ThreadSpec): SandboxHost {
  return kind === 'thread' ? threadHost(spec) : processHost(spec);
}

function threadHost(spec: ThreadSpec): SandboxHost {
  const worker = new Worker(threadEntry(), { workerData: spec, stdout: false, stderr: false });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    id: worker.threadId,
    exited,
    send: (msg) => worker.postMessage(msg),
    onMessage: (fn) => void worker.on('message', fn),
    onError: (fn) => void worker.on('error', fn),
    terminate: async () => void (await worker.terminate()),
  };
}

/**
 * A child process: the worker's own Node options (tsx's loader, preloads) carry over; messages
 * by IPC with the structured clone (`serialization: 'advanced'`), as a thread's are.
 */
function processHost(spec: ThreadSpec): SandboxHost {
  const child = fork(fileURLToPath(ENTRY), [], {
    execArgv: process.execArgv,
    env: { ...process.env, WORKMESH_SANDBOX_SPEC: JSON.stringify(spec) },
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    id: child.pid ?? -1,
    exited,
    send: (msg) => {
      if (!child.connected) throw new Error('sandbox process has exited');
      child.send(msg);
    },
    onMessage: (fn) => void child.on('message', (m) => fn(m as FromThread)),
    onError: (fn) => void child.on('error', fn),
    terminate: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
