import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ownedBy } from '../../auth/index.js';
import { WorkmeshError } from '../../errors/index.js';
import { JOB_STATUSES, JobStateSchema, type JobStatus } from '../../job-schema/index.js';
import {
  JOB_ACTIONS,
  MAX_ACTION_IDS,
  actOnJobs,
  decodeCursor,
  encodeCursor,
  listJobs,
  type DataFilter,
} from '../../queue/index.js';
import { withRedis } from '../../http/index.js';
import type { ApiContext } from '../context.js';
import { ErrorBody, TypeName } from '../schemas.js';

/** Most jobs on one page, and most index entries one request examines. */
export const JOBS_MAX_LIMIT = 500;
export const JOBS_SCAN_MAX = 5000;

const STATUS_LIST = `^(${JOB_STATUSES.join('|')})(,(${JOB_STATUSES.join('|')}))*$`;
const TIME = Type.String({
  maxLength: 40,
  description: 'ISO 8601 time or milliseconds since the epoch; inclusive',
});

const JobsQuery = Type.Object(
  {
    type: Type.Optional(TypeName),
    status: Type.Optional(
      Type.String({
        pattern: STATUS_LIST,
        description: `One status or several, comma-separated: ${JOB_STATUSES.join(', ')}`,
      }),
    ),
    time: Type.Optional(
      Type.Union([Type.Literal('created'), Type.Literal('finished')], {
        description:
          'What `since` and `until` bound: the creation time (default) or the finish time (jobs not final are left out)',
      }),
    ),
    since: Type.Optional(TIME),
    until: Type.Optional(TIME),
    tenant: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9_.-]{1,64}$',
        description:
          "Only this tenant's jobs (an admin token). A token without admin always sees its own tenant's jobs only",
      }),
    ),
    cursor: Type.Optional(
      Type.String({ maxLength: 200, description: "The previous page's `cursor`" }),
    ),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: JOBS_MAX_LIMIT, default: 50, description: 'Page size' }),
    ),
  },
  {
    additionalProperties: false,
    // `data.<path>=<value>`: the job's data field at that path equals the value.
    patternProperties: {
      '^data\\.[A-Za-z0-9_-]{1,64}(\\.[A-Za-z0-9_-]{1,64}){0,3}$': Type.String(),
    },
    maxProperties: 16,
  },
);
type JobsQueryInput = Static<typeof JobsQuery> & Record<string, string | undefined>;

const JobsPageSchema = Type.Object({
  jobs: Type.Array(JobStateSchema),
  cursor: Type.Optional(
    Type.String({ description: 'Pass as `cursor` for the next page; absent on the last page' }),
  ),
  scanned: Type.Integer({ description: 'Index entries examined for this page' }),
});

const ActionBody = Type.Object(
  {
    action: Type.Union(
      JOB_ACTIONS.map((a) => Type.Literal(a)),
      {
        description:
          '`retry`: a failed job (dead letter) back to its queue with fresh attempts; `cancel`: a queued or running job; `delete`: a final job removed for good',
      },
    ),
    ids: Type.Array(Type.String({ maxLength: 128 }), { minItems: 1, maxItems: MAX_ACTION_IDS }),
  },
  { additionalProperties: false },
);

const ActionAnswer = Type.Object({
  action: Type.String(),
  acted: Type.Integer(),
  skipped: Type.Integer(),
  results: Type.Array(
    Type.Object({
      id: Type.String(),
      outcome: Type.Union([Type.Literal('acted'), Type.Literal('skipped')]),
      reason: Type.Optional(Type.String()),
    }),
  ),
});

function parseTime(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = /^\d{1,15}$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) {
    throw new WorkmeshError('WM_ERR_JOBS_BAD_TIME', `${name} is not a time: ${text.slice(0, 40)}`);
  }
  return ms;
}

/** The tenant a listing is limited to: a non-admin token's own, or the one an admin names. */
function tenantFilter(request: FastifyRequest, asked: string | undefined): string | undefined {
  const principal = request.principal;
  if (!principal || principal.scopes.has('admin')) return asked;
  if (asked !== undefined && asked !== principal.tenant) {
    throw new WorkmeshError(
      'WM_ERR_AUTH_FORBIDDEN',
      "only an admin token lists another tenant's jobs",
    );
  }
  return principal.tenant;
}

/** GET /api/jobs (list and search) and POST /api/jobs/actions (bulk retry, cancel, delete). */
export function jobsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const guard = <T>(fn: () => Promise<T>): Promise<T> =>
    withRedis(ctx.redis, ctx.redisTimeoutMs, fn);

  app.get<{ Querystring: JobsQueryInput }>(
    '/api/jobs',
    {
      schema: {
        summary: 'List and search jobs',
        operationId: 'listJobs',
        description: `Jobs newest first (by creation time, then id; failed jobs listed by finish time come from the dead letters, newest failure first), filtered by type, status, time, tenant and data fields (\`data.<path>=<value>\`, e.g. \`data.user.id=42\`: a check of each job read, not an index). Pages of at most ${JOBS_MAX_LIMIT}; a request examines at most ${JOBS_SCAN_MAX} index entries, so a selective filter may answer a short page with a \`cursor\`: follow it until none is answered. Jobs stay listed until their record expires. See docs/api.md.`,
        querystring: JobsQuery,
        response: { 200: JobsPageSchema, '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const q = request.query;
      const since = parseTime(q.since, 'since');
      const until = parseTime(q.until, 'until');
      if (since !== undefined && until !== undefined && since > until) {
        throw new WorkmeshError('WM_ERR_JOBS_BAD_TIME', 'since is after until');
      }
      const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      if (q.cursor !== undefined && cursor === undefined) {
        throw new WorkmeshError('WM_ERR_JOBS_BAD_CURSOR', 'not a cursor of GET /api/jobs');
      }
      const data: DataFilter[] = Object.entries(q)
        .filter(([k, v]) => k.startsWith('data.') && typeof v === 'string')
        .map(([k, v]) => ({ path: k.slice(5).split('.'), value: String(v) }));
      const tenant = tenantFilter(request, q.tenant);
      // A type this API no longer knows may still have jobs listed: any well-formed name goes.
      const queues =
        q.type === undefined
          ? ctx.registry.queues()
          : ctx.registry.queuesOf(q.type).length > 0
            ? ctx.registry.queuesOf(q.type)
            : [q.type];
      const page = await guard(() =>
        listJobs(ctx.redis, ctx.keys, {
          queues,
          ...(q.status ? { statuses: new Set(q.status.split(',') as JobStatus[]) } : {}),
          timeField: q.time ?? 'created',
          ...(since !== undefined ? { since } : {}),
          ...(until !== undefined ? { until } : {}),
          ...(tenant !== undefined ? { idFilter: (id: string) => ownedBy(id, tenant) } : {}),
          ...(data.length > 0 ? { data } : {}),
          ...(cursor ? { cursor } : {}),
          limit: q.limit ?? 50,
          scanMax: JOBS_SCAN_MAX,
        }),
      );
      return {
        jobs: page.jobs,
        ...(page.cursor ? { cursor: encodeCursor(page.cursor) } : {}),
        scanned: page.scanned,
      };
    },
  );

  app.post<{ Body: Static<typeof ActionBody> }>(
    '/api/jobs/actions',
    {
      schema: {
        summary: 'Act on jobs in bulk',
        operationId: 'actOnJobs',
        description: `Retry, cancel or delete up to ${MAX_ACTION_IDS} jobs by id. Each id is answered on its own: \`acted\`, or \`skipped\` with the reason (not found, not failed, final already, not final); one id's problem never fails the others.`,
        body: ActionBody,
        response: { 200: ActionAnswer, '4xx': ErrorBody, 503: ErrorBody },
      },
    },
    async (request) => {
      const { action, ids } = request.body;
      const results = await guard(() => actOnJobs(ctx.redis, ctx.keys, action, ids));
      for (const r of results) {
        // A running job cancelled: tell its worker at once (its next renewal notices anyway).
        if (r.workedBy)
          await ctx.notify?.(r.workedBy, { type: 'cancel', id: r.id }).catch(() => false);
      }
      const acted = results.filter((r) => r.outcome === 'acted').length;
      return {
        action,
        acted,
        skipped: results.length - acted,
        results: results.map(({ workedBy: _w, ...r }) => r),
      };
    },
  );
}
