import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Keys } from '../src/redis/index.js';
import { LATE_MS, redisNow, scheduledJobId } from '../src/schedule/index.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import { join } from 'node:path';
import {
  ROOT,
  startApiProcess,
  startWorkerProcess,
  stopAll,
  stopProcess,
  type RoleProcess,
} from './helpers/processes.js';
import { until } from './helpers/wait.js';

/**
 * The missed-tick policies on real processes: the whole cluster (an API and a worker) is
 * killed for more than 5 ticks, then started again. Jobs are found by their deterministic ids.
 */
const keys = new Keys('wm');
// Every process also loads a job type with a schedule in its definition (upserted at start).
const env = { WORKMESH_TYPES: 'hash', WORKMESH_JOBS: join(ROOT, 'test/fixtures/scheduled.ts') };
let redis: TestRedis;
let procs: RoleProcess[] = [];
let apiUrl = '';

before(async () => {
  redis = await startTestRedis();
});
after(async () => {
  await stopAll();
  await redis.stop();
});

async function startCluster(workers: number, apis: number): Promise<void> {
  const started = [
    ...Array.from({ length: workers }, () => startWorkerProcess(redis.url, env)),
    ...Array.from({ length: apis }, () => startApiProcess(redis.url, env)),
  ];
  const ready = await Promise.all(started.map((p) => p.ready));
  apiUrl = ready.find((r) => r.url)!.url!;
  procs = started;
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${apiUrl}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const json = (await res.json()) as T;
  assert.equal(res.status, 200, JSON.stringify(json));
  return json;
}

interface View {
  status: string;
  queue: string;
  count: number;
  missed: number;
  lastTick: string | null;
  lastJob: string | null;
}

interface Fired {
  tick: number;
  id: string;
  text: string;
  acceptedBy: string;
}

/** The jobs a schedule fired for the ticks of its grid from..to (deterministic ids). */
async function firedJobs(scheduleId: string, from: number, to: number): Promise<Fired[]> {
  const out: Fired[] = [];
  for (let tick = from; tick <= to; tick += 1000) {
    const id = scheduledJobId('hash', scheduleId, tick);
    const [sid, t, data, acceptedBy] = await redis.client.hmget(
      keys.job(id),
      'scheduleId',
      'scheduleTick',
      'data',
      'acceptedBy',
    );
    if (sid === null) continue;
    assert.equal(sid, scheduleId);
    assert.equal(Number(t), tick);
    out.push({
      tick,
      id,
      text: (JSON.parse(data!) as { text: string }).text,
      acceptedBy: acceptedBy!,
    });
  }
  return out;
}

describe('schedules after an outage of the whole cluster', () => {
  it('the whole cluster stopped for 5 ticks, then started: latest skips the missed ticks, all fires each', async () => {
    await startCluster(1, 1);
    const nightly = await api<View & { upcoming: string[] }>(
      'GET',
      '/api/schedules/nightly-report',
    );
    assert.equal(nightly.status, 'active');
    assert.equal(
      new Date(nightly.upcoming[0]!)
        .toLocaleTimeString('en-GB', { timeZone: 'Europe/Berlin' })
        .slice(0, 5),
      '02:30',
    );
    for (const missed of ['latest', 'all'] as const) {
      await api('POST', '/api/schedules', {
        id: `down-${missed}`,
        type: 'hash',
        everyMs: 1000,
        data: { text: missed },
        missed,
        // A cap above the outage's ticks (process start included): every one fires.
        ...(missed === 'all' ? { missedCap: 100 } : {}),
      });
    }
    const before = await until(
      'both fired twice',
      () => Promise.all(['latest', 'all'].map((m) => api<View>('GET', `/api/schedules/down-${m}`))),
      (vs) => vs.every((v) => v.count >= 2),
      30_000,
      100,
    );
    const first = Math.min(...before.map((v) => Date.parse(v.lastTick!))) - 1000;
    await Promise.all(procs.map((p) => stopProcess(p, 'SIGKILL')));
    const stoppedAt = await redisNow(redis.client);
    // Down for at least 5 ticks past the late window: those are missed at restart.
    await until(
      'five ticks missed',
      () => redisNow(redis.client),
      (t) => t > stoppedAt + 5000 + LATE_MS,
      20_000,
      100,
    );
    await startCluster(1, 1);
    const restartedAt = await redisNow(redis.client);
    const afterViews = await until(
      'both fire again',
      () => Promise.all(['latest', 'all'].map((m) => api<View>('GET', `/api/schedules/down-${m}`))),
      (vs) => vs.every((v) => Date.parse(v.lastTick!) >= restartedAt + 1000),
      30_000,
      100,
    );
    const [latest, all] = afterViews as [View, View];
    const last = Date.parse(all.lastTick!);
    const allJobs = await firedJobs('down-all', first, last);
    // all: every tick of the outage fired once.
    const grid = (last - allJobs[0]!.tick) / 1000 + 1;
    assert.equal(allJobs.length, grid, JSON.stringify(allJobs.map((j) => j.tick)));
    assert.equal(all.missed, 0);
    // latest: the ticks missed while down were skipped, and counted; none fired twice.
    const lastL = Date.parse(latest.lastTick!);
    const latestJobs = await firedJobs('down-latest', first, lastL);
    const gridL = (lastL - latestJobs[0]!.tick) / 1000 + 1;
    assert.ok(latest.missed >= 5, `missed ${latest.missed}`);
    assert.equal(latestJobs.length + latest.missed, gridL);
  });
});
