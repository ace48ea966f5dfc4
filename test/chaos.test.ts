import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runChaos } from '../scripts/chaos/run.js';

describe('chaos (short form of npm run chaos)', () => {
  it('random worker SIGKILLs and freezes past the node TTL, event-loop stalls past it, dropped pub/sub connections and a redis-server SIGKILL lose no accepted job', async (t) => {
    const report = await runChaos({
      jobs: 300,
      submitMs: 12_000,
      // A bound for finding a lost job, not a speed check: quietly all are final in about 20 s;
      // on 2 busy cores (the suite's other files beside it) takeovers after the kills take longer.
      deadlineMs: 150_000,
      workers: 3,
      killEveryMs: 2000,
      freezeEveryMs: 3000,
      stallEvery: 50,
      dropPubSubEveryMs: 2000,
      jobMs: 300,
    });
    t.diagnostic(JSON.stringify(report));
    assert.ok(report.workerKills >= 2, 'workers were killed');
    assert.ok(report.workerFreezes >= 1, 'workers were frozen');
    assert.equal(report.loopStalls, 6);
    assert.equal(report.redisRestarts, 1);
    assert.equal(report.accepted, 300);
    assert.equal(report.lost, 0, 'no job left non-final, none failed without a finished run');
    assert.equal(report.done, report.accepted);
    assert.ok(report.executions >= report.accepted);
  });
});
