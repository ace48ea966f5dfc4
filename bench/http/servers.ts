import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export type ServerName = 'workmesh' | 'fastify+bullmq';

export interface HttpServer {
  readonly url: string;
  /** The server's process id (bench/api-cost.ts reads its CPU time). */
  readonly pid: number;
  stop(): Promise<void>;
}

export interface ServerOptions {
  /** workmesh: the checkout to run `workmesh api` from (another version); default: this one. */
  readonly root?: string;
  /** Node flags for the server process besides tsx's (`--cpu-prof`). */
  readonly execArgv?: readonly string[];
}

function started(proc: ChildProcess, what: string): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`${what} exited (${code}) before it was ready`)));
    proc.on('message', (m: { kind: string; url?: string }) => {
      if (m.kind !== 'ready' || !m.url) return;
      resolve({
        url: m.url,
        pid: proc.pid!,
        stop: () =>
          new Promise<void>((done) => {
            proc.once('exit', () => done());
            proc.kill('SIGTERM');
            setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
          }),
      });
    });
  });
}

/**
 * Starts the named API server as its own process: `workmesh api` itself, the peer, or the bare
 * Fastify route of bench/api-cost.ts.
 */
export function startServer(
  name: ServerName | 'bare',
  redisUrl: string,
  options: ServerOptions = {},
): Promise<HttpServer> {
  const execArgv = ['--import', 'tsx', ...(options.execArgv ?? [])];
  if (name === 'workmesh') {
    const root = options.root ?? ROOT;
    const proc = fork(join(root, 'src/cli/main.ts'), ['api'], {
      cwd: root,
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: {
        ...process.env,
        REDIS_URL: redisUrl,
        WORKMESH_API_PORT: '0',
        WORKMESH_JOBS: join(root, 'bench/peers/noop-job.ts'),
        WORKMESH_RESULT_TTL_SEC: '600',
        WORKMESH_LOG_LEVEL: 'error',
        WORKMESH_CLUSTER_SECRET: 'bench',
      },
    });
    return started(proc, 'workmesh api');
  }
  const script = name === 'bare' ? './bare-server.ts' : './bullmq-server.ts';
  const proc = fork(fileURLToPath(new URL(script, import.meta.url)), [redisUrl], {
    cwd: ROOT,
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return started(proc, `${name} server`);
}
