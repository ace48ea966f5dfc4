import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * Starts real `workmesh <role>` processes from the TypeScript sources, and cleans them up: each
 * in a process group of its own (so `up` goes with the redis-server and workers it started),
 * stopped at the end of the test file even when a test failed or hung (an after() hook this
 * module registers), and SIGKILLed if the file's process exits with one still running.
 */

export const CLI = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ReadyInfo {
  readonly nodeId: string;
  readonly url?: string;
}

export interface RoleProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<ReadyInfo>;
  readonly exited: Promise<number | null>;
  output(): string;
}

const started = new Set<ChildProcess>();

function track(child: ChildProcess): void {
  started.add(child);
  child.once('exit', () => {
    started.delete(child);
    // What the process left behind in its group (a redis-server `up` started, say) goes too.
    killGroup(child, 'SIGKILL');
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // The group is empty already.
  }
}

after(() => stopAll());
process.once('exit', () => {
  for (const child of started) killGroup(child, 'SIGKILL');
});

export function runCli(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  stdin: 'ignore' | 'pipe' = 'ignore',
  /** Node options before the CLI (a preload: `--import <module>`). */
  nodeArgs: readonly string[] = [],
): RoleProcess {
  return runScript(CLI, args, env, stdin, nodeArgs);
}

/** Any TypeScript program (an example), run and tracked as runCli runs the CLI. */
export function runScript(
  script: string,
  args: readonly string[] = [],
  env: Record<string, string | undefined> = {},
  stdin: 'ignore' | 'pipe' = 'ignore',
  /** Node options before the script (a preload: `--import <module>`). */
  nodeArgs: readonly string[] = [],
  /** Where it runs (and where `tsx` and the tsconfig are found): another tree of the repo. */
  cwd: string = ROOT,
): RoleProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ...nodeArgs, script, ...args], {
    cwd,
    env: { ...process.env, WORKMESH_LOG_LEVEL: 'warn', ...env },
    stdio: [stdin, 'pipe', 'pipe', 'ipc'],
    detached: true,
  });
  track(child);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ready = new Promise<ReadyInfo>((resolve, reject) => {
    child.on('message', (msg: { kind: string; nodeId: string; url?: string; message?: string }) => {
      if (msg.kind === 'ready')
        resolve(msg.url ? { nodeId: msg.nodeId, url: msg.url } : { nodeId: msg.nodeId });
      if (msg.kind === 'error') reject(new Error(msg.message));
    });
    void exited.then((code) => reject(new Error(`exited ${code} before ready:\n${out}`)));
  });
  ready.catch(() => undefined);
  return { child, ready, exited, output: () => out };
}

/**
 * Runs a CLI command to completion; answers its exit code and output. Tracked like runCli's: a
 * command that should end but runs on (a refusal to start that regressed) is stopped with its
 * process group at the end of the file.
 */
export async function runCliToEnd(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  /** A command still running after this is killed with its group: its code is then null. */
  timeoutMs = 120_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  track(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => {
    stderr += `\n[runCliToEnd: still running after ${timeoutMs} ms: killed]`;
    killGroup(child, 'SIGKILL');
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

export function startWorkerProcess(
  redisUrl: string,
  env: Record<string, string> = {},
): RoleProcess {
  return runCli(['worker'], { REDIS_URL: redisUrl, ...env });
}

export function startApiProcess(redisUrl: string, env: Record<string, string> = {}): RoleProcess {
  return runCli(['api', '--port', '0'], { REDIS_URL: redisUrl, ...env });
}

/**
 * SIGTERM (or signal) a process's group and wait for it to exit; SIGKILL the group if it hangs
 * 15 s. SIGKILL at once for a worker holding jobs the test does not care about (SIGTERM waits
 * for them through the grace period).
 */
export function stopProcess(
  p: RoleProcess | ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  const child = 'child' in p ? p.child : p;
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    killGroup(child, signal);
    setTimeout(() => killGroup(child, 'SIGKILL'), 15_000).unref();
  });
}

/** SIGTERM every process a test started and wait for them; SIGKILL the ones that hang. */
export async function stopAll(): Promise<void> {
  await Promise.all([...started].map((c) => stopProcess(c)));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
