import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkmeshClient } from '../src/client/index.js';
import { isWorkmeshError } from '../src/errors/index.js';
import { FAST_CLUSTER } from './helpers/cluster.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import {
  runCli,
  startApiProcess,
  startWorkerProcess,
  stopAll,
  type RoleProcess,
} from './helpers/processes.js';
import { until } from './helpers/wait.js';

let redis: TestRedis;
let client: WorkmeshClient;
let apiUrl: string;
let consoleUrl: string;
const procs: RoleProcess[] = [];

before(async () => {
  // AOF fsync on every write: a clean stop loses nothing accepted, whatever the timing.
  redis = await startTestRedis(['--appendfsync', 'always']);
  const env = { ...FAST_CLUSTER, WORKMESH_PERMUTE_DELAY_MS: '50' };
  procs.push(
    startApiProcess(redis.url, env),
    startWorkerProcess(redis.url, env),
    startWorkerProcess(redis.url, env),
    runCli(['sysmon', '--headless', '--console-port', '0'], { REDIS_URL: redis.url, ...env }),
  );
  apiUrl = (await procs[0]!.ready).url!;
  consoleUrl = (await procs[3]!.ready).url!;
  await Promise.all(procs.map((p) => p.ready));
  client = new WorkmeshClient({ baseUrl: apiUrl });
});
after(async () => {
  await stopAll();
  await redis.stop();
});

describe('Redis outage', () => {
  it('survives Redis stopped for a while under load: 503 meanwhile, no crash, every accepted job done after', async (t) => {
    const accepted: string[] = [];
    let rejected = 0;
    let submitting = true;
    const load = (async () => {
      while (submitting) {
        try {
          accepted.push((await client.submitData(`job-${accepted.length}`)).callback);
        } catch (err) {
          if (!isWorkmeshError(err, 'WM_ERR_REDIS_UNAVAILABLE')) throw err;
          rejected += 1;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    })();
    await until(
      'some load',
      () => accepted.length,
      (n) => n >= 100,
    );

    await redis.server.stop();
    const acceptedBeforeOutage = accepted.length;
    // Once the API has seen its connection drop, a request is refused at once, before any
    // Redis call: nothing waits in the client's offline queue to be written when Redis is
    // back (checked after the outage: no job holds this data), which a 503 that came from the
    // call timeout instead would leave behind.
    await until(
      'the API to see Redis down',
      async () => (await fetch(`${apiUrl}/readyz`)).status,
      (s) => s === 503,
    );
    const refusedData = `during-outage-${process.pid}`;
    const started = performance.now();
    const res = await fetch(`${apiUrl}/api/work?data=${refusedData}`, { method: 'POST' });
    const answeredMs = performance.now() - started;
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '1', 'a 503 says when to retry');
    assert.equal(
      ((await res.json()) as { error: { code: string } }).error.code,
      'WM_ERR_REDIS_UNAVAILABLE',
    );
    t.diagnostic(`503 answered in ${Math.round(answeredMs)} ms while Redis was down`);
    const status = await fetch(`${apiUrl}/api/status/${accepted[0]!}`);
    assert.equal(status.status, 503);
    const onConsole = await fetch(`${consoleUrl}/console/api/jobs/${accepted[0]!}`);
    assert.equal(onConsole.status, 503, 'the console too');
    assert.equal(onConsole.headers.get('retry-after'), '1');
    const ready = await fetch(`${apiUrl}/readyz`);
    assert.equal(ready.status, 503);

    await new Promise((r) => setTimeout(r, 10_000)); // the outage: 10 s
    for (const p of procs) assert.equal(p.child.exitCode, null, `a process died: ${p.output()}`);
    await redis.restart();

    await until(
      'the API to accept again',
      () => accepted.length,
      (n) => n > acceptedBeforeOutage + 20,
      20_000,
    );
    submitting = false;
    await load;
    t.diagnostic(
      `accepted ${accepted.length} jobs, ${rejected} submissions refused with 503 during the outage`,
    );
    const finals = await Promise.all(accepted.map((id) => client.wait(id, { timeoutMs: 60_000 })));
    const jobKeys = await redis.keys('wm:{permute}:job:*');
    const data = await Promise.all(jobKeys.map((key) => redis.client.hget(key, 'data')));
    assert.equal(
      data.filter((d) => d?.includes(refusedData)).length,
      0,
      'the request answered 503 at once was not written later',
    );
    assert.deepEqual(
      [...new Set(finals.map((f) => f.status))],
      ['done'],
      'every job accepted before, during and after the outage is done',
    );
    const members = (
      (await (await fetch(`${apiUrl}/api/cluster`)).json()) as { nodes: { role: string }[] }
    ).nodes;
    assert.equal(
      members.filter((m) => m.role === 'worker').length,
      2,
      'the workers registered again',
    );
    for (const p of procs) assert.equal(p.child.exitCode, null);
  });
});
