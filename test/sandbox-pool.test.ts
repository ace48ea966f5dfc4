import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { JobRegistry, Type, type JobContext } from '../src/jobs/index.js';
import type { SandboxKind } from '../src/worker/sandbox-host.js';
import { SandboxPool } from '../src/worker/sandbox-pool.js';
import { sandboxed } from '../src/worker/sandbox.js';
import { tempDir } from './helpers/temp-dir.js';
import { until } from './helpers/wait.js';

/**
 * The thread pool of sandboxed handlers (src/worker/sandbox-pool.ts) on its own: what crosses
 * between the worker and a handler's thread, and that an abort terminates the thread.
 */
const MODULE = fileURLToPath(new URL('./fixtures/sandboxed.ts', import.meta.url));

function poolOf(kind: SandboxKind, type: string, size = 1, lines?: string[]): SandboxPool {
  const log = pino({ level: 'info' }, { write: (line: string) => void lines?.push(line) });
  return new SandboxPool(
    kind,
    { module: MODULE, type, settings: { permuteDelayMs: 0 }, level: 'info' },
    size,
    log,
  );
}

function context(id: string, lines?: string[]) {
  const controller = new AbortController();
  const progress: unknown[] = [];
  const logged: string[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines?.push(line) });
  const ctx: JobContext = {
    id,
    attempt: 1,
    signal: controller.signal,
    log: log.child({ jobId: id }),
    progress: (value) => Promise.resolve(void progress.push(value)),
    addLog: (text) => Promise.resolve(void logged.push(text)),
    children: () => Promise.resolve([{ id: 'child-1', status: 'done', value: 41 }]),
    previous: () => Promise.resolve(41),
  };
  return { ctx, controller, progress, logged };
}

for (const kind of ['thread', 'process'] as const) {
  const pool = (type: string, size?: number, lines?: string[]) => poolOf(kind, type, size, lines);
  describe(`sandbox pool (${kind})`, () => {
    it('runs the handler in a thread: value, progress, log and previous() cross by message', async () => {
      const lines: string[] = [];
      const p = pool('report', 2);
      const { ctx, progress, logged: jobLog, controller } = context('r-1', lines);
      const value = (await p.handler({}, ctx)) as { sandboxId: number; previous: unknown };
      assert.ok(p.threadIds().includes(value.sandboxId), 'ran in the sandbox');
      assert.notEqual(value.sandboxId, kind === 'thread' ? 0 : process.pid);
      assert.equal(value.previous, 41);
      assert.deepEqual(progress, [1, { step: 2 }]);
      assert.deepEqual(jobLog, ['a line for the job']);
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const hello = logged.find((l) => l.msg === 'sandboxed handler says hello');
      assert.ok(hello, `forwarded log line; got ${lines.join('')}`);
      assert.equal(hello.level, 40);
      assert.equal(hello.marker, 'from-the-thread');
      assert.equal(hello.jobId, 'r-1', "the worker's bindings");
      // A signal that fires after the job ended (a late cancel) is not the thread's business.
      controller.abort(new Error('late cancel'));
      // The thread is kept for the next job.
      const again = (await p.handler({}, context('r-2').ctx)) as { sandboxId: number };
      assert.equal(again.sandboxId, value.sandboxId);
      await p.close();
      assert.equal(p.threads, 0);
    });

    it('a throw fails with its message and name (UnrecoverableError stays one)', async () => {
      const p = pool('report');
      await assert.rejects(p.handler({ fail: 'nope' }, context('f-1').ctx), {
        name: 'Error',
        message: 'nope',
      });
      await assert.rejects(p.handler({ fail: 'never', fatal: true }, context('f-2').ctx), {
        name: 'UnrecoverableError',
        message: 'never',
      });
      await p.close();
    });

    it('an abort terminates a thread stuck in a loop, and a new one takes its place', async () => {
      const p = pool('forever');
      const file = join(tempDir('sandbox-pool'), 'forever.log');
      const { ctx, controller } = context('x-1');
      const running = p.handler({ file }, ctx);
      await until(
        'the handler looping',
        () => (existsSync(file) ? readFileSync(file, 'utf8') : ''),
        (text) => text.startsWith('x-1 '),
      );
      const stuck = Number(readFileSync(file, 'utf8').trim().split(' ')[3]);
      assert.ok(p.threadIds().includes(stuck));
      controller.abort(new Error('timed out after 500 ms'));
      await assert.rejects(running, /timed out/);
      await until(
        'the stuck thread ended',
        () => p.threadIds(),
        (ids) => !ids.includes(stuck),
      );
      // A new thread took its place and runs the next job.
      const next = context('x-2');
      const second = p.handler({ file }, next.ctx);
      await until(
        'the next job looping in another thread',
        () => readFileSync(file, 'utf8'),
        (text) => text.includes('x-2 '),
      );
      const line = readFileSync(file, 'utf8')
        .split('\n')
        .find((l) => l.startsWith('x-2 '))!;
      assert.notEqual(Number(line.split(' ')[3]), stuck);
      next.controller.abort(new Error('cancelled'));
      await assert.rejects(second, /cancelled/);
      await p.close();
      assert.equal(p.threads, 0);
    });

    it("an abort fires the handler's signal in its thread", async () => {
      const p = pool('aware');
      const file = join(tempDir('sandbox-pool'), 'aware.log');
      const { ctx, controller } = context('a-1');
      const running = p.handler({ file }, ctx);
      await until(
        'the handler started',
        () => (existsSync(file) ? readFileSync(file, 'utf8') : ''),
        (text) => text === 'started\n',
      );
      controller.abort(new Error('cancelled'));
      await assert.rejects(running, /cancelled/);
      await until(
        'the handler saw its signal',
        () => readFileSync(file, 'utf8'),
        (text) => text === 'started\naborted cancelled\n',
      );
      await p.close();
    });

    it('start() loads its threads up front; a type its module does not define fails the start', async () => {
      const p = pool('report', 2);
      await p.start(2);
      assert.equal(p.threads, 2);
      await p.close();
      assert.equal(p.threads, 0);
      const missing = pool('nope');
      await assert.rejects(missing.start(1), /sandbox thread of nope: .*no longer defines nope/);
      assert.equal(missing.threads, 0);
    });
  });
}

describe('sandbox pool (process)', () => {
  it('a handler that ends its process fails its job; the next job gets a new process', async () => {
    const p = poolOf('process', 'exits');
    await p.start(1);
    const [first] = p.threadIds();
    await assert.rejects(p.handler({}, context('e-1').ctx), /sandbox ended while running the job/);
    await assert.rejects(p.handler({}, context('e-2').ctx), /sandbox ended while running the job/);
    assert.ok(!p.threadIds().includes(first!));
    await p.close();
  });
});

describe('sandbox definitions', () => {
  const def = {
    name: 'in-code',
    description: 'defined in code',
    input: Type.Object({}),
    handler: () => 1,
  };

  it("refuses a sandbox that is neither 'thread' nor 'process'", () => {
    const registry = new JobRegistry();
    assert.throws(() => registry.add({ ...def, sandbox: 'fork' as 'thread' }), {
      code: 'WM_ERR_JOB_DEFINITION_INVALID',
      message: /sandbox must be 'thread' or 'process'/,
    });
  });

  it('refuses to sandbox a definition that no module defines (its thread could not load it)', () => {
    const registry = new JobRegistry();
    registry.add({ ...def, sandbox: 'thread' });
    assert.throws(
      () => sandboxed(registry, 'in-code', { permuteDelayMs: 0 }, pino({ level: 'silent' })),
      {
        code: 'WM_ERR_JOB_DEFINITION_INVALID',
        message: /needs the definition loaded from a job module/,
      },
    );
  });

  it('a loaded sandboxed type gets the pool as its handler; others stay as defined', async () => {
    const registry = new JobRegistry();
    await registry.load(MODULE, { permuteDelayMs: 0 });
    registry.add(def);
    const log = pino({ level: 'silent' });
    assert.equal(
      sandboxed(registry, 'in-code', { permuteDelayMs: 0 }, log),
      registry.get('in-code'),
    );
    const spin = sandboxed(registry, 'report', { permuteDelayMs: 0 }, log);
    assert.notEqual(spin.handler, registry.get('report')!.handler);
    await spin.setup!({ concurrency: 1, log });
    const value = (await spin.handler({}, context('d-1').ctx)) as { sandboxId: number };
    assert.notEqual(value.sandboxId, 0);
    await spin.teardown!();
  });
});
