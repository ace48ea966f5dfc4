import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { WorkmeshClient, isWorkmeshError, type JobState } from '../../src/client/index.js';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServerHandle } from '../../src/redis/index.js';

/**
 * The chaos run: real API and worker processes on a private redis-server (AOF, fsync always),
 * a steady stream of jobs, a random worker SIGKILLed every few seconds and restarted, a random
 * worker frozen (SIGSTOP) past the node TTL then resumed (SIGCONT), some jobs that block their
 * worker's event loop past the node TTL on their first start, every pub/sub connection dropped
 * (CLIENT KILL TYPE pubsub) every few seconds, and redis-server itself SIGKILLed and restarted
 * once. It keeps its own records outside Redis: what the API accepted (client side), every
 * execution and every finished run of the handler (a file the job appends to), and checks them
 * against the final statuses. Lost: a job left non-final, or failed without any finished run of
 * its handler (it was never given a chance).
 */
export interface ChaosOptions {
  readonly jobs: number;
  /** Time to submit all jobs in. */
  readonly submitMs: number;
  /** Hard bound of the whole run. */
  readonly deadlineMs: number;
  readonly workers: number;
  readonly killEveryMs: number;
  /** How often a worker is frozen (SIGSTOP) for the node TTL + 1.5 s; 0: never. */
  readonly freezeEveryMs: number;
  /** Every n-th job stalls its worker's event loop past the node TTL on its first start; 0: none. */
  readonly stallEvery: number;
  /** How often every pub/sub connection is closed; 0: never. */
  readonly dropPubSubEveryMs: number;
  readonly jobMs: number;
  readonly log?: (line: string) => void;
}

export interface ChaosReport {
  accepted: number;
  done: number;
  failed: number;
  lost: number;
  /** Of lost: failed without a finished run of the handler. */
  lostFailedUnrun: number;
  /** Of lost: not final by the deadline. */
  lostNotFinal: number;
  executedMoreThanOnce: number;
  executions: number;
  workerKills: number;
  workerFreezes: number;
  loopStalls: number;
  pubSubDrops: number;
  redisRestarts: number;
  refusedDuringOutage: number;
  longestTakeoverMs: number;
  elapsedMs: number;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'src/cli/main.ts');

function startRole(
  role: string,
  env: Record<string, string>,
): { child: ChildProcess; ready: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, role], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ready = new Promise<string>((resolve, reject) => {
    child.on('message', (m: { kind: string; url?: string; nodeId: string }) => {
      if (m.kind === 'ready') resolve(m.url ?? m.nodeId);
    });
    child.once('exit', (code) => reject(new Error(`${role} exited ${code} before ready`)));
  });
  ready.catch(() => undefined);
  return { child, ready };
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const say = options.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'workmesh-chaos-'));
  const executionsFile = join(dir, 'executions.log');
  const redisArgs = ['--appendfsync', 'always'];
  let redis: RedisServerHandle = await startRedisServer({
    dir: join(dir, 'redis'),
    extraArgs: redisArgs,
  });
  const env = {
    REDIS_URL: redis.url,
    WORKMESH_API_PORT: '0',
    WORKMESH_JOBS: join(ROOT, 'scripts/chaos/jobs.ts'),
    WORKMESH_TYPES: 'chaos',
    WORKMESH_HEARTBEAT_MS: '500',
    WORKMESH_NODE_TTL_MS: '2000',
    WORKMESH_CLAIM_TIMEOUT_MS: '5000',
    WORKMESH_CONCURRENCY: '20',
    WORKMESH_MAX_ATTEMPTS: '20',
    // Workers die here far more often than anywhere real: no job should reach the poison rule.
    WORKMESH_MAX_RECOVERIES: '20',
    WORKMESH_BACKOFF_MS: '100',
    WORKMESH_CLUSTER_SECRET: 'chaos',
    WORKMESH_LOG_LEVEL: 'error',
  };
  const started = performance.now();
  const report: ChaosReport = {
    accepted: 0,
    done: 0,
    failed: 0,
    lost: 0,
    lostFailedUnrun: 0,
    lostNotFinal: 0,
    executedMoreThanOnce: 0,
    executions: 0,
    workerKills: 0,
    workerFreezes: 0,
    loopStalls: 0,
    pubSubDrops: 0,
    redisRestarts: 0,
    refusedDuringOutage: 0,
    longestTakeoverMs: 0,
    elapsedMs: 0,
  };
  const api = startRole('api', env);
  const client = new WorkmeshClient({ baseUrl: await api.ready });
  let stopping = false;
  const workers: (ChildProcess | undefined)[] = [];
  const all = new Set<ChildProcess>();
  const supervise = async (slot: number): Promise<void> => {
    while (!stopping) {
      const w = startRole('worker', env);
      all.add(w.child);
      w.child.once('exit', () => all.delete(w.child));
      // Only a worker that is up is killed or frozen: on a loaded machine a restart can take
      // longer than the time between kills, and no worker would ever run a job.
      workers[slot] = undefined;
      w.ready.then(() => (workers[slot] = w.child)).catch(() => undefined);
      await new Promise((resolve) => w.child.once('exit', resolve));
      if (!stopping) await sleep(300);
    }
  };
  const supervisors = Array.from({ length: options.workers }, (_, i) => supervise(i));

  // A worker up and running (not frozen, not restarting), picked at random, for the freezer:
  // on a loaded machine all may be restarting for a while; it looks again shortly rather than
  // skip a whole turn, or a short run may see no freeze at all.
  const upWorker = async (): Promise<ChildProcess | undefined> => {
    while (!stopping) {
      const up = workers.filter(
        (w): w is ChildProcess => w !== undefined && w.exitCode === null && !frozen.has(w),
      );
      if (up.length > 0) return up[Math.floor(Math.random() * up.length)];
      await sleep(100);
    }
    return undefined;
  };

  const NODE_TTL_MS = Number(env.WORKMESH_NODE_TTL_MS);
  const frozen = new Set<ChildProcess>();
  const killer = (async () => {
    while (!stopping) {
      await sleep(options.killEveryMs * (0.5 + Math.random()));
      // Any worker that is up, not a slot picked blind: on a loaded machine (CI) most picks
      // found their slot restarting and a 23 s run saw a single kill. The pause between kills
      // still leaves each restarted worker time to run jobs.
      const victim = await upWorker();
      if (stopping || !victim) continue;
      victim.kill('SIGKILL');
      report.workerKills += 1;
    }
  })();

  const freezer = (async () => {
    if (options.freezeEveryMs <= 0) return;
    while (!stopping) {
      await sleep(options.freezeEveryMs * (0.5 + Math.random()));
      const victim = await upWorker();
      if (stopping || !victim) continue;
      victim.kill('SIGSTOP');
      frozen.add(victim);
      report.workerFreezes += 1;
      await sleep(NODE_TTL_MS + 1500);
      victim.kill('SIGCONT');
      frozen.delete(victim);
    }
  })();

  // Pub/sub does not replay: a dropped subscriber misses what was published meanwhile.
  const dropper = (async () => {
    if (options.dropPubSubEveryMs <= 0) return;
    while (!stopping) {
      await sleep(options.dropPubSubEveryMs * (0.5 + Math.random()));
      if (stopping) break;
      const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
      admin.on('error', () => undefined);
      try {
        await admin.connect();
        const closed = Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub'));
        if (closed > 0) report.pubSubDrops += 1;
      } catch {
        // Redis is down (the outage): nothing to drop.
      } finally {
        admin.disconnect();
      }
    }
  })();

  const outage = (async () => {
    await sleep(options.submitMs * 0.4);
    say('chaos: SIGKILL redis-server');
    redis.process.kill('SIGKILL');
    await redis.stop();
    await sleep(1500);
    redis = await startRedisServer({
      dir: join(dir, 'redis'),
      port: redis.port,
      extraArgs: redisArgs,
    });
    report.redisRestarts += 1;
    say('chaos: redis-server restarted');
  })();

  // Submissions: a steady rate; a 503 is retried with the same idempotency key, so a retry
  // never makes a second job and a job the API did accept is never dropped by the client.
  const accepted: string[] = [];
  const gapMs = options.submitMs / options.jobs;
  const submissions: Promise<void>[] = [];
  for (let i = 0; i < options.jobs && performance.now() - started < options.deadlineMs; i++) {
    submissions.push(
      (async () => {
        // One request, resent as it was: a key with other data is refused (422).
        const stall = options.stallEvery > 0 && i % options.stallEvery === options.stallEvery - 1;
        const data = {
          file: executionsFile,
          ms: Math.floor(Math.random() * options.jobMs),
          ...(stall ? { stallMs: NODE_TTL_MS + 1000 } : {}),
        };
        for (;;) {
          try {
            const a = await client.submit('chaos', data, { key: `chaos-${i}` });
            if (stall) report.loopStalls += 1;
            accepted.push(a.callback);
            return;
          } catch (err) {
            if (!isWorkmeshError(err) || !err.retryable) throw err;
            report.refusedDuringOutage += 1;
            await sleep(200);
          }
        }
      })(),
    );
    await sleep(gapMs);
  }
  await Promise.all(submissions);
  await outage;
  say(`chaos: ${accepted.length} jobs accepted; waiting for them to finish`);

  const finals = new Map<string, JobState>();
  while (finals.size < accepted.length && performance.now() - started < options.deadlineMs) {
    for (const id of accepted) {
      if (finals.has(id)) continue;
      const state = await client.status(id).catch(() => undefined);
      if (state && ['done', 'failed', 'cancelled'].includes(state.status)) finals.set(id, state);
    }
    if (finals.size < accepted.length) await sleep(500);
  }
  // A last look at every job not yet seen final (the polling above may have run out of time).
  for (const id of accepted.filter((a) => !finals.has(a))) {
    const state = await client.status(id).catch(() => undefined);
    if (state && ['done', 'failed', 'cancelled'].includes(state.status)) finals.set(id, state);
    else say(`chaos: not final: ${id} ${JSON.stringify(state)}`);
  }
  stopping = true;
  await Promise.all([killer, freezer, dropper]);
  for (const w of all) w.kill('SIGCONT');
  for (const w of all) w.kill('SIGTERM');
  await Promise.all(supervisors);
  api.child.kill('SIGTERM');
  await new Promise((resolve) =>
    api.child.exitCode !== null ? resolve(null) : api.child.once('exit', resolve),
  );
  await redis.stop();

  report.accepted = accepted.length;
  for (const state of finals.values()) {
    if (state.status === 'done') report.done += 1;
    else {
      report.failed += 1;
      say(`chaos: ${state.status}: ${state.callback} ${JSON.stringify(state.error)}`);
    }
  }
  const runs = new Map<string, number[]>();
  const finished = new Set<string>();
  const lines = existsSync(executionsFile) ? readFileSync(executionsFile, 'utf8').split('\n') : [];
  for (const line of lines.filter(Boolean)) {
    const [id, second, , at] = line.split(' ');
    if (id === 'finished') finished.add(second!);
    else runs.set(id!, [...(runs.get(id!) ?? []), Number(at)]);
  }
  report.lostNotFinal = accepted.length - finals.size;
  for (const [id, state] of finals) {
    if (state.status === 'failed' && !finished.has(id)) report.lostFailedUnrun += 1;
  }
  report.lost = report.lostNotFinal + report.lostFailedUnrun;
  report.executions = [...runs.values()].reduce((n, r) => n + r.length, 0);
  for (const times of runs.values()) {
    if (times.length > 1) report.executedMoreThanOnce += 1;
    for (let i = 1; i < times.length; i++) {
      report.longestTakeoverMs = Math.max(report.longestTakeoverMs, times[i]! - times[i - 1]!);
    }
  }
  report.elapsedMs = Math.round(performance.now() - started);
  rmSync(dir, { recursive: true, force: true });
  return report;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const report = await runChaos({
    jobs: Number(process.env.CHAOS_JOBS ?? 2000),
    submitMs: Number(process.env.CHAOS_SUBMIT_MS ?? 60_000),
    deadlineMs: 240_000,
    workers: 4,
    killEveryMs: 3000,
    freezeEveryMs: 5000,
    stallEvery: 100,
    dropPubSubEveryMs: 4000,
    jobMs: 300,
    log: (line) => console.log(line),
  });
  console.log(JSON.stringify(report, null, 2));
  console.log(
    `accepted ${report.accepted}, done ${report.done}, failed ${report.failed}, lost ${report.lost}, ` +
      `executed more than once ${report.executedMoreThanOnce}, longest wait for takeover ${report.longestTakeoverMs} ms ` +
      `(${report.workerKills} worker kills, ${report.workerFreezes} freezes, ${report.loopStalls} loop stalls, ` +
      `${report.pubSubDrops} pub/sub drops, ${report.redisRestarts} redis restart, ${report.elapsedMs} ms)`,
  );
  process.exitCode = report.lost === 0 && report.done === report.accepted ? 0 : 1;
}
