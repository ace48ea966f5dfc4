/**
 * Every setting workmesh reads: its environment variable, its flag, its default and what it
 * means. `--help`, docs/configuration.md and the parser are all derived from this table.
 */
export type OptionKind = 'int' | 'string' | 'url' | 'list' | 'enum' | 'bool';

export interface OptionSpec {
  readonly key: string;
  readonly env: string;
  readonly flag: string;
  readonly kind: OptionKind;
  readonly default: string | number | boolean | readonly string[] | undefined;
  readonly min?: number;
  readonly max?: number;
  readonly values?: readonly string[];
  readonly pattern?: RegExp;
  readonly doc: string;
}

export const options = [
  {
    key: 'redisUrl',
    env: 'REDIS_URL',
    flag: 'redis-url',
    kind: 'url',
    default: undefined,
    doc: 'Redis to use (`redis://[user:pass@]host:port[/db]`, `rediss://` for TLS). Unset: `up` starts a private redis-server; other roles use redis://127.0.0.1:6379.',
  },
  {
    key: 'prefix',
    env: 'WORKMESH_PREFIX',
    flag: 'prefix',
    kind: 'string',
    default: 'wm',
    pattern: /^[A-Za-z0-9_-]{1,32}$/,
    doc: 'Prefix of every Redis key, so several systems can share one Redis.',
  },
  {
    key: 'host',
    env: 'WORKMESH_HOST',
    flag: 'host',
    kind: 'string',
    default: '127.0.0.1',
    doc: 'Address the API and console listen on (containers set 0.0.0.0).',
  },
  {
    key: 'apiPort',
    env: 'WORKMESH_API_PORT',
    flag: 'port',
    kind: 'int',
    default: 5983,
    min: 0,
    max: 65535,
    doc: 'Port of the HTTP API (0 picks a free one).',
  },
  {
    key: 'consolePort',
    env: 'WORKMESH_CONSOLE_PORT',
    flag: 'console-port',
    kind: 'int',
    default: 5984,
    min: 0,
    max: 65535,
    doc: 'Port of the web console (reserved for the system monitor).',
  },
  {
    key: 'resultTtlSec',
    env: 'WORKMESH_RESULT_TTL_SEC',
    flag: 'result-ttl',
    kind: 'int',
    default: 3600,
    min: 1,
    max: 31_536_000,
    doc: 'How long a finished job (its status and value) is kept, unless the job or its type says otherwise.',
  },
  {
    key: 'permuteDelayMs',
    env: 'WORKMESH_PERMUTE_DELAY_MS',
    flag: 'permute-delay',
    kind: 'int',
    default: 3000,
    min: 0,
    max: 3_600_000,
    doc: 'Pause of the built-in `permute` job before it answers (the seed demo pauses 3 s; 0 for benchmarks).',
  },
  {
    key: 'workers',
    env: 'WORKMESH_WORKERS',
    flag: 'workers',
    kind: 'int',
    default: 2,
    min: 0,
    max: 64,
    doc: 'Worker processes that `workmesh up` starts.',
  },
  {
    key: 'concurrency',
    env: 'WORKMESH_CONCURRENCY',
    flag: 'concurrency',
    kind: 'int',
    default: 10,
    min: 1,
    max: 10_000,
    doc: 'Jobs a worker process runs at once, per job type (a type may set its own).',
  },
  {
    key: 'types',
    env: 'WORKMESH_TYPES',
    flag: 'types',
    kind: 'list',
    default: [],
    doc: 'Job types a worker takes (comma-separated). Empty: every type it knows.',
  },
  {
    key: 'jobModules',
    env: 'WORKMESH_JOBS',
    flag: 'jobs',
    kind: 'list',
    default: [],
    doc: 'Modules with your own job types (comma-separated paths), loaded by the API and workers.',
  },
  {
    key: 'claimTimeoutMs',
    env: 'WORKMESH_CLAIM_TIMEOUT_MS',
    flag: 'claim-timeout',
    kind: 'int',
    default: 30_000,
    min: 100,
    max: 86_400_000,
    doc: 'Visibility timeout: a claimed job whose worker stops renewing its claim for this long is taken over by another worker. Running jobs renew every third of it.',
  },
  {
    key: 'blockMs',
    env: 'WORKMESH_BLOCK_MS',
    flag: 'block',
    kind: 'int',
    default: 2000,
    min: 10,
    max: 60_000,
    doc: 'Longest a worker waits in one blocking read for new work before it looks around (reclaims, shutdown).',
  },
  {
    key: 'shutdownGraceMs',
    env: 'WORKMESH_SHUTDOWN_GRACE_MS',
    flag: 'shutdown-grace',
    kind: 'int',
    default: 10_000,
    min: 0,
    max: 3_600_000,
    doc: 'On SIGTERM, how long running jobs may take to finish before the process exits anyway.',
  },
  {
    key: 'maxBodyBytes',
    env: 'WORKMESH_MAX_BODY_BYTES',
    flag: 'max-body',
    kind: 'int',
    default: 1_048_576,
    min: 1024,
    max: 104_857_600,
    doc: 'Largest request body the API accepts.',
  },
  {
    key: 'dataDir',
    env: 'WORKMESH_DATA_DIR',
    flag: 'data-dir',
    kind: 'string',
    default: '.workmesh',
    doc: "Folder of the private redis-server's data (AOF) when `up` starts one.",
  },
  {
    key: 'apiUrl',
    env: 'WORKMESH_API_URL',
    flag: 'api',
    kind: 'url',
    default: 'http://127.0.0.1:5983',
    doc: 'API that `submit` and `status` talk to.',
  },
  {
    key: 'logLevel',
    env: 'WORKMESH_LOG_LEVEL',
    flag: 'log-level',
    kind: 'enum',
    default: 'info',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    doc: 'Log level of the JSON logs on stdout.',
  },
] as const satisfies readonly OptionSpec[];
