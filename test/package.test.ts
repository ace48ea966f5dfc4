import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkmeshClient } from '../src/client/index.js';
import { freePort } from '../src/redis/index.js';
import { ROOT } from './helpers/processes.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { until } from './helpers/wait.js';

/**
 * The README's "Your own job types" as a newcomer follows it: the packed package installed
 * into an empty `npm init -y` project (CommonJS by default), the README's module and commands
 * taken from the README itself and run as written.
 */

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Your own job types'));
const moduleSource = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
const moduleName = /^\/\/ (\S+)/.exec(moduleSource)?.[1] ?? '';
const commands = (/```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '')
  .trim()
  .split('\n')
  .map((line) => line.replace(/^npx /, '').trim().split(/\s+/));

const sh = (cmd: string, args: readonly string[], cwd: string): string =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/**
 * Installs the tarball with no network: a lockfile of the package's runtime dependencies
 * taken from this repository's, so npm fetches each from its cache by integrity.
 */
function installOffline(project: string, tarball: string): void {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, Record<string, unknown>>;
  };
  const self = lock.packages['']!;
  const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    dependencies?: Record<string, string>;
  };
  pkg.dependencies = { workmesh: `file:${tarball}` };
  writeFileSync(join(project, 'package.json'), JSON.stringify(pkg, null, 2));
  const packages: Record<string, unknown> = {
    '': { name: pkg.name, version: pkg.version, dependencies: pkg.dependencies },
    'node_modules/workmesh': {
      version: self.version,
      resolved: `file:${tarball}`,
      integrity: `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`,
      dependencies: self.dependencies,
      bin: self.bin,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.dev === true) continue;
    const { devOptional: _d, peer: _p, ...rest } = entry;
    packages[path] = rest;
  }
  writeFileSync(
    join(project, 'package-lock.json'),
    JSON.stringify(
      { name: pkg.name, version: pkg.version, lockfileVersion: 3, requires: true, packages },
      null,
      2,
    ),
  );
  sh('npm', ['ci', '--offline', '--no-audit', '--no-fund'], project);
}

describe("the README's own job types, from an empty project", () => {
  const project = mkdtempSync(join(tmpdir(), 'workmesh-empty-project-'));
  const children: ChildProcess[] = [];
  let redis: TestRedis;

  before(async () => {
    redis = await startTestRedis();
    sh('npm', ['run', 'build', '--silent'], ROOT);
    const packs = mkdtempSync(join(tmpdir(), 'workmesh-pack-'));
    sh('npm', ['pack', '--silent', '--pack-destination', packs], ROOT);
    const tarball = join(
      packs,
      readdirSync(packs).find((f) => f.endsWith('.tgz'))!,
    );
    sh('npm', ['init', '-y'], project);
    installOffline(project, tarball);
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await redis?.stop();
  });

  it('the README names a TypeScript module and two commands', () => {
    assert.equal(moduleName, 'my-jobs.ts');
    assert.deepEqual(
      commands.map((c) => c.slice(0, 2)),
      [
        ['workmesh', 'api'],
        ['workmesh', 'worker'],
      ],
    );
    const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as {
      type?: string;
    };
    assert.notEqual(pkg.type, 'module', 'npm init makes a CommonJS project');
  });

  it('runs as written: api and worker load my-jobs.ts, a resize job is validated and done', async () => {
    writeFileSync(join(project, moduleName), moduleSource);
    const port = await freePort();
    const env = {
      ...process.env,
      REDIS_URL: redis.url,
      WORKMESH_API_PORT: String(port),
      WORKMESH_CLUSTER_SECRET: 'package-test-secret',
      WORKMESH_LOG_LEVEL: 'warn',
    };
    const outputs: string[] = [];
    for (const [, ...args] of commands) {
      const child = spawn(join(project, 'node_modules/.bin/workmesh'), args, {
        cwd: project,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      const i = outputs.push('') - 1;
      child.stdout.on('data', (c: Buffer) => (outputs[i] += c.toString()));
      child.stderr.on('data', (c: Buffer) => (outputs[i] += c.toString()));
    }
    const baseUrl = `http://127.0.0.1:${port}`;
    await until(
      'the API to answer',
      () =>
        fetch(`${baseUrl}/healthz`).then(
          (r) => r.status,
          () => 0,
        ),
      (s) => s === 200,
      60_000,
      200,
    ).catch((err: Error) => assert.fail(`${err.message}\n${outputs.join('\n')}`));
    const client = new WorkmeshClient({ baseUrl });
    await assert.rejects(
      client.submit('resize', { url: 'x', width: 0 }),
      /WM_ERR_JOB_INVALID_DATA|width/,
    );
    const { callback } = await client.submit('resize', {
      url: 'https://example.com/a.png',
      width: 3,
    });
    const done = await client.wait(callback, { timeoutMs: 60_000 });
    assert.equal(done.status, 'done', outputs.join('\n'));
    assert.deepEqual(done.value, { width: 3 });
  });

  it('the same module as .js, and a CommonJS one, load in the CommonJS project too', () => {
    writeFileSync(join(project, 'my-jobs.js'), moduleSource);
    writeFileSync(
      join(project, 'cjs-jobs.cjs'),
      "const { Type, defineJob } = require('workmesh/jobs');\n" +
        "module.exports = [defineJob({ name: 'shout', input: Type.String(), handler: (s) => s.toUpperCase() })];\n",
    );
    const script =
      "import('workmesh').then(async ({ createRegistry }) => { for (const m of ['./my-jobs.js', './cjs-jobs.cjs']) { const r = await createRegistry({ permuteDelayMs: 0 }, [m]); console.log(r.list().map((d) => d.name).join(',')); } })";
    const out = sh(process.execPath, ['-e', script], project);
    assert.deepEqual(out.trim().split('\n'), [
      'permute,hash,text-stats,resize',
      'permute,hash,text-stats,shout',
    ]);
  });
});
