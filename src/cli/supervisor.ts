import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkmeshError } from '../errors/index.js';
import type { ParentMessage } from './lifecycle.js';

export interface ChildInfo {
  readonly role: string;
  readonly nodeId: string;
  readonly url?: string;
  readonly pid: number;
}

interface Child {
  readonly role: string;
  readonly args: readonly string[];
  process: ChildProcess;
  info?: ChildInfo;
}

/**
 * Starts `workmesh <role>` as separate OS processes (the same entry script and Node flags as
 * this one), waits for each to say it is ready, restarts one that dies afterwards, and stops
 * them all: SIGTERM, then SIGKILL past the deadline.
 */
export class Supervisor {
  private readonly children: Child[] = [];
  private stopping = false;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly say: (line: string) => void,
  ) {}

  /** Spawns a role and resolves once it is ready; rejects with its error if it exits first. */
  async start(role: string, args: readonly string[] = []): Promise<ChildInfo> {
    const child: Child = { role, args, process: this.spawn(role, args) };
    this.children.push(child);
    child.info = await this.waitReady(child);
    this.watch(child);
    return child.info;
  }

  pids(): number[] {
    return this.children.map((c) => c.process.pid).filter((p): p is number => p !== undefined);
  }

  async stopAll(deadlineMs: number): Promise<void> {
    this.stopping = true;
    const exits = this.children.map((c) => this.exited(c.process));
    for (const c of this.children) if (this.alive(c.process)) c.process.kill('SIGTERM');
    const all = Promise.all(exits);
    if (
      (await Promise.race([all, sleep(deadlineMs, 'late' as const, { ref: false })])) === 'late'
    ) {
      for (const c of this.children) if (this.alive(c.process)) c.process.kill('SIGKILL');
      await all;
    }
  }

  private spawn(role: string, args: readonly string[]): ChildProcess {
    const script = process.argv[1];
    if (!script) throw new Error('cannot tell which script to re-run');
    return spawn(process.execPath, [...process.execArgv, script, role, ...args], {
      env: this.env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  }

  private alive(p: ChildProcess): boolean {
    return p.exitCode === null && p.signalCode === null;
  }

  private exited(p: ChildProcess): Promise<void> {
    return this.alive(p)
      ? new Promise((resolve) => p.once('exit', () => resolve()))
      : Promise.resolve();
  }

  private waitReady(child: Child): Promise<ChildInfo> {
    const p = child.process;
    return new Promise((resolve, reject) => {
      let failure: WorkmeshError | undefined;
      const onMessage = (msg: ParentMessage): void => {
        if (msg.kind === 'error') {
          failure = new WorkmeshError('WM_ERR_INTERNAL', `${child.role}: ${msg.message}`, {
            details: { code: msg.code },
          });
          return;
        }
        cleanup();
        resolve({
          role: msg.role,
          nodeId: msg.nodeId,
          pid: p.pid ?? 0,
          ...(msg.url ? { url: msg.url } : {}),
        });
      };
      const onExit = (code: number | null, signal: string | null): void => {
        cleanup();
        reject(
          failure ??
            new WorkmeshError(
              'WM_ERR_INTERNAL',
              `${child.role} exited (${signal ?? code}) before it was ready`,
            ),
        );
      };
      const cleanup = (): void => {
        p.off('message', onMessage);
        p.off('exit', onExit);
      };
      p.on('message', onMessage);
      p.once('exit', onExit);
    });
  }

  private watch(child: Child): void {
    child.process.once('exit', (code, signal) => {
      if (this.stopping) return;
      // Exit code 0 on its own: it was asked to stop (the console's "stop"), not a crash.
      if (code === 0) {
        this.say(`${child.role} ${child.info?.nodeId ?? ''} stopped on request; not restarted`);
        return;
      }
      this.say(
        `${child.role} ${child.info?.nodeId ?? ''} exited (${signal ?? code}); restarting in 1 s`,
      );
      setTimeout(() => {
        if (this.stopping) return;
        child.process = this.spawn(child.role, child.args);
        this.waitReady(child).then(
          (info) => {
            child.info = info;
            this.say(`${child.role} restarted as ${info.nodeId}`);
            this.watch(child);
          },
          (err: unknown) => this.say(`${child.role} failed to restart: ${(err as Error).message}`),
        );
      }, 1000).unref();
    });
  }
}
