import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Starts real `workmesh <role>` processes from the TypeScript sources, and cleans them up. */

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

export function runCli(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  stdin: 'ignore' | 'pipe' = 'ignore',
): RoleProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, WORKMESH_LOG_LEVEL: 'warn', ...env },
    stdio: [stdin, 'pipe', 'pipe', 'ipc'],
  });
  started.add(child);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      started.delete(child);
      resolve(code);
    }),
  );
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

/** Runs a CLI command to completion; answers its exit code and output. */
export async function runCliToEnd(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
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

/** SIGTERM every process a test started and wait for them; SIGKILL the ones that hang. */
export async function stopAll(): Promise<void> {
  const waits = [...started].map(
    (c) =>
      new Promise<void>((resolve) => {
        if (c.exitCode !== null || c.signalCode !== null) return resolve();
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
        setTimeout(() => c.kill('SIGKILL'), 15_000).unref();
      }),
  );
  await Promise.all(waits);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
