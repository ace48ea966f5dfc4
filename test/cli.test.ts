import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Keys } from '../src/redis/index.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import {
  ROOT,
  runCliToEnd,
  startApiProcess,
  startWorkerProcess,
  stopAll,
} from './helpers/processes.js';
import { tempDir } from './helpers/temp-dir.js';

const COMMANDS = ['up', 'api', 'worker', 'submit', 'status', 'cancel', 'dead', 'nodes'];
let redis: TestRedis;
let apiUrl: string;

const cliDir = tempDir('cli');
before(async () => {
  redis = await startTestRedis();
  // A type that keeps its results 120 s, not the API's default hour.
  const ttlJobs = join(cliDir, 'ttl-jobs.mjs');
  writeFileSync(
    ttlJobs,
    'export default [{ name: "brief", input: {}, resultTtlSec: 120, handler: (d) => d }];',
  );
  const env = {
    WORKMESH_JOBS: `${ROOT}test/fixtures/jobs.ts,${ttlJobs}`,
    WORKMESH_PERMUTE_DELAY_MS: '0',
  };
  const api = startApiProcess(redis.url, env);
  apiUrl = (await api.ready).url!;
  await startWorkerProcess(redis.url, env).ready;
});
after(async () => {
  await stopAll();
  await redis.stop();
});

describe('workmesh CLI', () => {
  it('--help lists every command', async () => {
    const { code, stdout } = await runCliToEnd(['--help']);
    assert.equal(code, 0);
    for (const c of COMMANDS) assert.match(stdout, new RegExp(`^  ${c} `, 'm'));
  });

  for (const c of COMMANDS) {
    it(`${c} --help shows usage and every option with its env var and default`, async () => {
      const { code, stdout } = await runCliToEnd([c, '--help']);
      assert.equal(code, 0);
      assert.match(stdout, new RegExp(`^Usage: workmesh ${c}`));
      assert.match(stdout, /-h, --help/);
      if (c !== 'status') assert.match(stdout, /\[env [A-Z_]+, default [^\]]+\]/);
      // The truth about the secret `up` uses: a fresh one, kept for the other commands.
      if (c === 'up') assert.match(stdout, /`up` makes up a random one[\s\S]*up\.json/);
    });
  }

  it('an unknown command or flag exits 2 with a pointer to --help', async () => {
    const a = await runCliToEnd(['frobnicate']);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /unknown command "frobnicate"; see workmesh --help/);
    const b = await runCliToEnd(['worker', '--nope']);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /Unknown option '--nope'[\s\S]*workmesh worker --help/);
  });

  it('a bad setting exits 2 naming it, before anything starts', async () => {
    const { code, stderr } = await runCliToEnd(['worker'], { WORKMESH_CONCURRENCY: 'lots' });
    assert.equal(code, 2);
    assert.match(
      stderr,
      /WORKMESH_CONCURRENCY \(--concurrency\) = "lots": expected a whole number \[WM_ERR_CONFIG_INVALID\]/,
    );
  });

  it('submit --wait prints the result; status prints the job', async () => {
    const env = { WORKMESH_API_URL: apiUrl };
    const sub = await runCliToEnd(['submit', 'hello', '--wait'], env);
    assert.equal(sub.code, 0, sub.stderr);
    const done = JSON.parse(sub.stdout) as { callback: string; status: string; value: string };
    assert.equal(done.status, 'done');
    assert.equal(Array.from(done.value).sort().join(''), 'ehllo');

    const st = await runCliToEnd(['status', done.callback], env);
    assert.equal(st.code, 0);
    assert.equal((JSON.parse(st.stdout) as { status: string }).status, 'done');

    const json = await runCliToEnd(['submit', '--type', 'hash', '{"text":"a"}', '--wait'], env);
    assert.equal((JSON.parse(json.stdout) as { value: { bytes: number } }).value.bytes, 1);
  });

  it('a failing job ends failed with its error, and submit --wait exits 1', async () => {
    const sub = await runCliToEnd(['submit', '--type', 'boom', 'x', '--wait'], {
      WORKMESH_API_URL: apiUrl,
    });
    assert.equal(sub.code, 1);
    const state = JSON.parse(sub.stdout) as { status: string; error: string };
    assert.equal(state.status, 'failed');
    assert.equal(state.error, 'boom: x');
  });

  it('cancel and dead letters from the command line', async () => {
    const env = { WORKMESH_API_URL: apiUrl };
    const delayed = await runCliToEnd(['submit', 'later', '--delay', '60000'], env);
    const { callback } = JSON.parse(delayed.stdout) as { callback: string };
    const cancel = await runCliToEnd(['cancel', callback], env);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.deepEqual(JSON.parse(cancel.stdout), {
      callback,
      status: 'cancelled',
      wasRunning: false,
    });
    assert.equal((await runCliToEnd(['cancel', callback], env)).code, 1, 'final already');

    const failed = await runCliToEnd(
      ['submit', '--type', 'boom', 'cli', '--attempts', '1', '--wait'],
      env,
    );
    const dead = (JSON.parse(failed.stdout) as { callback: string }).callback;
    const list = await runCliToEnd(['dead', 'list', '--type', 'boom'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.ok(list.stdout.split('\n').some((l) => l.includes(dead)));
    const retry = await runCliToEnd(['dead', 'retry', dead], env);
    assert.deepEqual(JSON.parse(retry.stdout), { retried: 1 });
    const purge = await runCliToEnd(['dead', 'purge', '--all', '--type', 'boom'], env);
    assert.equal(purge.code, 0);
    const bad = await runCliToEnd(['dead', 'frob'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown action "frob"/);
  });

  it('status of an unknown id exits 1 with the API error', async () => {
    const st = await runCliToEnd(['status', 'permute.AAAAAAAAAAAAAAAA'], {
      WORKMESH_API_URL: apiUrl,
    });
    assert.equal(st.code, 1);
    assert.match(st.stderr, /WM_ERR_JOB_NOT_FOUND/);
  });

  it('nodes lists the live members from Redis', async () => {
    const json = await runCliToEnd(['nodes', '--json'], { REDIS_URL: redis.url });
    assert.equal(json.code, 0, json.stderr);
    const members = JSON.parse(json.stdout) as { role: string; heartbeatAgeMs: number }[];
    assert.deepEqual(members.map((m) => m.role).sort(), ['api', 'worker']);
    const table = await runCliToEnd(['nodes'], { REDIS_URL: redis.url });
    assert.match(table.stdout, /^ID\s+ROLE\s+STATE\s+HOST\s+PID\s+HEARTBEAT/);
    assert.match(table.stdout, /^2 node\(s\)$/m);
  });

  it("submit keeps the type's result TTL unless --result-ttl says otherwise", async () => {
    const env = { WORKMESH_API_URL: apiUrl };
    const ttlOf = async (args: string[]): Promise<number> => {
      const sub = await runCliToEnd(['submit', '--type', 'brief', 'x', '--wait', ...args], env);
      assert.equal(sub.code, 0, sub.stderr);
      const { callback } = JSON.parse(sub.stdout) as { callback: string };
      return redis.client.ttl(new Keys('wm').job(callback));
    };
    const own = await ttlOf([]);
    assert.ok(own > 0 && own <= 120, `the type's 120 s, not the API's hour: ${own}`);
    const asked = await ttlOf(['--result-ttl', '30']);
    assert.ok(asked > 0 && asked <= 30, `--result-ttl 30: ${asked}`);
  });

  it('submit finds the API by WORKMESH_API_PORT', async () => {
    const sub = await runCliToEnd(['submit', 'hello', '--wait'], {
      WORKMESH_API_PORT: new URL(apiUrl).port,
    });
    assert.equal(sub.code, 0, sub.stderr);
  });

  it('submit to an API that is not there says so', async () => {
    const st = await runCliToEnd(['submit', 'x'], { WORKMESH_API_URL: 'http://127.0.0.1:1' });
    assert.equal(st.code, 1);
    assert.match(st.stderr, /cannot reach http:\/\/127\.0\.0\.1:1/);
  });
});
