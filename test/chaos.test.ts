import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runChaos } from '../scripts/chaos/run.js';

describe('chaos (short form of npm run chaos)', () => {
  it('random worker SIGKILLs and a redis-server SIGKILL lose no accepted job', async (t) => {
    const report = await runChaos({
      jobs: 300,
      submitMs: 12_000,
      deadlineMs: 60_000,
      workers: 3,
      killEveryMs: 2000,
      jobMs: 300,
    });
    t.diagnostic(JSON.stringify(report));
    assert.ok(report.workerKills >= 2, 'workers were killed');
    assert.equal(report.redisRestarts, 1);
    assert.equal(report.accepted, 300);
    assert.equal(report.lost, 0);
    assert.equal(report.done, report.accepted);
    assert.ok(report.executions >= report.accepted);
  });
});
