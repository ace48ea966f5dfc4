import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
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
  const installed = join(project, 'node_modules/workmesh');
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

  it('ships what its exports, types and source maps point to, and the license', () => {
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      types: string;
      exports: Record<string, string | { types: string; default: string }>;
      scripts: Record<string, string>;
    };
    for (const [path, target] of Object.entries(pkg.exports)) {
      if (path === './package.json') continue;
      assert.ok(typeof target === 'object', `${path}: conditions, not a bare path`);
      assert.deepEqual(Object.keys(target), ['types', 'default'], `${path}: types first`);
      for (const file of [target.types, target.default])
        assert.ok(existsSync(join(installed, file)), `${path}: ${file} shipped`);
    }
    assert.ok(existsSync(join(installed, pkg.types)));
    for (const file of ['LICENSE', 'CHANGELOG.md', 'README.md'])
      assert.ok(existsSync(join(installed, file)), file);
    // Every source map names files that are in the package (they point into src/).
    const maps = readdirSync(join(installed, 'dist'), { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith('.map'),
    );
    assert.ok(maps.length > 50, `${maps.length} source maps`);
    for (const map of maps) {
      const at = dirname(join(installed, 'dist', map));
      const { sources } = JSON.parse(readFileSync(join(installed, 'dist', map), 'utf8')) as {
        sources: string[];
      };
      for (const source of sources)
        assert.ok(existsSync(resolve(at, source)), `${map}: ${source} resolves`);
    }
    // The build is a node script, not rm -rf / cp -r, and publishing builds first.
    assert.doesNotMatch(pkg.scripts.build!, /\brm\b|\bcp\b/);
    assert.match(pkg.scripts.prepublishOnly!, /npm run build/);
  });

  it("TypeScript finds the types of workmesh/jobs, TypeBox's Type and Static included", () => {
    writeFileSync(
      join(project, 'typed.ts'),
      [
        "import { Type, defineJob, type Static } from 'workmesh/jobs';",
        "import { WorkmeshClient } from 'workmesh/client';",
        "import { loadConfig } from 'workmesh';",
        'const Input = Type.Object({ email: Type.String({ format: "email" }) });',
        "export const ok: Static<typeof Input> = { email: 'a@b.c' };",
        '// @ts-expect-error: email is a string',
        'export const bad: Static<typeof Input> = { email: 1 };',
        "export const job = defineJob({ name: 'mail', description: 'Mails', input: Input, handler: (d) => d.email.length });",
        'export const client: WorkmeshClient | undefined = undefined;',
        'export const port: number = loadConfig({}).apiPort;',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['typed.ts'],
      }),
    );
    try {
      sh(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', '.'], project);
    } catch (err) {
      assert.fail(String((err as { stdout?: string }).stdout ?? err));
    }
  });

  it("workmesh up from the package runs the seed's flow: POST /api/work, GET /api/status until done", async () => {
    const [apiPort, consolePort] = [await freePort(), await freePort()];
    // A terminal that was never told anything about workmesh: up starts its own redis-server.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('WORKMESH_') && k !== 'REDIS_URL'),
    );
    const up = spawn(join(project, 'node_modules/.bin/workmesh'), ['up'], {
      cwd: project,
      env: {
        ...env,
        WORKMESH_API_PORT: String(apiPort),
        WORKMESH_CONSOLE_PORT: String(consolePort),
        WORKMESH_WORKERS: '1',
        WORKMESH_PERMUTE_DELAY_MS: '100',
        WORKMESH_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(up);
    let output = '';
    up.stdout.on('data', (c: Buffer) => (output += c.toString()));
    up.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((done) => up.once('exit', done));
    const base = `http://127.0.0.1:${apiPort}`;
    try {
      await until(
        'up to serve the API',
        () =>
          fetch(`${base}/healthz`).then(
            (r) => r.status,
            () => 0,
          ),
        (status) => status === 200,
        180_000,
        250,
      ).catch((err: Error) => assert.fail(`${err.message}\n${output}`));
      const data = 'some-string-goes-here';
      const posted = await fetch(`${base}/api/work?data=${data}`, { method: 'POST' });
      assert.equal(posted.status, 202);
      const { callback, statusUrl } = (await posted.json()) as {
        callback: string;
        statusUrl: string;
      };
      assert.match(callback, /^permute\./);
      const done = await until(
        'the job to be done',
        async () =>
          (await (await fetch(`${base}${statusUrl}`)).json()) as { status: string; value?: string },
        (job) => job.status === 'done' || job.status === 'failed',
        120_000,
        200,
      ).catch((err: Error) => assert.fail(`${err.message}\n${output}`));
      assert.equal(done.status, 'done', output);
      assert.equal([...done.value!].sort().join(''), [...data].sort().join(''));
      // Stopped once all it starts is up (the console's line ends its banner).
      await until(
        'the console',
        () => output,
        (o) => /^console\s+http/m.test(o),
        180_000,
        250,
      );
    } finally {
      up.kill('SIGTERM');
    }
    assert.equal(await exited, 0, output);
  });
});
