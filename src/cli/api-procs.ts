import cluster, { type Worker } from 'node:cluster';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkmeshError, catalogue, type ErrorCode } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import { tellParent, type ParentMessage } from './lifecycle.js';

/** Longest the children get to drain on a stop before they are killed. */
const STOP_DEADLINE_MS = 20_000;
/** A child that lived this long before crashing is restarted without backoff. */
const STABLE_MS = 30_000;

interface Slot {
  worker: Worker;
  startedAt: number;
  /** Crashes in a row, for the restart backoff. */
  crashes: number;
  nodeId?: string;
}

/**
 * The primary of `workmesh api --procs N`: forks N API processes with node:cluster (they share
 * the listening port; the primary hands out connections round-robin), each its own cluster
 * node. Says ready to its own parent once all N listen; restarts a child that dies, with
 * backoff; on SIGTERM/SIGINT asks every child to stop gracefully and waits for them.
 */
export async function runApiPrimary(procs: number, log: Logger): Promise<number> {
  const slots: Slot[] = [];
  let stopping = false;

  const fork = (slot?: Slot): Slot => {
    const worker = cluster.fork();
    const s: Slot = slot ?? { worker, startedAt: 0, crashes: 0 };
    s.worker = worker;
    s.startedAt = performance.now();
    // A stop request racing the child's own exit fails with EPIPE: the child is gone anyway.
    worker.on('error', (err: Error) => log.debug({ err: err.message }, 'api process channel'));
    worker.on('message', (msg: ParentMessage) => {
      if (msg.kind === 'ready') s.nodeId = msg.nodeId;
    });
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      const lived = performance.now() - s.startedAt;
      s.crashes = lived > STABLE_MS ? 1 : s.crashes + 1;
      const delayMs = Math.min(30_000, 500 * 2 ** (s.crashes - 1));
      log.error(
        { nodeId: s.nodeId, code, signal, restartInMs: delayMs },
        'api process exited; restarting it',
      );
      setTimeout(() => {
        if (!stopping) fork(s);
      }, delayMs).unref();
    });
    return s;
  };

  // Every child must be listening before this process says it is ready.
  const ready = new Promise<{ nodeIds: string[]; url?: string }>((resolve, reject) => {
    let count = 0;
    let url: string | undefined;
    const nodeIds: string[] = [];
    const onMessage = (_w: Worker, msg: ParentMessage): void => {
      if (msg.kind === 'error') {
        // The child's own error (a port in use, a bad setting) is this process's error.
        const code = msg.code in catalogue ? (msg.code as ErrorCode) : 'WM_ERR_INTERNAL';
        return fail(new WorkmeshError(code, msg.message));
      }
      nodeIds.push(msg.nodeId);
      url ??= msg.url;
      if (++count === procs) {
        cleanup();
        resolve(url === undefined ? { nodeIds } : { nodeIds, url });
      }
    };
    const onExit = (w: Worker, code: number | null): void =>
      fail(
        new WorkmeshError(
          'WM_ERR_INTERNAL',
          `api process ${w.process.pid} exited (${code}) before it was ready`,
        ),
      );
    const fail = (err: WorkmeshError): void => {
      cleanup();
      reject(err);
    };
    const cleanup = (): void => {
      cluster.off('message', onMessage);
      cluster.off('exit', onExit);
    };
    cluster.on('message', onMessage);
    cluster.on('exit', onExit);
  });

  const stopChildren = async (): Promise<void> => {
    stopping = true;
    const alive = slots.map((s) => s.worker).filter((w) => !w.isDead());
    const exits = alive.map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())));
    // A stop request over IPC, not a signal: a child that already got the terminal's SIGINT
    // would take a second signal as "exit at once".
    for (const w of alive) if (w.isConnected()) w.send({ kind: 'stop' });
    const all = Promise.all(exits);
    if (
      (await Promise.race([all, sleep(STOP_DEADLINE_MS, 'late' as const, { ref: false })])) ===
      'late'
    ) {
      for (const w of alive) if (!w.isDead()) w.process.kill('SIGKILL');
      await all;
    }
  };

  for (let i = 0; i < procs; i++) slots.push(fork());
  let started: { nodeIds: string[]; url?: string };
  try {
    started = await ready;
  } catch (err) {
    await stopChildren();
    throw err;
  }
  log.info({ procs, url: started.url, nodeIds: started.nodeIds }, 'api processes listening');
  tellParent({
    kind: 'ready',
    role: 'api',
    nodeId: started.nodeIds.join(','),
    ...(started.url === undefined ? {} : { url: started.url }),
  });

  await new Promise<void>((resolve) => {
    const onStop = (reason: string): void => {
      if (stopping) return;
      log.info({ reason }, 'stopping api processes');
      void stopChildren().then(resolve);
    };
    process.on('SIGTERM', () => onStop('SIGTERM'));
    process.on('SIGINT', () => onStop('SIGINT'));
    if (process.send) process.on('disconnect', () => onStop('parent exited'));
  });
  log.info('api processes stopped');
  return 0;
}
