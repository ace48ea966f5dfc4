import type { Static } from '@sinclair/typebox';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { WorkmeshError, isWorkmeshError, validationMessage } from '../../errors/index.js';
import { ajvWithFormats } from '../../jobs/index.js';
import { redisErrorOf } from '../../redis/index.js';
import { checkWorkItem, submissionOf, type Submitted, type Submitter } from '../../submit/index.js';
import { tenantOf } from '../security.js';
import { BATCH_MAX_JOBS, BatchAnswer, BatchBody, BatchShape, ErrorBody } from '../schemas.js';
import { requestTrace, type TraceCarrier } from '../../tracing/index.js';

const DEFAULT_TYPE = 'permute';

/** The answer to one accepted job (POST /api/work and each item of a batch). */
export function acceptedAnswer(type: string, submitted: Submitted) {
  const { id, runAt } = submitted;
  const answer: {
    callback: string;
    status: string;
    type: string;
    statusUrl: string;
    runAt?: string;
    duplicate?: true;
    deduplicated?: true;
  } = {
    callback: id,
    status: submitted.created ? 'accepted' : submitted.status,
    type,
    statusUrl: `/api/status/${id}`,
  };
  // Most jobs run now (runAt 0): no clock read for them.
  if (runAt > 0 && runAt > Date.now()) answer.runAt = new Date(runAt).toISOString();
  if (submitted.deduplicated) answer.deduplicated = true;
  else if (!submitted.created) answer.duplicate = true;
  return answer;
}

/**
 * POST /api/work/batch: up to BATCH_MAX_JOBS jobs in one request, each checked and answered
 * on its own (one bad job never refuses the others). They go through the Submitter together,
 * so the Producer writes them in its per-turn slices: a thousand jobs take ~20 script calls.
 */
export function workBatchRoute(app: FastifyInstance, submitter: Submitter): void {
  const checkShape = ajvWithFormats({ coerceTypes: false }).compile(BatchShape);

  app.post<{ Body: Static<typeof BatchBody> }>(
    '/api/work/batch',
    {
      schema: {
        summary: 'Submit many jobs',
        operationId: 'submitBatch',
        description: `Up to ${BATCH_MAX_JOBS} jobs in one request (\`{"jobs": [...]}\`, each the JSON body of POST /api/work, with its own \`key\` for idempotency). Each job is checked and answered on its own, in order: \`{index, ok: true, callback, status, ...}\` or \`{index, ok: false, error: {code, message}}\`; one bad job never refuses the others. 400 only for a malformed request as a whole (no \`jobs\` array, none, or more than ${BATCH_MAX_JOBS}). The body must fit WORKMESH_MAX_BODY_BYTES and WORKMESH_MAX_JSON_KEYS.`,
        body: BatchBody,
        response: { 200: BatchAnswer, '4xx': ErrorBody, 503: ErrorBody },
      },
      // The schema above is the document's; the request is checked as a whole only, so that
      // each job's own problems are answered in its place.
      validatorCompiler: () => (data: unknown) =>
        checkShape(data)
          ? { value: data }
          : {
              error: new WorkmeshError(
                'WM_ERR_API_BAD_REQUEST',
                validationMessage('body', checkShape.errors ?? []),
              ),
            },
    },
    async (request) => {
      const tenant = tenantOf(request);
      const trace = requestTrace(request.raw.headers);
      const jobs = request.body.jobs as unknown[];
      const results = await Promise.all(
        jobs.map((job, index) => submitItem(submitter, job, index, tenant, request.log, trace)),
      );
      const failed = results.filter((r) => !r.ok).length;
      return { accepted: results.length - failed, failed, results };
    },
  );
}

async function submitItem(
  submitter: Submitter,
  job: unknown,
  index: number,
  tenant: string | undefined,
  log: FastifyBaseLogger,
  trace: TraceCarrier | undefined,
) {
  let retryKey: string | undefined;
  try {
    // Each job is checked against POST /api/work's body, as its own request would be.
    const item = checkWorkItem(job, `jobs[${index}]`);
    if (item.data === undefined)
      throw new WorkmeshError('WM_ERR_API_NO_DATA', `jobs[${index}] has no data`);
    const type = item.type ?? DEFAULT_TYPE;
    const submitted = await submitter.submit(
      submissionOf(item, { type, data: item.data, tenant, trace }),
      (key) => (retryKey = key),
    );
    return { index, ok: true, ...acceptedAnswer(type, submitted) };
  } catch (err) {
    let wm = isWorkmeshError(err) ? err : redisErrorOf(err);
    if (wm === undefined) {
      log.error({ err, index }, 'unexpected error in a batch job');
      wm = new WorkmeshError('WM_ERR_INTERNAL', 'internal error; see the server log');
    }
    const body = wm.toJSON();
    // A job that may have been written (5xx): the key that makes resending it safe.
    const details =
      wm.status >= 500 && retryKey !== undefined
        ? { ...body.details, idempotencyKey: retryKey }
        : body.details;
    return { index, ok: false, error: { ...body, ...(details ? { details } : {}) } };
  }
}
