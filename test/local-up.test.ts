import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ClusterNode, type MembershipChange } from '../src/cluster/index.js';
import { loadConfig } from '../src/config/index.js';
import { createLogger } from '../src/log/index.js';
import { CLI, ROOT } from './helpers/processes.js';
import { until } from './helpers/wait.js';
import { tempDir } from './helpers/temp-dir.js';

/**
 * The one-machine path as a newcomer takes it: `workmesh up` in one terminal, the other
 * commands in others, from the same folder, with none of up's settings copied.
 */

const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
// A terminal that was never told anything about workmesh.
const cleanEnv: Record<string, string> = Object.fromEntries(
  Object.entries(process.env).filter(
    (e): e is [string, string] =>
      e[1] !== undefined && !e[0].startsWith('WORKMESH_') && e[0] !== 'REDIS_URL',
  ),
);

const children = new Set<ChildProcess>();

interface Run {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
}

function start(
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = {},
  stdin: 'ignore' | 'pipe' = 'ignore',
): Run {
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
    cwd,
    env: { ...cleanEnv, ...env },
    stdio: [stdin, 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return { child, exited, output: () => out };
}

async function runToEnd(
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string }> {
  const run = start(cwd, args, env);
  const code = await run.exited;
  return { code, out: run.output() };
}

after(() => {
  for (const c of children) c.kill('SIGKILL');
});

describe('a second terminal joins the running up', () => {
  const folder = tempDir('local-up');
  let up: Run;
  let watcher: ClusterNode;
  const left: MembershipChange[] = [];

  before(async () => {
    up = start(folder, ['up', '--port', '0', '--console-port', '0', '--workers', '1']);
    await until(
      'up to be ready',
      () => up.output(),
      (o) => o.includes('Ctrl-C stops'),
      180_000,
    );
  });
  after(async () => {
    await watcher?.stop();
    up.child.kill('SIGTERM');
    assert.equal(await up.exited, 0, up.output());
    assert.equal(existsSync(join(folder, '.workmesh/up.json')), false, 'up.json removed on stop');
  });

  it('the banner says what to run next; up.json is readable by its owner only', () => {
    assert.match(up.output(), /Next, from another terminal in this folder/);
    assert.match(up.output(), /shell -e "await call\('worker', 'ping'\)"/);
    assert.match(up.output(), /nodes\n/);
    const path = join(folder, '.workmesh/up.json');
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it("shell -e \"await call('worker','ping')\" answers pong, with no settings given", async () => {
    const { code, out } = await runToEnd(folder, ['shell', '-e', "await call('worker','ping')"]);
    assert.equal(code, 0, out);
    assert.match(out, /"pong": true/);
    assert.doesNotMatch(up.output(), /dropped a cluster message/);
  });

  it('shell -e prints an error with its code and exits 1', async () => {
    const { code, out } = await runToEnd(folder, ['shell', '-e', "await call('nobody', 'ping')"]);
    assert.equal(code, 1, out);
    assert.match(out, /workmesh shell: .*\[WM_ERR_CLUSTER_NO_NODE\]/);
  });

  it('nodes --json lists the api, the worker and the console', async () => {
    const { code, out } = await runToEnd(folder, ['nodes', '--json']);
    assert.equal(code, 0, out);
    const roles = (JSON.parse(out) as { role: string }[]).map((m) => m.role).sort();
    assert.deepEqual(roles, ['api', 'sysmon', 'worker']);
  });

  it('submit --wait reaches the API up started on a free port', async () => {
    const { code, out } = await runToEnd(folder, ['submit', 'hello', '--wait']);
    assert.equal(code, 0, out);
    assert.match(out, /"status":"done"/);
  });

  it('a second up from the same folder refuses to start', async () => {
    const { code, out } = await runToEnd(folder, ['up', '--port', '0', '--console-port', '0']);
    assert.equal(code, 2, out);
    assert.match(out, /already running/);
  });

  it('a shell leaving with .exit and a sysmon stopped by SIGTERM leave by shutdown', async () => {
    const state = JSON.parse(readFileSync(join(folder, '.workmesh/up.json'), 'utf8')) as {
      redisUrl: string;
      clusterSecret: string;
    };
    watcher = new ClusterNode({
      config: loadConfig({
        REDIS_URL: state.redisUrl,
        WORKMESH_CLUSTER_SECRET: state.clusterSecret,
      }),
      nodeId: 'test-watcher',
      role: 'test',
      log: createLogger('silent'),
    });
    const joined: MembershipChange[] = [];
    watcher.on('joined', (c: MembershipChange) => joined.push(c));
    watcher.on('left', (c: MembershipChange) => left.push(c));
    await watcher.start();
    const known = new Set(watcher.members().map((m) => m.id));
    const newcomer = (role: string): string | undefined =>
      joined.find((c) => c.node.role === role && !known.has(c.node.id))?.node.id;

    const sysmon = start(folder, ['sysmon', '--no-console']);
    const sysmonId = await until('sysmon to join', () => newcomer('sysmon'), Boolean, 30_000);
    // Its first status line comes once it handles signals.
    await until(
      'sysmon to run',
      () => sysmon.output(),
      (o) => / nodes=\d/.test(o),
      30_000,
    );
    sysmon.child.kill('SIGTERM');
    assert.equal(await sysmon.exited, 0, sysmon.output());
    const sysmonLeft = await until(
      'sysmon to leave',
      () => left.find((c) => c.node.id === sysmonId),
      (c) => c !== undefined,
    );
    assert.equal(sysmonLeft?.reason, 'shutdown');

    const shell = start(folder, ['shell'], { WORKMESH_HISTORY: 'off' }, 'pipe');
    const shellId = await until('shell to join', () => newcomer('shell'), Boolean, 30_000);
    shell.child.stdin?.write('.exit\n');
    assert.equal(await shell.exited, 0, shell.output());
    const shellLeft = await until(
      'shell to leave',
      () => left.find((c) => c.node.id === shellId),
      (c) => c !== undefined,
    );
    assert.equal(shellLeft?.reason, 'shutdown');
  });
});

describe('one-shot commands and an unreachable Redis', () => {
  let deadUrl: string;
  before(async () => {
    // A port nothing listens on: taken, then released.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    deadUrl = `redis://127.0.0.1:${(server.address() as { port: number }).port}`;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  for (const args of [
    ['nodes'],
    ['nodes', '--json'],
    ['sysmon', '--once', '--json'],
    ['shell', '-e', '1+1'],
  ]) {
    it(`${args.join(' ')} gives up with WM_ERR_REDIS_UNAVAILABLE and exit 1`, async () => {
      const { code, out } = await runToEnd(tmpdir(), args, { REDIS_URL: deadUrl });
      assert.equal(code, 1, out);
      assert.match(out, /WM_ERR_REDIS_UNAVAILABLE/);
    });
  }
});
