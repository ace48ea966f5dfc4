import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { findOnPath } from '../src/redis/server.js';
import { FAST_CLUSTER } from './helpers/cluster.js';
import { ROOT, startApiProcess, startWorkerProcess, stopAll } from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { tempDir } from './helpers/temp-dir.js';

/**
 * The typed client in the runtimes it promises besides the browser (test/client-browser.test.ts):
 * one program, test/fixtures/runtimes/app.mjs, run unchanged by Node, Deno and Bun in an
 * application folder that has the package in node_modules as npm would put it (package.json
 * with its `exports`, dist/ compiled by tsc from tsconfig.build.json as `npm run build` does,
 * its one client dependency eventsource-parser beside it), so `import 'workmesh/client'`
 * resolves through the package's exports as in a user's project. Against a real API and
 * worker on a private redis-server, and a stub of the API for what the real one does not do
 * on cue (a 503 with Retry-After, an event stream cut in the middle). Deno runs with network
 * access to those two ports only.
 *
 * Deno and Bun are found by WORKMESH_DENO / WORKMESH_BUN (a path to the binary) or on PATH;
 * .ci/run installs both from the npm registry. Their tests skip, saying so, only when the
 * binary is not found.
 */

let redis: TestRedis;
let apiUrl: string;
let stub: Server;
let stubUrl: string;
/** The application folder: app.mjs, settings.mjs, node_modules/{workmesh,eventsource-parser}. */
const app = tempDir('runtimes');

before(async () => {
  const pkg = join(app, 'node_modules/workmesh');
  mkdirSync(pkg, { recursive: true });
  copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(
    join(ROOT, 'node_modules/eventsource-parser'),
    join(app, 'node_modules/eventsource-parser'),
  );
  // The application's own package.json, which names its dependency (Deno resolves only those).
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  const application = { private: true, type: 'module', dependencies: { workmesh: version } };
  writeFileSync(join(app, 'package.json'), `${JSON.stringify(application, null, 2)}\n`);
  copyFileSync(join(ROOT, 'test/fixtures/runtimes/app.mjs'), join(app, 'app.mjs'));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const building = promisify(execFile)(
    process.execPath,
    [tsc, '-p', 'tsconfig.build.json', '--outDir', join(pkg, 'dist')],
    { cwd: ROOT },
  ).catch((err: { stdout: string }) => assert.fail(`tsc failed:\n${err.stdout}`));
  building.catch(() => undefined); // awaited below, once the processes are up

  redis = await startTestRedis();
  const env = { ...FAST_CLUSTER, WORKMESH_JOBS: join(ROOT, 'test/fixtures/client-jobs.ts') };
  const api = startApiProcess(redis.url, env);
  const worker = startWorkerProcess(redis.url, env);
  apiUrl = (await api.ready).url!;
  await worker.ready;
  stub = createServer(answerAsStub);
  await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
  stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  const settings = { apiUrl, stubUrl, neverThere: join(app, 'never-there') };
  writeFileSync(join(app, 'settings.mjs'), `export default ${JSON.stringify(settings)};\n`);
  await building;
});

after(async () => {
  stub?.close();
  stub?.closeAllConnections();
  await stopAll();
  await redis?.stop();
});

/** What the stub was asked, by path: the runtime's retry and cut-stream calls. */
const asked = new Map<string, { lastEventId: string | undefined }[]>();

/**
 * The stub: GET /api/status/retry-<runtime> answers 503 with Retry-After: 0 the first time,
 * then the job's state; GET /api/events/cut-<runtime> sends its first event (CRLF framing, a
 * `retry:` field, a comment) and drops the connection, then, asked again with Last-Event-ID,
 * the rest.
 */
function answerAsStub(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url!, 'http://x').pathname;
  const calls = asked.get(path) ?? [];
  const lastEventId = req.headers['last-event-id'] as string | undefined;
  asked.set(path, [...calls, { lastEventId }]);
  const id = path.split('/').pop()!;
  if (path.startsWith('/api/status/retry-')) {
    if (calls.length === 0) {
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' });
      res.end(JSON.stringify({ error: { code: 'WM_ERR_REDIS_UNAVAILABLE', message: 'away' } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ callback: id, status: 'done', type: 'add', value: { sum: 5 } }));
    return;
  }
  if (path.startsWith('/api/events/cut-')) {
    const event = (n: number, status: string): string =>
      `id: ${n}\r\ndata: ${JSON.stringify({ n, status, at: n, callback: id })}\r\n\r\n`;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    if (lastEventId === undefined) {
      // The first event, then the connection drops before the rest.
      res.write(`retry: 10\r\n: keep-alive\r\n\r\n${event(1, 'accepted')}`, () => res.destroy());
      return;
    }
    res.end(event(2, 'pending') + event(3, 'done'));
    return;
  }
  res.writeHead(404).end();
}

/** A runtime's binary: the env var's path, else the first executable `name` on PATH. */
function findBinary(envVar: string, name: string): string | undefined {
  return process.env[envVar] || findOnPath(name);
}

interface Summary {
  runtime: string;
  version: string;
  events: { n: number; status: string; progress?: unknown }[];
  ticks: { status: string; value?: unknown };
  add: { status: string; value?: unknown };
  status: { status: string; value?: unknown };
  invalid: string;
  badId: string;
  retried: string;
  resumed: { n: number; status: string }[];
  gateEvents: { status: string; progress?: unknown }[];
  aborted: string;
  timedOut: string;
  preAborted: string;
  cancel: string;
  gate: string;
}

/**
 * Runs app.mjs with a command in the application folder; answers its JSON line. Killed (and
 * then failed) if it runs on for 2 minutes: a client that keeps a runtime alive is a bug too.
 */
async function runApp(t: TestContext, command: string, args: string[]): Promise<Summary> {
  const child = spawn(command, [...args, 'app.mjs'], {
    cwd: app,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      NO_COLOR: '1',
      // Deno: its cache in the test's folder, no update check (no network but the API's).
      DENO_DIR: join(app, '.deno'),
      DENO_NO_UPDATE_CHECK: '1',
      // Bun: no transpiler cache written outside the folder, no telemetry.
      BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0',
      DO_NOT_TRACK: '1',
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  t.after(() => {
    clearTimeout(timer);
    child.kill('SIGKILL');
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, `${command} ${args.join(' ')} app.mjs exited ${code}:\n${stderr}`);
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as Summary;
}

/** What every runtime must have seen, the same everywhere. */
function check(summary: Summary, runtime: string): void {
  assert.equal(summary.runtime, runtime);
  // The events, in order, each once: accepted, pending, the two progress reports, done.
  assert.deepEqual(
    summary.events.map((e) => e.status),
    ['accepted', 'pending', 'progress', 'progress', 'done'],
  );
  assert.deepEqual(
    summary.events.map((e) => e.progress).filter((p) => p !== undefined),
    [{ step: 1 }, { step: 2 }],
  );
  assert.deepEqual(
    summary.events.map((e) => e.n),
    [1, 2, 3, 4, 5],
  );
  assert.equal(summary.ticks.status, 'done');
  assert.equal(summary.ticks.value, 2);
  assert.deepEqual(summary.add, { ...summary.add, status: 'done', value: { sum: 5 } });
  assert.deepEqual(summary.status, { status: 'done', value: { sum: 5 } });
  assert.equal(summary.invalid, 'WM_ERR_JOB_INVALID_DATA');
  assert.equal(summary.badId, 'WM_ERR_API_BAD_ID');
  // The abort came after the gate's first progress report, and ended the stream there.
  assert.deepEqual(summary.gateEvents.at(-1), { status: 'progress', progress: { step: 1 } });
  assert.equal(summary.aborted, 'WM_ERR_CLIENT_ABORTED');
  assert.equal(summary.timedOut, 'WM_ERR_CLIENT_TIMEOUT');
  assert.equal(summary.preAborted, 'WM_ERR_CLIENT_ABORTED');
  assert.equal(summary.cancel, 'cancelled');
  assert.equal(summary.gate, 'cancelled');
  // The 503 was retried after its Retry-After; the cut stream resumed after event 1.
  assert.equal(summary.retried, 'done');
  assert.equal(asked.get(`/api/status/retry-${runtime}`)?.length, 2);
  assert.deepEqual(summary.resumed, [
    { n: 1, status: 'accepted' },
    { n: 2, status: 'pending' },
    { n: 3, status: 'done' },
  ]);
  // Resumed with Last-Event-ID 1 once event 1 was seen. Before that, as many connections
  // without it as it took to see event 1: Node and Deno see it on the first, Bun (1.4.5) at
  // times loses the bytes that arrive together with the connection's close (80 of 300 fetches
  // in a loop here), so its client saw nothing, asked again from the start, and was right to.
  const calls = asked.get(`/api/events/cut-${runtime}`) ?? [];
  assert.deepEqual(calls.at(-1), { lastEventId: '1' }, JSON.stringify(calls));
  assert.ok(calls.length >= 2, JSON.stringify(calls));
  for (const call of calls.slice(0, -1)) assert.deepEqual(call, { lastEventId: undefined });
  if (runtime !== 'bun') assert.equal(calls.length, 2, JSON.stringify(calls));
}

describe('the client entry (workmesh/client) in other runtimes', () => {
  it('Node runs app.mjs (plain node, the built package)', async (t) => {
    const summary = await runApp(t, process.execPath, []);
    t.diagnostic(`node ${summary.version}`);
    check(summary, 'node');
  });

  it('Deno runs app.mjs, with network access to the API and the stub only', async (t) => {
    const deno = findBinary('WORKMESH_DENO', 'deno');
    if (!deno) return t.skip('no Deno: set WORKMESH_DENO or put deno on PATH (.ci/run does)');
    const hosts = [apiUrl, stubUrl].map((url) => new URL(url).host);
    const summary = await runApp(t, deno, [
      'run',
      `--allow-net=${hosts.join(',')}`,
      '--no-prompt',
      '--no-lock',
    ]);
    t.diagnostic(`deno ${summary.version}`);
    check(summary, 'deno');
  });

  it('Bun runs app.mjs', async (t) => {
    const bun = findBinary('WORKMESH_BUN', 'bun');
    if (!bun) return t.skip('no Bun: set WORKMESH_BUN or put bun on PATH (.ci/run does)');
    const summary = await runApp(t, bun, ['run', '--no-install']);
    t.diagnostic(`bun ${summary.version}`);
    check(summary, 'bun');
  });
});
