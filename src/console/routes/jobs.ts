import type { FastifyInstance } from 'fastify';
import { withRedis } from '../../http/index.js';
import { WorkmeshError } from '../../errors/index.js';
import { JOB_STATUSES, type JobStatus } from '../../job-schema/index.js';
import {
  JOB_ACTIONS,
  MAX_ACTION_IDS,
  actOnJobs,
  decodeCursor,
  encodeCursor,
  listJobs,
  type JobAction,
} from '../../queue/index.js';
import type { ConsoleContext } from '../context.js';
import { checkedType } from './data.js';

/** As GET /api/jobs (docs/api.md): a page size of at most 500, 5,000 entries examined. */
const MAX_LIMIT = 500;
const SCAN_MAX = 5000;
const DATA_PATH_RE = /^[A-Za-z0-9_-]{1,64}(\.[A-Za-z0-9_-]{1,64}){0,3}$/;

function bad(why: string): WorkmeshError {
  return new WorkmeshError('WM_ERR_API_BAD_REQUEST', why);
}

function time(text: string | undefined, name: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  const ms = /^\d{1,15}$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new WorkmeshError('WM_ERR_JOBS_BAD_TIME', `${name}: not a time`);
  return ms;
}

/**
 * The console's jobs page (docs/console.md, "Jobs"): the list, with GET /api/jobs's filters
 * (tenant aside: the console is an operator's), and the bulk actions on a selection.
 */
export function jobsRoutes(app: FastifyInstance, ctx: ConsoleContext): void {
  const redis = <T>(fn: () => Promise<T>): Promise<T> =>
    withRedis(ctx.redis, ctx.redisTimeoutMs, fn);

  app.get<{ Querystring: Record<string, string | undefined> }>(
    '/console/api/jobs',
    async (request) => {
      const q = request.query;
      const type = checkedType(q.type || undefined);
      const statuses = q.status ? q.status.split(',') : [];
      for (const s of statuses) {
        if (!(JOB_STATUSES as readonly string[]).includes(s)) throw bad(`no status ${s}`);
      }
      if (q.time !== undefined && q.time !== 'created' && q.time !== 'finished')
        throw bad('time is created or finished');
      const since = time(q.since, 'since');
      const until = time(q.until, 'until');
      const limit = q.limit === undefined ? 50 : Number(q.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
        throw bad(`limit is 1..${MAX_LIMIT}`);
      const cursor = q.cursor ? decodeCursor(q.cursor) : undefined;
      if (q.cursor && !cursor) throw new WorkmeshError('WM_ERR_JOBS_BAD_CURSOR', 'not a cursor');
      const data = Object.entries(q)
        .filter(([k, v]) => k.startsWith('data.') && v !== undefined)
        .map(([k, v]) => {
          if (!DATA_PATH_RE.test(k.slice(5))) throw bad(`not a data path: ${k.slice(5, 80)}`);
          return { path: k.slice(5).split('.'), value: v! };
        });
      const queues = type
        ? ctx.registry.queuesOf(type).length > 0
          ? ctx.registry.queuesOf(type)
          : [type]
        : ctx.registry.queues();
      const page = await redis(() =>
        listJobs(ctx.redis, ctx.keys, {
          queues,
          ...(statuses.length > 0 ? { statuses: new Set(statuses as JobStatus[]) } : {}),
          timeField: q.time === 'finished' ? 'finished' : 'created',
          ...(since !== undefined ? { since } : {}),
          ...(until !== undefined ? { until } : {}),
          ...(data.length > 0 ? { data } : {}),
          ...(cursor ? { cursor } : {}),
          limit,
          scanMax: SCAN_MAX,
        }),
      );
      return {
        jobs: page.jobs,
        ...(page.cursor ? { cursor: encodeCursor(page.cursor) } : {}),
        scanned: page.scanned,
      };
    },
  );

  app.post<{ Body: { action?: unknown; ids?: unknown } }>(
    '/console/api/jobs/actions',
    async (request) => {
      const { action, ids } = request.body ?? {};
      if (typeof action !== 'string' || !(JOB_ACTIONS as readonly string[]).includes(action))
        throw bad(`action is one of ${JOB_ACTIONS.join(', ')}`);
      if (
        !Array.isArray(ids) ||
        ids.length === 0 ||
        ids.length > MAX_ACTION_IDS ||
        !ids.every((id) => typeof id === 'string' && id.length <= 128)
      )
        throw bad(`ids: 1 to ${MAX_ACTION_IDS} callback ids`);
      const results = await redis(() =>
        actOnJobs(ctx.redis, ctx.keys, action as JobAction, ids as string[]),
      );
      for (const r of results) {
        // A running job cancelled: its worker is told at once (its next renewal notices anyway).
        if (r.workedBy)
          await ctx.node.send(r.workedBy, { type: 'cancel', id: r.id }).catch(() => false);
      }
      const acted = results.filter((r) => r.outcome === 'acted').length;
      request.log.info({ action, acted, asked: ids.length }, 'bulk job action from the console');
      return {
        action,
        acted,
        skipped: results.length - acted,
        results: results.map(({ workedBy: _w, ...r }) => r),
      };
    },
  );
}
