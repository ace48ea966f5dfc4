import { type TSchema, Type } from '@sinclair/typebox';
import {
  BackoffSchema,
  DedupeSchema,
  Group,
  IdempotencyKey,
  Priority,
  TypeName,
  WorkBody,
} from '../submit/index.js';

// The body of one job lives with the submitter (the producer API checks it too).
export { BackoffSchema, DedupeSchema, Group, IdempotencyKey, Priority, TypeName, WorkBody };

/** Route schemas: Fastify validates with them and @fastify/swagger turns them into OpenAPI. */

export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String({ description: 'Stable code, see docs/errors.md' }),
    message: Type.String(),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  }),
});

export const WorkQuery = Type.Object(
  {
    data: Type.Optional(
      Type.String({ description: "The seed's form: the job's data as a string" }),
    ),
    type: Type.Optional(TypeName),
    resultTtlSec: Type.Optional(Type.Integer({ minimum: 1, maximum: 31_536_000 })),
    priority: Type.Optional(Priority),
    group: Type.Optional(Group),
  },
  { additionalProperties: false },
);

export const WorkHeaders = Type.Object({
  'idempotency-key': Type.Optional(IdempotencyKey),
});

export const Accepted = Type.Object({
  callback: Type.String({ description: 'Callback id: GET /api/status/<callback>' }),
  status: Type.String({ description: '`accepted`, or the current status of a duplicate' }),
  type: Type.String(),
  statusUrl: Type.String(),
  runAt: Type.Optional(Type.String({ format: 'date-time' })),
  duplicate: Type.Optional(
    Type.Boolean({ description: 'true: the idempotency key named an existing job' }),
  ),
  deduplicated: Type.Optional(
    Type.Boolean({
      description:
        "true: the job's dedupe window answered the window's job (throttle) or gave the waiting one this data and due time (debounce)",
    }),
  ),
});

/** Most jobs in one POST /api/work/batch. */
export const BATCH_MAX_JOBS = 1000;

export const BatchBody = Type.Object(
  {
    jobs: Type.Array(WorkBody, {
      minItems: 1,
      maxItems: BATCH_MAX_JOBS,
      description: `1 to ${BATCH_MAX_JOBS} jobs, each the JSON body of POST /api/work; each is checked and answered on its own`,
    }),
  },
  { additionalProperties: false },
);

/** What the batch route validates as a whole: each job is checked on its own afterwards. */
export const BatchShape = Type.Object(
  { jobs: Type.Array(Type.Unknown(), { minItems: 1, maxItems: BATCH_MAX_JOBS }) },
  { additionalProperties: false },
);

export const BatchItemResult = Type.Object({
  index: Type.Integer({ description: "The job's place in `jobs`, from 0" }),
  ok: Type.Boolean(),
  callback: Type.Optional(Type.String()),
  status: Type.Optional(Type.String()),
  type: Type.Optional(Type.String()),
  statusUrl: Type.Optional(Type.String()),
  runAt: Type.Optional(Type.String({ format: 'date-time' })),
  duplicate: Type.Optional(Type.Boolean()),
  deduplicated: Type.Optional(Type.Boolean()),
  error: Type.Optional(ErrorBody.properties.error),
});

export const BatchAnswer = Type.Object({
  accepted: Type.Integer({ description: 'Jobs answered ok (new, duplicate or deduplicated)' }),
  failed: Type.Integer({ description: 'Jobs answered with an error' }),
  results: Type.Array(BatchItemResult, { description: 'One per job, in order' }),
});

export const Cancelled = Type.Object({
  callback: Type.String(),
  status: Type.Literal('cancelled'),
  wasRunning: Type.Boolean(),
});

export const DeadQuery = Type.Object(
  {
    type: Type.Optional(TypeName),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  },
  { additionalProperties: false },
);

export const TypeQuery = Type.Object(
  { type: Type.Optional(TypeName) },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: Type.String({ maxLength: 128 }) });

export const TypesBody = Type.Object({
  types: Type.Array(
    Type.Object({
      name: Type.String(),
      description: Type.String(),
      input: Type.Unknown(),
      example: Type.Optional(Type.Unknown()),
    }),
  ),
});

export const ClusterBody = Type.Object({
  nodes: Type.Array(
    Type.Object({
      id: Type.String(),
      role: Type.String(),
      host: Type.String(),
      pid: Type.Integer(),
      version: Type.String(),
      startedAt: Type.Number({ description: 'ms since the epoch' }),
      heartbeatAgeMs: Type.Number(),
      ttlMs: Type.Number(),
      offers: Type.Object({ types: Type.Array(Type.String()), concurrency: Type.Integer() }),
      figures: Type.Object({
        inFlight: Type.Integer(),
        processed: Type.Integer(),
        failed: Type.Integer(),
        heapUsedBytes: Type.Number(),
        rssBytes: Type.Number(),
        cpuPercent: Type.Number(),
        eventLoopLagMs: Type.Number(),
      }),
      meta: Type.Optional(Type.Record(Type.String(), Type.String())),
    }),
  ),
});

export const MonitorBody = Type.Object({
  at: Type.Number({ description: 'When it was read, ms since the epoch' }),
  nodes: ClusterBody.properties.nodes,
  queues: Type.Array(
    Type.Object({
      queue: Type.String(),
      waiting: Type.Integer({ description: 'Not yet delivered to a worker' }),
      active: Type.Integer({ description: 'Delivered, not yet acknowledged' }),
      delayed: Type.Integer({ description: 'Not due yet (backoff, delayMs, runAt)' }),
      dead: Type.Integer({ description: 'Dead letters' }),
      accepted: Type.Integer({ description: 'Counter since the queue was created' }),
      done: Type.Integer({ description: 'Counter since the queue was created' }),
      failed: Type.Integer({ description: 'Counter since the queue was created' }),
    }),
  ),
});

const LimitCount = (what: string) =>
  Type.Integer({ description: `${what}; an integer 1..1000000 (0 is refused: pause instead)` });

export const RateLimitSchema = Type.Object(
  {
    max: LimitCount('Starts at most per window'),
    perMs: Type.Integer({ description: 'The sliding window, ms; 1..86400000 (one day)' }),
  },
  { additionalProperties: false },
);

/** A type's limits as GET /api/queues shows them: an absent field is no limit. */
export const QueueLimitsSchema = Type.Object({
  rate: Type.Optional(RateLimitSchema),
  concurrency: Type.Optional(LimitCount('Jobs of the type running at once, cluster-wide')),
  groupRate: Type.Optional(RateLimitSchema),
  groupConcurrency: Type.Optional(LimitCount('Jobs of each group running at once')),
});

const orNull = <T extends TSchema>(schema: T) => Type.Optional(Type.Union([schema, Type.Null()]));

/** PUT /api/queues/<type>/limits: a value sets a limit, `null` removes it, absent keeps it. */
export const LimitsChangeBody = Type.Object(
  {
    rate: orNull(RateLimitSchema),
    concurrency: orNull(LimitCount('Jobs of the type running at once, cluster-wide')),
    groupRate: orNull(RateLimitSchema),
    groupConcurrency: orNull(LimitCount('Jobs of each group running at once')),
  },
  { additionalProperties: false },
);

export const QueueStateSchema = Type.Object({
  type: Type.String(),
  partitions: Type.Integer(),
  paused: Type.Boolean(),
  waiting: Type.Object({
    total: Type.Integer({ description: 'Accepted, not started (not delayed)' }),
    byPriority: Type.Record(Type.String(), Type.Integer(), {
      description: 'Priority (-10..10) -> waiting jobs; priorities with none are left out',
    }),
  }),
  active: Type.Integer({ description: 'Delivered to a worker, not finished' }),
  delayed: Type.Integer({ description: 'Not due yet (backoff, delayMs, runAt)' }),
  dead: Type.Integer({ description: 'Dead letters' }),
  limits: QueueLimitsSchema,
  heldUntil: Type.Optional(
    Type.String({
      format: 'date-time',
      description: "A handler's retryAfterMs holds the type back until then",
    }),
  ),
  heldBack: Type.Object(
    {
      byRate: Type.Integer(),
      byConcurrency: Type.Integer(),
      byPause: Type.Integer(),
      groupsParked: Type.Integer(),
    },
    { description: 'Waiting jobs each control holds back now (each counted once)' },
  ),
});

export const QueueTypeParams = Type.Object({ type: Type.String({ maxLength: 64 }) });
