import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Keys } from '../src/redis/index.js';
import { LATE_MS, redisNow, scheduledJobId } from '../src/schedule/index.js';
import { startTestRedis, type TestRedis } from './helpers/redis.js';
import {
  startApiProcess,
  startWorkerProcess,
  stopAll,
  stopProcess,
  type RoleProcess,
} from './helpers/processes.js';
import { until } from './helpers/wait.js';

/**
 * Schedules fired by real processes, no leader: 3 workers and 2 API processes each run the
 * scheduler loop. Jobs are found by their deterministic ids (schedule id + tick) and read
 * back from Redis: one per tick, never two.
 */
const keys = new Keys('wm');
const env = { WORKMESH_TYPES: 'hash' };
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

/** Jobs the queue accepted in all: a second job for a tick would show here. */
const accepted = async () => Number((await redis.client.hget(keys.stats('hash'), 'accepted')) ?? 0);

describe('schedules fired by a cluster of processes', () => {
  it('3 workers + 2 APIs, every 1 s for 10 s, one process SIGKILLed midway: each tick fired once, none lost', async () => {
    await startCluster(3, 2);
    const now = await redisNow(redis.client);
    const startAt = Math.ceil((now + 1500) / 1000) * 1000;
    const endAt = startAt + 9000;
    await api('POST', '/api/schedules', {
      id: 'steady',
      type: 'hash',
      everyMs: 1000,
      data: { text: 'steady' },
      startAt: new Date(startAt).toISOString(),
      endAt: new Date(endAt).toISOString(),
    });
    // The process that fired the third tick is killed: whichever fired it, the others go on.
    const third = await until(
      'three ticks fired',
      () => api<View>('GET', '/api/schedules/steady'),
      (v) => v.count >= 3,
      30_000,
      100,
    );
    const firedBy = (await redis.client.hget(keys.job(third.lastJob!), 'acceptedBy'))!;
    const ids = await Promise.all(procs.map((p) => p.ready.then((r) => r.nodeId)));
    const victim = procs[ids.indexOf(firedBy)]!;
    assert.ok(victim, `process ${firedBy} found`);
    await stopProcess(victim, 'SIGKILL');
    procs = procs.filter((p) => p !== victim);
    if (victim.child.pid !== undefined && apiUrl.length > 0) {
      const alive = await Promise.all(procs.map((p) => p.ready));
      apiUrl = alive.find((r) => r.url)!.url!;
    }
    const done = await until(
      'the schedule ended',
      () => api<View>('GET', '/api/schedules/steady'),
      (v) => v.status === 'ended',
      30_000,
      200,
    );
    const jobs = await firedJobs('steady', startAt, endAt);
    // Every tick of the grid fired, or (a machine too loaded to fire within LATE_MS) was
    // counted missed; never one fired twice.
    assert.equal(jobs.length + done.missed, 10, JSON.stringify({ jobs, done }));
    assert.ok(jobs.length >= 9, `${jobs.length} jobs`);
    assert.equal(done.count, jobs.length);
    assert.equal(new Set(jobs.map((j) => j.tick)).size, jobs.length);
    assert.equal(await accepted(), jobs.length);
    assert.ok(jobs.some((j) => j.tick > Date.parse(third.lastTick!) && j.acceptedBy !== firedBy));
    // The lag gauge (tick to accepted) of every API process, read from Redis at scrape.
    const metrics = await (await fetch(`${apiUrl}/metrics`)).text();
    const lag = /^workmesh_schedule_lag_seconds\{schedule="steady"\} ([0-9.e-]+)$/m.exec(metrics);
    assert.ok(lag, metrics.slice(0, 400));
    assert.ok(Number(lag[1]) >= 0 && Number(lag[1]) < 60);
  });

  it('an upsert while running: no tick twice, the new data from the next tick', async () => {
    await api('POST', '/api/schedules', {
      id: 'up',
      type: 'hash',
      everyMs: 1000,
      data: { text: 'v1' },
    });
    const first = await until(
      'fired twice',
      () => api<View>('GET', '/api/schedules/up'),
      (v) => v.count >= 2,
      30_000,
      100,
    );
    const upsertAt = await redisNow(redis.client);
    await api('POST', '/api/schedules', {
      id: 'up',
      type: 'hash',
      everyMs: 1000,
      data: { text: 'v2' },
    });
    const upserted = await redisNow(redis.client);
    const end = await until(
      'fired three more',
      () => api<View>('GET', '/api/schedules/up'),
      (v) => v.count >= first.count + 3,
      30_000,
      100,
    );
    const from = Date.parse(first.lastTick!) - (first.count - 1) * 1000;
    const jobs = await firedJobs('up', from, Date.parse(end.lastTick!));
    assert.equal(jobs.length, end.count, JSON.stringify(jobs));
    assert.equal(new Set(jobs.map((j) => j.tick)).size, jobs.length);
    for (const j of jobs) {
      if (j.tick > upserted) assert.equal(j.text, 'v2', `tick ${j.tick} after the upsert`);
      if (j.tick < upsertAt - LATE_MS) assert.equal(j.text, 'v1', `tick ${j.tick} before`);
    }
    assert.ok(jobs.filter((j) => j.text === 'v2').length >= 3);
  });
});
