import { Type, type Static } from '@sinclair/typebox';

/**
 * The job as every reader sees it: one schema behind the Redis reads (queue/), the HTTP
 * answers (GET /api/status, the dead letters, OpenAPI) and the client's types.
 */

import { JOB_STATUSES } from './statuses.js';

/** The job without its input and event log: what GET /api/status answers. */
export const JobStateSchema = Type.Object({
  callback: Type.String(),
  type: Type.String(),
  status: Type.Union(JOB_STATUSES.map((s) => Type.Literal(s))),
  value: Type.Optional(Type.Unknown()),
  error: Type.Optional(Type.String()),
  attempts: Type.Integer(),
  recoveries: Type.Optional(
    Type.Integer({
      description:
        'Attempts taken over before they reported an outcome (worker died, froze or stalled); they do not count against maxAttempts',
    }),
  ),
  maxAttempts: Type.Integer(),
  runAt: Type.Optional(Type.String({ format: 'date-time' })),
  progress: Type.Optional(Type.Unknown({ description: 'Latest progress the handler reported' })),
  log: Type.Optional(
    Type.Array(
      Type.Object({
        attempt: Type.Integer(),
        at: Type.String({ format: 'date-time' }),
        text: Type.String(),
      }),
      {
        description:
          'Lines the handler logged (ctx.addLog), oldest first: the last 100, of every attempt',
      },
    ),
  ),
  history: Type.Optional(
    Type.Array(
      Type.Object({
        attempt: Type.Integer(),
        error: Type.String(),
        at: Type.String({ format: 'date-time' }),
        worker: Type.String(),
      }),
    ),
  ),
  resultTtlSec: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  startedAt: Type.Optional(Type.String({ format: 'date-time' })),
  finishedAt: Type.Optional(Type.String({ format: 'date-time' })),
  acceptedBy: Type.String(),
  workedBy: Type.Optional(Type.String()),
  webhookStatus: Type.Optional(
    Type.Union([Type.Literal('delivered'), Type.Literal('failed')], {
      description: 'With a callbackUrl: the webhook was delivered, or given up',
    }),
  ),
  webhookAttempts: Type.Optional(Type.Integer({ description: 'Webhook delivery attempts so far' })),
  webhookError: Type.Optional(Type.String({ description: 'Why the latest delivery failed' })),
  scheduleId: Type.Optional(
    Type.String({ description: 'The schedule that fired the job (docs/schedules.md)' }),
  ),
  scheduleTick: Type.Optional(
    Type.String({ format: 'date-time', description: 'The tick the schedule fired it for' }),
  ),
});

export type JobState = Static<typeof JobStateSchema>;

/** The fields of a job state that are fields of its hash too (all but its callback id). */
export const JOB_STATE_FIELDS = Object.keys(JobStateSchema.properties).filter(
  (f): f is Exclude<keyof JobState, 'callback'> => f !== 'callback',
);

/** One entry of a job's event log (the SSE stream replays these). */
export interface JobEvent {
  readonly n: number;
  readonly status: string;
  readonly at: number;
  readonly [extra: string]: unknown;
}

/** The whole job: its state, its input and its event log. */
export type JobView = JobState & { readonly data: unknown; readonly events?: readonly JobEvent[] };
