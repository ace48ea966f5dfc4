import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { WorkmeshError } from '../errors/index.js';

/**
 * Starts a private redis-server: for `workmesh up` when no REDIS_URL is given, and for the
 * test harness. Installs the binary when the system package manager can do it without a
 * prompt (root or passwordless sudo with apt-get, or Homebrew).
 */

export interface RedisServerOptions {
  /** Folder for the data (AOF); created when missing. */
  readonly dir: string;
  /** 0 or undefined: a free port. */
  readonly port?: number;
  /** Extra `--name value` arguments, e.g. ['--appendfsync', 'always']. */
  readonly extraArgs?: readonly string[];
  readonly log?: Logger;
}

export interface RedisServerHandle {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** The first executable `name` on PATH (or in /usr/sbin, /usr/local/bin), if any. */
export function findOnPath(name: string): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/usr/local/bin']);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

function installCommands(): string[][] | undefined {
  const isRoot = process.getuid?.() === 0;
  if (findOnPath('apt-get')) {
    const sudo = isRoot
      ? []
      : spawnSync('sudo', ['-n', 'true']).status === 0
        ? ['sudo', '-n']
        : undefined;
    if (sudo) {
      return [
        [...sudo, 'apt-get', 'update', '-qq'],
        [...sudo, 'apt-get', 'install', '-y', '-qq', 'redis-server'],
      ];
    }
  }
  if (findOnPath('brew')) return [['brew', 'install', 'redis']];
  return undefined;
}

/** The path of redis-server, installing it first when that needs no prompt. */
export function ensureRedisServerBinary(log?: Logger): string {
  const found = findOnPath('redis-server');
  if (found) return found;
  const commands = installCommands();
  if (!commands) {
    throw new WorkmeshError(
      'WM_ERR_REDIS_SERVER_MISSING',
      'redis-server is not installed. Install it (Debian/Ubuntu: `sudo apt-get install redis-server`, macOS: `brew install redis`) or set REDIS_URL to a Redis you run.',
    );
  }
  for (const [cmd, ...args] of commands) {
    log?.info({ cmd: [cmd, ...args].join(' ') }, 'installing redis-server');
    const result = spawnSync(cmd!, args, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (result.status !== 0) {
      throw new WorkmeshError(
        'WM_ERR_REDIS_SERVER_MISSING',
        `\`${[cmd, ...args].join(' ')}\` failed; install redis-server yourself or set REDIS_URL.`,
      );
    }
  }
  const installed = findOnPath('redis-server');
  if (!installed) {
    throw new WorkmeshError(
      'WM_ERR_REDIS_SERVER_MISSING',
      'redis-server still not found after install.',
    );
  }
  return installed;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function waitForReady(child: ChildProcess): Promise<void> {
  return new Promise((resolveReady, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        cleanup();
        resolveReady();
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(
        new WorkmeshError(
          'WM_ERR_REDIS_SERVER_START',
          `redis-server exited (${code}): ${output.trim().slice(-800)}`,
        ),
      );
    };
    const cleanup = (): void => {
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

export async function startRedisServer(options: RedisServerOptions): Promise<RedisServerHandle> {
  const binary = ensureRedisServerBinary(options.log);
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const port = options.port || (await freePort());
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--save',
      '',
      '--daemonize',
      'no',
      '--logfile',
      '',
      ...(options.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await waitForReady(child);
  // Keep draining its output so the pipe never fills and stalls redis-server.
  child.stdout?.resume();
  child.stderr?.resume();
  const exited = new Promise<void>((done) => {
    if (child.exitCode !== null) done();
    else child.once('exit', () => done());
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
