import { Type, type Static } from '@sinclair/typebox';
import { validationCode, validationMessage, WorkmeshError } from '../errors/index.js';
import { ajvWithFormats } from '../jobs/index.js';
import type { Submission } from './submitter.js';

/**
 * One job as a client sends it (POST /api/work's JSON body, each item of a batch, the
 * producer API's add()): its checks, before the Submitter's.
 */

export const TypeName = Type.String({
  pattern: '^[a-z][a-z0-9_-]{0,47}$',
  description: 'Job type',
});

export const Priority = Type.Integer({
  minimum: -10,
  maximum: 10,
  description:
    "-10..10, higher runs first, FIFO within one priority (default: the type's, else 0). Out of range: 400 WM_ERR_JOB_BAD_PRIORITY",
});

export const Group = Type.String({
  pattern: '^[A-Za-z0-9_.:@-]{1,64}$',
  description:
    'A group for per-group limits (a tenant, a customer, an API key). Malformed: 400 WM_ERR_JOB_BAD_GROUP',
});

export const DedupeSchema = Type.Object(
  {
    key: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'Jobs with the same key share a window',
    }),
    ttlSec: Type.Integer({
      minimum: 1,
      maximum: 604_800,
      description: 'The window (at most 7 days)',
    }),
    mode: Type.Union([Type.Literal('throttle'), Type.Literal('debounce')], {
      description:
        'throttle: a job with the key within ttlSec of the first is answered with the first; debounce: it replaces the waiting one (its data wins) and the job runs after ttlSec without another',
    }),
  },
  {
    additionalProperties: false,
    description: 'A deduplication window (docs/api.md). Malformed: 400 WM_ERR_JOB_BAD_DEDUPE',
  },
);

export const BackoffSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('exponential'), Type.Literal('fixed')]),
    delayMs: Type.Integer({ minimum: 0, maximum: 86_400_000 }),
    maxDelayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 604_800_000 })),
  },
  { additionalProperties: false },
);

export const IdempotencyKey = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^[\\x21-\\x7e]+$',
  description:
    'Idempotency key: the same key (for the same type) answers the same callback id and does the work once, for as long as the job is kept',
});

export const WorkBody = Type.Object(
  {
    type: Type.Optional(TypeName),
    data: Type.Optional(
      Type.Unknown({ description: "The job's data, checked against its type's input schema" }),
    ),
    resultTtlSec: Type.Optional(Type.Integer({ minimum: 1, maximum: 31_536_000 })),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    backoff: Type.Optional(BackoffSchema),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400_000 })),
    delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 31_536_000_000 })),
    runAt: Type.Optional(Type.String({ format: 'date-time', description: 'Run at (ISO 8601)' })),
    key: Type.Optional(IdempotencyKey),
    callbackUrl: Type.Optional(
      Type.String({
        maxLength: 2048,
        description: 'Webhook: the final status is POSTed here, signed (X-Workmesh-Signature)',
      }),
    ),
    priority: Type.Optional(Priority),
    group: Type.Optional(Group),
    dedupe: Type.Optional(DedupeSchema),
  },
  { additionalProperties: false },
);

/** One job's fields (POST /api/work's body). */
export type WorkItem = Static<typeof WorkBody>;

let compiled: ReturnType<typeof compileItemCheck> | undefined;

function compileItemCheck() {
  return ajvWithFormats({
    removeAdditional: false,
    useDefaults: true,
    allErrors: false,
    coerceTypes: false,
  }).compile<WorkItem>(WorkBody);
}

/**
 * Checks one job against POST /api/work's body, as its own request would be: a
 * WM_ERR_* 400 naming `where` (`jobs[3]`, `add`) otherwise.
 */
export function checkWorkItem(item: unknown, where: string): WorkItem {
  compiled ??= compileItemCheck();
  if (!compiled(item)) {
    const errors = compiled.errors ?? [];
    throw new WorkmeshError(validationCode(errors), validationMessage(where, errors));
  }
  return item;
}

/** What the caller fixes of a Submission besides a work item's fields. */
export type SubmissionBase = Pick<Submission, 'type' | 'data' | 'tenant' | 'trace'>;

/** Where a field the work item leaves out may come from (POST /api/work's query string). */
export type SubmissionFallback = Pick<Submission, 'key' | 'resultTtlSec' | 'priority' | 'group'>;

/**
 * A checked work item as a Submission (the API, batch, library): its job options, the caller's
 * type, data, tenant and trace, and the fallback's fields where the item has none. One object
 * literal: spreading the options into another object and adding fields cost about 8 µs a
 * request on Node 20 (V8's slow path for properties added after a spread).
 */
export function submissionOf(
  item: WorkItem,
  base: SubmissionBase,
  fallback?: SubmissionFallback,
): Submission {
  return {
    type: base.type,
    data: base.data,
    tenant: base.tenant,
    trace: base.trace,
    key: item.key ?? fallback?.key,
    runAt: item.runAt,
    delayMs: item.delayMs,
    resultTtlSec: item.resultTtlSec ?? fallback?.resultTtlSec,
    maxAttempts: item.maxAttempts,
    backoff: item.backoff,
    timeoutMs: item.timeoutMs,
    callbackUrl: item.callbackUrl,
    priority: item.priority ?? fallback?.priority,
    group: item.group ?? fallback?.group,
    dedupe: item.dedupe,
  };
}
