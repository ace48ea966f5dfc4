import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NOOP_MODULE = fileURLToPath(new URL('../peers/noop-job.ts', import.meta.url));

export type ServerName = 'workmesh' | 'fastify+bullmq';

export interface HttpServer {
  readonly url: string;
  stop(): Promise<void>;
}

function started(proc: ChildProcess, what: string): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`${what} exited (${code}) before it was ready`)));
    proc.on('message', (m: { kind: string; url?: string }) => {
      if (m.kind !== 'ready' || !m.url) return;
      resolve({
        url: m.url,
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

/** Starts the named API server as its own process: `workmesh api` itself, or the peer. */
export function startServer(name: ServerName, redisUrl: string): Promise<HttpServer> {
  if (name === 'workmesh') {
    const proc = fork(fileURLToPath(new URL('src/cli/main.ts', `file://${ROOT}`)), ['api'], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: {
        ...process.env,
        REDIS_URL: redisUrl,
        WORKMESH_API_PORT: '0',
        WORKMESH_JOBS: NOOP_MODULE,
        WORKMESH_RESULT_TTL_SEC: '600',
        WORKMESH_LOG_LEVEL: 'error',
        WORKMESH_CLUSTER_SECRET: 'bench',
      },
    });
    return started(proc, 'workmesh api');
  }
  const proc = fork(fileURLToPath(new URL('./bullmq-server.ts', import.meta.url)), [redisUrl], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return started(proc, 'fastify+bullmq server');
}
