/**
 * Every error workmesh reports, with a stable code, the HTTP status it maps to and whether
 * the same request may succeed if retried. docs/errors.md is generated from this table
 * (npm run docs:gen) and a test keeps the two in step.
 */
export interface ErrorSpec {
  readonly status: number;
  readonly retryable: boolean;
  readonly description: string;
}

export const catalogue = {
  WM_ERR_API_NO_DATA: {
    status: 400,
    retryable: false,
    description: 'POST /api/work got neither `?data=` nor a JSON body with `data`.',
  },
  WM_ERR_API_AMBIGUOUS_DATA: {
    status: 400,
    retryable: false,
    description: 'Work was given both in the query string and in the body; send one.',
  },
  WM_ERR_API_BAD_JSON: {
    status: 400,
    retryable: false,
    description: 'The request body is not valid JSON.',
  },
  WM_ERR_API_BAD_REQUEST: {
    status: 400,
    retryable: false,
    description: 'A parameter or body field does not match the route schema.',
  },
  WM_ERR_API_BAD_ID: {
    status: 400,
    retryable: false,
    description: 'The callback id is not of the form `<type>.<random>`.',
  },
  WM_ERR_API_ROUTE_NOT_FOUND: {
    status: 404,
    retryable: false,
    description: 'No such route or method.',
  },
  WM_ERR_API_BODY_TOO_LARGE: {
    status: 413,
    retryable: false,
    description: 'The request body is larger than `WORKMESH_MAX_BODY_BYTES`.',
  },
  WM_ERR_API_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    retryable: false,
    description: 'The body is not `application/json`.',
  },
  WM_ERR_AUTH_REQUIRED: {
    status: 401,
    retryable: false,
    description:
      'The API has tokens and the request has none: send `Authorization: Bearer <token>`.',
  },
  WM_ERR_AUTH_INVALID: {
    status: 401,
    retryable: false,
    description: 'The bearer token is not one of `WORKMESH_API_TOKENS`.',
  },
  WM_ERR_AUTH_FORBIDDEN: {
    status: 403,
    retryable: false,
    description: "The token's scopes do not include the one this route needs (docs/security.md).",
  },
  WM_ERR_API_RATE_LIMITED: {
    status: 429,
    retryable: true,
    description: 'Too many requests from this token or address; wait for `Retry-After` seconds.',
  },
  WM_ERR_API_BODY_TOO_COMPLEX: {
    status: 400,
    retryable: false,
    description:
      'The JSON body nests deeper than `WORKMESH_MAX_JSON_DEPTH` or has more keys and items than `WORKMESH_MAX_JSON_KEYS`.',
  },
  WM_ERR_API_IDEMPOTENCY_MISMATCH: {
    status: 422,
    retryable: false,
    description:
      'The `Idempotency-Key` was used before for a job of another type or with other data; a key names one request. Send the same request again, or use a new key.',
  },
  WM_ERR_JOB_NOT_FOUND: {
    status: 404,
    retryable: false,
    description: 'No job has this callback id: it never existed or its result TTL has passed.',
  },
  WM_ERR_JOB_WAIT_TIMEOUT: {
    status: 504,
    retryable: true,
    description:
      "The producer API's `waitFor()` reached its timeout before the job was final; `details.state` holds its last state. The job goes on.",
  },
  WM_ERR_JOB_UNKNOWN_TYPE: {
    status: 400,
    retryable: false,
    description: 'The job type is not one this API knows (see GET /api/types).',
  },
  WM_ERR_JOB_INVALID_DATA: {
    status: 400,
    retryable: false,
    description: "The job's data does not match its type's input schema.",
  },
  WM_ERR_JOB_BAD_PRIORITY: {
    status: 400,
    retryable: false,
    description: "The job's `priority` is not an integer from -10 to 10.",
  },
  WM_ERR_JOB_BAD_GROUP: {
    status: 400,
    retryable: false,
    description:
      "The job's `group` does not match `^[A-Za-z0-9_.:@-]{1,64}$` (1 to 64 letters, digits and `_.:@-`).",
  },
  WM_ERR_JOB_BAD_DEDUPE: {
    status: 400,
    retryable: false,
    description:
      "The job's `dedupe` is malformed: a `key` empty or over 256 characters, a `ttlSec` not an integer from 1 to 604800 (7 days), a `mode` other than `throttle` or `debounce`, data without a field its type's dedupe key is built from, or an `Idempotency-Key` of your own beside it.",
  },
  WM_ERR_WEBHOOK_NOT_ALLOWED: {
    status: 400,
    retryable: false,
    description:
      'The `callbackUrl` is not http(s), or its host is not in `WORKMESH_WEBHOOK_ALLOW` (empty: webhooks are off).',
  },
  WM_ERR_JOB_ITEM_REFUSED: {
    status: 400,
    retryable: false,
    description:
      'Redis refused one item of a batched call for its input (e.g. `ctx.progress` with a value whose JSON Redis cannot decode: a lone surrogate such as `"\\ud800"`, or nesting over 1000 deep); only that call fails, never the other jobs of its batch.',
  },
  WM_ERR_QUEUE_BAD_LIMIT: {
    status: 400,
    retryable: false,
    description:
      'A queue limit is out of range: `max` and `concurrency` are integers 1..1000000, `perMs` an integer 1..86400000 (one day); `null` removes a limit (docs/queues.md). Nothing was changed.',
  },
  WM_ERR_QUEUE_UNKNOWN_TYPE: {
    status: 404,
    retryable: false,
    description:
      'No job type of that name is known to this API (GET /api/types), so it has no queue to show, pause or limit.',
  },
  WM_ERR_JOB_FINAL: {
    status: 409,
    retryable: false,
    description: 'The job is done, failed or cancelled already; it cannot be cancelled.',
  },
  WM_ERR_FLOW_INVALID: {
    status: 400,
    retryable: false,
    description:
      'A flow or chain is malformed: a node is not an object with a `type`, `children` is not an array, a failure policy is not `fail`, `ignore` or `continue`, a node appears twice (a cycle), or a chain has no step (docs/workflows.md). Nothing is stored.',
  },
  WM_ERR_FLOW_TOO_DEEP: {
    status: 400,
    retryable: false,
    description:
      'A flow is nested deeper than its limit (12 levels, the root being level 1), or a chain has more than 100 steps. Nothing is stored.',
  },
  WM_ERR_FLOW_TOO_LARGE: {
    status: 400,
    retryable: false,
    description: 'A flow has more nodes than its limit (5,000). Nothing is stored.',
  },
  WM_ERR_FLOW_NOT_FOUND: {
    status: 404,
    retryable: false,
    description:
      'No flow has this root id: it never existed, its root has expired, or the id names a job that is not the root of a flow.',
  },
  WM_ERR_BATCH_NOT_FOUND: {
    status: 404,
    retryable: false,
    description: "No batch has this id (its callback job's id): never opened, or expired.",
  },
  WM_ERR_BATCH_CLOSED: {
    status: 409,
    retryable: false,
    description: 'The batch is closed: no more jobs can be added to it. Nothing of the add is run.',
  },
  WM_ERR_JOBS_BAD_CURSOR: {
    status: 400,
    retryable: false,
    description:
      'GET /api/jobs: the `cursor` is not one a previous page answered. Start again without it.',
  },
  WM_ERR_JOBS_BAD_TIME: {
    status: 400,
    retryable: false,
    description:
      'GET /api/jobs: `since` or `until` is not an ISO 8601 time or milliseconds since the epoch, or `since` is after `until`.',
  },
  WM_ERR_DEAD_NOT_FOUND: {
    status: 404,
    retryable: false,
    description:
      'No dead letter has this callback id (never failed, retried already, purged, or expired).',
  },
  WM_ERR_JOB_DEFINITION_INVALID: {
    status: 500,
    retryable: false,
    description: 'A job module (`--jobs`) exports something that is not a valid job definition.',
  },
  WM_ERR_PORT_CONFIG_INVALID: {
    status: 500,
    retryable: false,
    description:
      'The ports file (`WORKMESH_PORTS`) is not valid JSON or does not match its schema (docs/ports.md).',
  },
  WM_ERR_JOB_HANDLER_FAILED: {
    status: 500,
    retryable: true,
    description: "A job's handler threw; the message is kept in the job's `error`.",
  },
  WM_ERR_REDIS_UNAVAILABLE: {
    status: 503,
    retryable: true,
    description:
      'Redis did not answer in time, or is failing over. Retry after Retry-After; a write may still have landed, so resend it with the Idempotency-Key of this answer and it is never done twice.',
  },
  WM_ERR_REDIS_FULL: {
    status: 503,
    retryable: true,
    description:
      'Redis is out of memory (`maxmemory` reached with `noeviction`); nothing was written. Retry later; operators: docs/operations.md.',
  },
  WM_ERR_REDIS_AUTH: {
    status: 500,
    retryable: false,
    description:
      'Redis refused the credentials of `REDIS_URL`, or its ACL forbids a command or key workmesh needs.',
  },
  WM_ERR_NOT_REGISTERED: {
    status: 503,
    retryable: true,
    description:
      'GET /readyz: Redis answers but this process is not a registered cluster member (not yet joined, or its heartbeats are failing). Route no traffic to it.',
  },
  WM_ERR_REDIS_SERVER_MISSING: {
    status: 500,
    retryable: false,
    description: '`redis-server` is not installed and could not be installed without a prompt.',
  },
  WM_ERR_REDIS_SERVER_START: {
    status: 500,
    retryable: false,
    description: 'The private `redis-server` did not start (its log says why).',
  },
  WM_ERR_CONFIG_INSECURE: {
    status: 500,
    retryable: false,
    description:
      'A server would listen beyond loopback without tokens; set tokens or pass `--insecure` (docs/security.md).',
  },
  WM_ERR_CONFIG_INVALID: {
    status: 500,
    retryable: false,
    description: 'A setting (environment variable or flag) has a bad value.',
  },
  WM_ERR_CLI_USAGE: {
    status: 400,
    retryable: false,
    description: 'A command was called with unknown or missing arguments.',
  },
  WM_ERR_PORT_IN_USE: {
    status: 500,
    retryable: false,
    description: 'The port a server should listen on is taken by another process.',
  },
  WM_ERR_CLIENT_HTTP: {
    status: 502,
    retryable: true,
    description: 'The client could not reach the API or got an answer it does not understand.',
  },
  WM_ERR_CLIENT_TIMEOUT: {
    status: 504,
    retryable: true,
    description:
      "The client's call (its retries included) or wait() did not finish within its `timeoutMs`.",
  },
  WM_ERR_CLIENT_ABORTED: {
    status: 499,
    retryable: false,
    description: "The client's call was aborted by the caller's AbortSignal.",
  },
  WM_ERR_CLUSTER_NO_NODE: {
    status: 404,
    retryable: true,
    description: 'No live node has this id or role.',
  },
  WM_ERR_CLUSTER_UNREACHABLE: {
    status: 503,
    retryable: true,
    description: 'The node is registered but nothing listens on its channel (it just died?).',
  },
  WM_ERR_CLUSTER_TIMEOUT: {
    status: 504,
    retryable: true,
    description: 'A call to another node got no reply within its timeout.',
  },
  WM_ERR_CLUSTER_UNKNOWN_FUNCTION: {
    status: 404,
    retryable: false,
    description: 'The called node has no function of that name.',
  },
  WM_ERR_CLUSTER_CALL_FAILED: {
    status: 500,
    retryable: false,
    description: 'The called function threw on the remote node; the message says what it threw.',
  },
  WM_ERR_CONSOLE_NO_TOKEN: {
    status: 500,
    retryable: false,
    description:
      'The web console would listen beyond loopback without `WORKMESH_CONSOLE_TOKEN`; set a token or listen on 127.0.0.1.',
  },
  WM_ERR_CONSOLE_UNAUTHORIZED: {
    status: 401,
    retryable: false,
    description:
      'A console request without a valid session cookie or `Authorization: Bearer <token>`; log in at /login.',
  },
  WM_ERR_SCHEDULE_INVALID: {
    status: 400,
    retryable: false,
    description:
      'A schedule is malformed: a bad id, neither or both of `cron` and `everyMs`, `endAt` before `startAt`, a bad `limit` or policy (docs/schedules.md).',
  },
  WM_ERR_SCHEDULE_BAD_CRON: {
    status: 400,
    retryable: false,
    description:
      "A schedule's `cron` is not a valid 5-field (minute first) or 6-field (second first) cron expression.",
  },
  WM_ERR_SCHEDULE_BAD_TIMEZONE: {
    status: 400,
    retryable: false,
    description: "A schedule's `tz` is not an IANA time zone this runtime knows.",
  },
  WM_ERR_SCHEDULE_BAD_INTERVAL: {
    status: 400,
    retryable: false,
    description: "A schedule's `everyMs` is under the minimum (1000 ms), or not an integer.",
  },
  WM_ERR_SCHEDULE_NOT_FOUND: {
    status: 404,
    retryable: false,
    description: 'No schedule with this id.',
  },
  WM_ERR_INTERNAL: {
    status: 500,
    retryable: true,
    description: 'An unexpected error; details are in the server log, never in the response.',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof catalogue;
