import type { Redis } from 'ioredis';
import {
  type JobWatcher,
  type LimitsChange,
  type QueueState,
  cancelJob,
  checkLimits,
  pauseQueues,
  readQueueState,
  resumeQueues,
  setQueueLimits,
  getJob,
  listDead,
  listJobs,
  actOnJobs,
  encodeCursor,
  decodeCursor,
  type JobAction,
  queueCounts,
  reviveDead,
  type Producer,
  type QueueCounts,
} from '../queue/index.js';
import type { ClusterNode, Member } from '../cluster/index.js';
import type { Config } from '../config/index.js';
import { WorkmeshError } from '../errors/index.js';
import type { JobRegistry } from '../jobs/index.js';
import { JOB_ID_RE, queueOfJobId, type Keys } from '../redis/index.js';
import { cancelFlow, drawTree, readFlow, submitFlow, type FlowNodeInput } from '../flow/index.js';
import {
  getSchedule,
  listSchedules,
  pauseSchedule,
  removeSchedule,
  upsertSchedule,
  type ScheduleSpec,
  type ScheduleStore,
} from '../schedule/index.js';
import { Submitter } from '../submit/index.js';
import { pointInTime } from '../client/index.js';
import type { JobStatus } from '../job-schema/index.js';

export interface ShellDeps {
  readonly config: Config;
  readonly node: ClusterNode;
  readonly redis: Redis;
  readonly keys: Keys;
  readonly producer: Producer;
  readonly registry: JobRegistry;
  readonly watcher: JobWatcher;
}

/** What jobs() filters on: GET /api/jobs's query (docs/api.md). */
interface ShellJobsFilter {
  readonly type?: string;
  readonly status?: JobStatus | readonly JobStatus[];
  /** A duration back from now ('1h'), an ISO time, ms since the epoch or a Date. */
  readonly since?: string | number | Date;
  readonly until?: string | number | Date;
  readonly finished?: boolean;
  readonly data?: Readonly<Record<string, string | number | boolean>>;
  readonly limit?: number;
  readonly cursor?: string;
}

function shellTime(t: string | number | Date): number {
  const ms = t instanceof Date ? t.getTime() : pointInTime(String(t));
  if (ms === undefined || !Number.isFinite(ms))
    throw new WorkmeshError('WM_ERR_JOBS_BAD_TIME', `not a time: ${JSON.stringify(t)}`);
  return ms;
}

/** What a shell submission may set beside its type and data (checked by the Submitter). */
interface ShellSubmitOptions {
  readonly maxAttempts?: number;
  readonly delayMs?: number;
  readonly resultTtlSec?: number;
  readonly priority?: number;
  readonly group?: string;
  readonly dedupe?: { key: string; ttlSec: number; mode: 'throttle' | 'debounce' };
  readonly key?: string;
}

function checkId(id: string): string {
  const queue = JOB_ID_RE.test(id) ? queueOfJobId(id) : undefined;
  if (!queue)
    throw new WorkmeshError('WM_ERR_API_BAD_ID', `malformed callback id ${JSON.stringify(id)}`);
  return queue;
}

/** The functions the shell puts at hand, each with its one-line help. */
export function shellHelpers(deps: ShellDeps) {
  const { config, node, redis, keys, producer, registry, watcher } = deps;
  // No redisTimeoutMs: the shell waits for Redis to come back, as its other calls do.
  const submitter = new Submitter({ config, registry, producer, redis, keys });
  const schedules: ScheduleStore = { redis, keys, registry };
  const queueNames = async (): Promise<string[]> => {
    const offered = (await node.readMembers()).flatMap((m) => m.offers.types);
    return [...new Set([...registry.list().map((d) => d.name), ...offered])].sort();
  };
  const queuesOf = (type: string): string[] => {
    const queues = registry.queuesOf(type);
    if (queues.length === 0)
      throw new WorkmeshError('WM_ERR_QUEUE_UNKNOWN_TYPE', `no job type ${JSON.stringify(type)}`);
    return queues;
  };
  const stateOf = (type: string): Promise<QueueState> =>
    readQueueState(redis, keys, type, queuesOf(type));
  const helpers = {
    nodes: {
      help: 'nodes() — the live members with their figures',
      fn: (): Promise<Member[]> => node.readMembers(),
    },
    queues: {
      help: 'queues() — waiting, active and counters of every queue',
      fn: async (): Promise<QueueCounts[]> =>
        Promise.all((await queueNames()).map((q) => queueCounts(redis, keys, q))),
    },
    queue: {
      help: "queue(type?) — a job type's queue (all types without one): paused, waiting by priority, limits, held back",
      fn: async (type?: string): Promise<QueueState | QueueState[]> =>
        type === undefined
          ? Promise.all(registry.list().map((d) => stateOf(d.name)))
          : stateOf(type),
    },
    pause: {
      help: 'pause(type) — no job of the type starts until resume(type); submissions still wait',
      fn: async (type: string): Promise<QueueState> => {
        await pauseQueues(redis, keys, queuesOf(type));
        return stateOf(type);
      },
    },
    resume: {
      help: 'resume(type) — a paused type starts its waiting jobs again',
      fn: async (type: string): Promise<QueueState> => {
        await resumeQueues(redis, keys, queuesOf(type));
        return stateOf(type);
      },
    },
    limits: {
      help: 'limits(type, { rate: {max, perMs}, concurrency, groupRate, groupConcurrency }) — change limits (null removes one)',
      fn: async (type: string, change: LimitsChange): Promise<QueueState> => {
        const queues = queuesOf(type);
        await setQueueLimits(redis, keys, queues, checkLimits(change));
        return stateOf(type);
      },
    },
    submit: {
      help: 'submit(type, data, { maxAttempts, delayMs, resultTtlSec, priority, group, dedupe }?) — queue a job; answers its callback id',
      fn: async (type: string, data: unknown, options: ShellSubmitOptions = {}) => {
        const { id } = await submitter.submit({ type, data, ...options });
        return id;
      },
    },
    submitBatch: {
      help: 'submitBatch([{ type, data, ...options }]) — queue many jobs together; answers [{ ok, id } | { ok: false, code, message }], one per job',
      fn: (jobs: readonly ({ type: string; data: unknown } & ShellSubmitOptions)[]) =>
        Promise.all(
          jobs.map(async ({ type, data, ...options }) => {
            try {
              const { id, created, deduplicated } = await submitter.submit({
                type,
                data,
                ...options,
              });
              return { ok: true as const, id, created, ...(deduplicated ? { deduplicated } : {}) };
            } catch (err) {
              if (!(err instanceof WorkmeshError)) throw err;
              return { ok: false as const, code: err.code, message: err.message };
            }
          }),
        ),
    },
    status: {
      help: 'status(id) — the job record',
      fn: async (id: string) => {
        checkId(id);
        return (await getJob(redis, keys, id)) ?? null;
      },
    },
    wait: {
      help: 'wait(id, timeoutMs = 60000) — resolves with the job once it is done, failed or cancelled',
      fn: async (id: string, timeoutMs = 60_000) => {
        checkId(id);
        return (await watcher.untilFinal(id, () => getJob(redis, keys, id), timeoutMs)) ?? null;
      },
    },
    flow: {
      help: 'flow(tree | id) — submit a flow ({type, data, children: [...]}) and answer its id; or, given an id, draw its tree',
      fn: async (tree: FlowNodeInput | string) => {
        if (typeof tree !== 'string') {
          return (await submitFlow(redis, keys, node.id, submitter, { flow: tree })).id;
        }
        checkId(tree);
        const view = await readFlow(redis, keys, tree);
        return view ? drawTree(view) : null;
      },
    },
    chain: {
      help: 'chain([step, ...]) — submit a chain; answers its id (its last step)',
      fn: async (steps: FlowNodeInput[]) =>
        (await submitFlow(redis, keys, node.id, submitter, { chain: steps })).id,
    },
    cancelFlow: {
      help: 'cancelFlow(id) — cancel every node of a flow not final yet; answers how many',
      fn: async (id: string) => {
        checkId(id);
        const result = await cancelFlow(redis, keys, id);
        for (const r of result.running)
          await node.send(r.workedBy, { type: 'cancel', id: r.id }).catch(() => false);
        return result.cancelled;
      },
    },
    call: {
      help: "call(node, name, ...args) — call a function on a node (an id, a role like 'worker', or 'self')",
      fn: (target: string, name: string, ...args: unknown[]) =>
        node.call(target, name, args.length <= 1 ? args[0] : args),
    },
    broadcast: {
      help: 'broadcast(message) — send a message to every node; answers how many got it',
      fn: (message: unknown) => node.broadcast(message),
    },
    on: {
      help: "on(event, fn) — watch 'joined', 'left', 'updated' (members), 'message', or 'job' ({id, n, status} of every job event)",
      fn: (
        event: 'joined' | 'left' | 'updated' | 'message' | 'job',
        fn: (change: unknown, from?: string) => void,
      ) => {
        if (event === 'job') watcher.onAnyEvent((id, n, status) => fn({ id, n, status }));
        else node.on(event, fn);
        return `watching ${event}`;
      },
    },
    dead: {
      help: 'dead(type?) — the newest dead letters',
      fn: async (type?: string) => {
        const jobs = [];
        for (const q of type ? [type] : await queueNames())
          jobs.push(...(await listDead(redis, keys, q, 0, 50)).jobs);
        return jobs;
      },
    },
    jobs: {
      help: "jobs({ type?, status?, since?: '1h', until?, finished?, data?: { path: value }, limit?, cursor? }) — find jobs, newest first: { jobs, cursor? }",
      fn: async (filter: ShellJobsFilter = {}) => {
        const types = filter.type ? [filter.type] : await queueNames();
        const queues = types.flatMap((t) =>
          registry.queuesOf(t).length > 0 ? registry.queuesOf(t) : [t],
        );
        const cursor = filter.cursor === undefined ? undefined : decodeCursor(filter.cursor);
        if (filter.cursor !== undefined && !cursor)
          throw new WorkmeshError('WM_ERR_JOBS_BAD_CURSOR', 'not a cursor of jobs()');
        const page = await listJobs(redis, keys, {
          queues,
          ...(filter.status ? { statuses: new Set([filter.status].flat()) } : {}),
          timeField: filter.finished ? 'finished' : 'created',
          ...(filter.since !== undefined ? { since: shellTime(filter.since) } : {}),
          ...(filter.until !== undefined ? { until: shellTime(filter.until) } : {}),
          ...(filter.data
            ? {
                data: Object.entries(filter.data).map(([path, value]) => ({
                  path: path.split('.'),
                  value: String(value),
                })),
              }
            : {}),
          ...(cursor ? { cursor } : {}),
          limit: Math.min(Math.max(1, filter.limit ?? 50), 500),
          scanMax: 5000,
        });
        return page.cursor
          ? { jobs: page.jobs, cursor: encodeCursor(page.cursor) }
          : { jobs: page.jobs };
      },
    },
    act: {
      help: "act('retry' | 'cancel' | 'delete', ids) — a bulk action, each id acted on or skipped with why",
      fn: async (action: JobAction, ids: readonly string[]) => {
        const results = await actOnJobs(redis, keys, action, ids);
        for (const r of results) {
          if (r.workedBy)
            await node.send(r.workedBy, { type: 'cancel', id: r.id }).catch(() => false);
        }
        return results.map(({ workedBy: _w, ...r }) => r);
      },
    },
    retry: {
      help: 'retry(id) — put a dead letter back in its queue',
      fn: async (id: string) => (await reviveDead(redis, keys, checkId(id), [id])) === 1,
    },
    cancel: {
      help: 'cancel(id) — cancel a queued job, or abort a running one',
      fn: async (id: string) => {
        const result = await cancelJob(redis, keys, checkId(id), id);
        if (result.workedBy)
          await node.send(result.workedBy, { type: 'cancel', id }).catch(() => false);
        return result.outcome;
      },
    },
    schedules: {
      help: 'schedules() — every schedule: status, next tick, last tick, jobs fired',
      fn: () => listSchedules(schedules),
    },
    schedule: {
      help: "schedule({ id, type, cron | everyMs, data?, tz?, ... }) — create or replace a schedule; schedule('id') reads one with its next 5 fire times",
      fn: async (spec: ScheduleSpec | string) =>
        typeof spec === 'string'
          ? ((await getSchedule(schedules, spec)) ?? null)
          : upsertSchedule(schedules, spec),
    },
    unschedule: {
      help: 'unschedule(id) — remove a schedule (jobs it fired stay)',
      fn: async (id: string) => (await removeSchedule(schedules, id), true),
    },
    pauseSchedule: {
      help: 'pauseSchedule(id) — no tick fires until resumeSchedule(id)',
      fn: (id: string) => pauseSchedule(schedules, id, true),
    },
    resumeSchedule: {
      help: 'resumeSchedule(id) — fire again from its next tick after now',
      fn: (id: string) => pauseSchedule(schedules, id, false),
    },
    stats: {
      help: 'stats() — the whole cluster: nodes, queues, totals',
      fn: async () => {
        const [members, queues] = await Promise.all([node.readMembers(), helpers.queues.fn()]);
        const sum = (k: 'inFlight' | 'processed' | 'failed') =>
          members.reduce((n, m) => n + m.figures[k], 0);
        return {
          nodes: members.length,
          byRole: Object.fromEntries(
            [...new Set(members.map((m) => m.role))].map((r) => [
              r,
              members.filter((m) => m.role === r).length,
            ]),
          ),
          inFlight: sum('inFlight'),
          processed: sum('processed'),
          failed: sum('failed'),
          queues,
        };
      },
    },
  };
  return helpers;
}

export type ShellHelpers = ReturnType<typeof shellHelpers>;
