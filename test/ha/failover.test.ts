import assert from 'node:assert/strict';
import { after, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkmeshClient } from '../../src/client/index.js';
import { loadConfig } from '../../src/config/index.js';
import { freePort } from '../../src/redis/index.js';
import {
  runCli,
  runCliToEnd,
  startApiProcess,
  startWorkerProcess,
  stopAll,
  type RoleProcess,
} from '../helpers/processes.js';
import { startTestRedisCluster, type TestRedisCluster } from '../helpers/redis-cluster.js';
import { startTestRedisSentinel, type TestRedisSentinel } from '../helpers/redis-sentinel.js';
import { until } from '../helpers/wait.js';

/**
 * A master failover under load (npm run test:failover): a 3-master + 3-replica Redis Cluster,
 * and a master + replica + 3 sentinels. With an API and two workers running and a steady
 * stream of submissions, the master holding the queue is SIGKILLed: every accepted job ends
 * done, no answer is a 5xx other than 503, and submissions work again soon after.
 */

const ENV = {
  WORKMESH_CLUSTER_SECRET: 'test-secret',
  WORKMESH_PERMUTE_DELAY_MS: '20',
  WORKMESH_LOG_LEVEL: 'warn',
};
/** cluster-node-timeout and down-after-milliseconds of these tests. */
const NODE_TIMEOUT_MS = 2000;
/** Seconds past the node timeout by which submissions must work again. */
const RECOVERY_SLACK_SEC = 10;
/** Submissions in flight at once, each loop pausing between its requests: ~40 a second. */
const LOOPS = 2;
const PAUSE_MS = 50;

let cluster: TestRedisCluster | undefined;
let sentinel: TestRedisSentinel | undefined;
after(async () => {
  await stopAll();
  await cluster?.stop();
  await sentinel?.stop();
});

interface Answer {
  readonly at: number;
  readonly status: number;
  readonly code?: string;
  readonly retryAfter?: string | null;
  readonly callback?: string;
}

/** Submits from LOOPS loops until stop() is called; answers every answer, in order. */
function submitSteadily(apiUrl: string) {
  const answers: Answer[] = [];
  let running = true;
  let n = 0;
  const loops = Array.from({ length: LOOPS }, async () => {
    while (running) {
      const at = performance.now();
      const res = await fetch(`${apiUrl}/api/work?data=fo${(n++).toString(36)}`, {
        method: 'POST',
        signal: AbortSignal.timeout(15_000),
      });
      const body = (await res.json()) as { callback?: string; error?: { code: string } };
      answers.push({
        at,
        status: res.status,
        ...(body.error
          ? { code: body.error.code, retryAfter: res.headers.get('retry-after') }
          : {}),
        ...(body.callback ? { callback: body.callback } : {}),
      });
      await sleep(PAUSE_MS);
    }
  });
  return {
    answers,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/**
 * The failover run: API + 2 workers on redisUrl, submissions, kill() once 100 are accepted,
 * submissions until 100 more are accepted after the API recovers; then every accepted job must
 * end done. Reports the figures.
 */
async function failoverUnderLoad(
  t: TestContext,
  redisUrl: string,
  kill: () => Promise<void>,
): Promise<void> {
  const api = startApiProcess(redisUrl, ENV);
  const workers = [startWorkerProcess(redisUrl, ENV), startWorkerProcess(redisUrl, ENV)];
  const apiUrl = (await api.ready).url!;
  await Promise.all(workers.map((w) => w.ready));
  const load = submitSteadily(apiUrl);
  const ok = (a: Answer): boolean => a.status === 202 || a.status === 200;
  await until(
    '100 accepted',
    () => load.answers.filter(ok).length,
    (n) => n >= 100,
    30_000,
  );
  const killedAt = performance.now();
  await kill();
  await until(
    'a refusal, then 100 accepted after the last refusal',
    () => {
      const all = load.answers;
      const last = all.findLastIndex((a) => !ok(a));
      return {
        refused: all.filter((a) => !ok(a)).length,
        after: all.slice(last + 1).filter(ok).length,
      };
    },
    ({ refused, after }) => refused > 0 && after >= 100,
    120_000,
  );
  await load.stop();
  const { answers } = load;
  const refused = answers.filter((a) => !ok(a));
  const lastRefused = answers.findLastIndex((a) => !ok(a));
  const recoveredAt = answers[lastRefused + 1]!.at;
  const accepted = answers.filter(ok).map((a) => a.callback!);

  const client = new WorkmeshClient({ baseUrl: apiUrl });
  const finals: string[] = [];
  for (let i = 0; i < accepted.length; i += 50) {
    const chunk = accepted.slice(i, i + 50);
    const states = await Promise.all(chunk.map((id) => client.wait(id, { timeoutMs: 90_000 })));
    finals.push(...states.map((s) => s.status));
  }
  const figures = {
    accepted: accepted.length,
    done: finals.filter((s) => s === 'done').length,
    answered503: refused.filter((a) => a.status === 503).length,
    other5xx: refused.filter((a) => a.status >= 500 && a.status !== 503).length,
    recoverSec: Number(((recoveredAt - killedAt) / 1000).toFixed(1)),
  };
  t.diagnostic(`failover figures: ${JSON.stringify(figures)}`);
  const logs = [api, ...workers].map((p: RoleProcess) => p.output());
  const outageLines = logs.map(
    (out) => out.split('\n').filter((l) => l.includes('redis unavailable')).length,
  );
  t.diagnostic(
    `"redis unavailable" lines per process (api, worker, worker): ${outageLines.join(', ')}`,
  );

  assert.deepEqual(
    refused.filter((a) => a.status !== 503),
    [],
    'no answer but 503 during the failover',
  );
  for (const a of refused) {
    assert.equal(a.code, 'WM_ERR_REDIS_UNAVAILABLE');
    assert.equal(a.retryAfter, '1');
  }
  assert.equal(figures.done, figures.accepted, 'every accepted job done');
  // The bound docs/operations.md gives: detection (the node timeout) plus the election and a
  // reconnect, measured at about 1.5 s more; generous here, for a machine under other load.
  assert.ok(
    figures.recoverSec < NODE_TIMEOUT_MS / 1000 + RECOVERY_SLACK_SEC,
    `submissions work again within ${NODE_TIMEOUT_MS / 1000 + RECOVERY_SLACK_SEC} s of the kill`,
  );
  for (const [i, out] of logs.entries()) {
    // At most one warning for the outage (two if it flapped), none per call; none at all
    // when the process's calls waited the failover out without failing.
    assert.ok(outageLines[i]! <= 2, `process ${i}: ${out}`);
    assert.doesNotMatch(out, /redis connection error/);
    assert.doesNotMatch(
      out,
      /claim failed|promote failed|renew failed|unexpected error|cluster loop failed/,
    );
  }
  await stopAll();
}

describe('master failover under load', () => {
  it('Redis Cluster, 3 masters + 3 replicas: the master of the queue SIGKILLed; a seed down at start', async (t) => {
    cluster = await startTestRedisCluster(3, { replicas: 1, nodeTimeoutMs: NODE_TIMEOUT_MS });
    // The seed list as documented, its first node down: a start needs one node that answers.
    const down = await freePort();
    const url = `redis+cluster://${[down, ...cluster.ports.slice(0, 2)].map((p) => `127.0.0.1:${p}`).join(',')}`;
    assert.equal(loadConfig({ REDIS_URL: url }).redisUrl, url);
    const c = cluster;
    await failoverUnderLoad(t, url, async () => {
      const port = await c.masterPortOf('wm:{permute}:stream');
      c.servers.find((s) => s.port === port)!.process.kill('SIGKILL');
    });
  });

  it('Sentinel, master + replica + 3 sentinels, with passwords: the master SIGKILLed', async (t) => {
    sentinel = await startTestRedisSentinel({
      password: 'redis-pw-0123456789',
      sentinelPassword: 'sentinel-pw-0123456789',
      downAfterMs: NODE_TIMEOUT_MS,
    });
    const s = sentinel;
    await failoverUnderLoad(t, s.url, async () => {
      const port = await s.masterPort();
      s.servers.find((x) => x.port === port)!.process.kill('SIGKILL');
    });
    assert.equal(await s.masterPort(), s.servers[1]!.port, 'the replica is the master now');
  });

  it('every role on Sentinel: up (API, worker, sysmon and its console), shell and nodes one-shots', async () => {
    sentinel ??= await startTestRedisSentinel({
      password: 'redis-pw-0123456789',
      sentinelPassword: 'sentinel-pw-0123456789',
    });
    const env = { ...ENV, REDIS_URL: sentinel.url, WORKMESH_WORKERS: '1' };
    const up = runCli(['up', '--port', '0', '--console-port', '0'], env);
    await until(
      'up to be ready',
      () => up.output(),
      (out) => out.includes('Ctrl-C stops'),
      150_000,
    );
    assert.doesNotMatch(up.output(), /pw-0123456789/, 'no password in what up prints');
    const apiUrl = /api\s+(http:\/\/\S+)/.exec(up.output())![1]!;
    const consoleUrl = /console\s+(http:\/\/\S+)/.exec(up.output())![1]!;
    const client = new WorkmeshClient({ baseUrl: apiUrl });
    const job = await client.submitData('sentinel');
    assert.equal((await client.wait(job.callback, { timeoutMs: 30_000 })).status, 'done');
    const console = await fetch(new URL('/console/api/snapshot', consoleUrl));
    assert.equal(console.status, 200);

    // The one-shots print their answer on stdout, where their logs go too: errors only.
    const oneShot = { ...env, WORKMESH_LOG_LEVEL: 'error' };
    const nodes = await runCliToEnd(['nodes', '--json'], oneShot);
    assert.equal(nodes.code, 0, nodes.stderr);
    const roles = (JSON.parse(nodes.stdout) as { role: string }[]).map((n) => n.role).sort();
    assert.deepEqual(roles, ['api', 'sysmon', 'worker']);
    const shell = await runCliToEnd(
      ['shell', '-e', '(await nodes()).map((n) => n.role).sort()'],
      oneShot,
    );
    assert.equal(shell.code, 0, shell.stderr);
    assert.deepEqual(JSON.parse(shell.stdout), ['api', 'shell', 'sysmon', 'worker'], shell.stdout);
    await stopAll();
  });
});
