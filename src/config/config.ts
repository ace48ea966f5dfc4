import { WorkmeshError } from '../errors/index.js';
import { parseRedisUrl, redactRedisUrl } from '../redis/index.js';
import { options, type OptionSpec } from './options.js';

type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  readonly redisUrl: string | undefined;
  readonly prefix: string;
  readonly host: string;
  readonly apiPort: number;
  readonly consolePort: number;
  readonly apiProcs: number;
  readonly metricsPort: number | undefined;
  readonly consoleToken: string | undefined;
  readonly sysmonIntervalMs: number;
  readonly resultTtlSec: number;
  readonly deadTtlSec: number;
  readonly maxAttempts: number;
  readonly maxRecoveries: number;
  readonly backoffMs: number;
  readonly permuteDelayMs: number;
  readonly workers: number;
  readonly concurrency: number;
  readonly types: readonly string[];
  readonly jobModules: readonly string[];
  readonly portFiles: readonly string[];
  readonly claimTimeoutMs: number;
  readonly blockMs: number;
  readonly shutdownGraceMs: number;
  readonly heartbeatMs: number;
  readonly nodeTtlMs: number;
  readonly clusterSecret: string | undefined;
  readonly callTimeoutMs: number;
  readonly webhookAllow: readonly string[];
  readonly webhookSecret: string | undefined;
  readonly webhookRetryMs: number;
  readonly apiTokens: readonly string[];
  readonly insecure: boolean;
  readonly corsOrigins: readonly string[];
  readonly rateLimitPerMin: number;
  readonly maxJsonDepth: number;
  readonly maxJsonKeys: number;
  readonly maxBodyBytes: number;
  readonly dataDir: string;
  readonly apiUrl: string;
  readonly apiToken: string | undefined;
  readonly historyFile: string | undefined;
  readonly logLevel: LogLevel;
}

/** Values given as flags, keyed by flag name (`port`, `concurrency`, ...), as strings. */
export type FlagValues = Readonly<Record<string, string | undefined>>;

function invalid(spec: OptionSpec, raw: string, why: string): WorkmeshError {
  return new WorkmeshError(
    'WM_ERR_CONFIG_INVALID',
    `${spec.env} (--${spec.flag}) = ${JSON.stringify(raw)}: ${why}`,
    { details: { env: spec.env, flag: spec.flag } },
  );
}

function parseValue(spec: OptionSpec, raw: string): unknown {
  switch (spec.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) throw invalid(spec, raw, 'expected a whole number');
      const n = Number(raw);
      if (spec.min !== undefined && n < spec.min) throw invalid(spec, raw, `at least ${spec.min}`);
      if (spec.max !== undefined && n > spec.max) throw invalid(spec, raw, `at most ${spec.max}`);
      return n;
    }
    case 'url': {
      if (spec.key === 'redisUrl') {
        try {
          parseRedisUrl(raw);
        } catch (err) {
          throw invalid(spec, redactRedisUrl(raw), (err as Error).message);
        }
        return raw;
      }
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw invalid(spec, raw, 'not a URL');
      }
      if (!['http:', 'https:'].includes(url.protocol)) {
        throw invalid(spec, raw, 'scheme must be http: or https:');
      }
      return raw;
    }
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    case 'enum':
      if (!spec.values?.includes(raw)) {
        throw invalid(spec, raw, `one of ${spec.values?.join(', ') ?? ''}`);
      }
      return raw;
    case 'bool':
      if (!['1', '0', 'true', 'false', 'yes', 'no'].includes(raw)) {
        throw invalid(spec, raw, 'true or false');
      }
      return ['1', 'true', 'yes'].includes(raw);
    case 'string':
      if (spec.pattern && !spec.pattern.test(raw)) {
        throw invalid(spec, raw, `must match ${String(spec.pattern)}`);
      }
      if (raw === '') throw invalid(spec, raw, 'must not be empty');
      return raw;
  }
}

/** An address this machine's clients reach a server bound to host on. */
function loopbackOf(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Builds the one config object of a process: flags win over the environment, the
 * environment over defaults. Throws WM_ERR_CONFIG_INVALID naming the setting at fault.
 * Nothing else in workmesh reads process.env.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  flags: FlagValues = {},
): Config {
  const out: Record<string, unknown> = {};
  for (const spec of options as readonly OptionSpec[]) {
    const raw = flags[spec.flag] ?? env[spec.env];
    out[spec.key] = raw === undefined || raw === '' ? spec.default : parseValue(spec, raw);
  }
  // The CLI's API is the one this machine's settings describe, unless told otherwise (port 0,
  // "any free one", tells nothing: the default port then).
  if (out.apiUrl === undefined)
    out.apiUrl = `http://${loopbackOf(out.host as string)}:${(out.apiPort as number) || 5983}`;
  for (const key of [
    'types',
    'jobModules',
    'portFiles',
    'webhookAllow',
    'apiTokens',
    'corsOrigins',
  ] as const)
    out[key] = Object.freeze(out[key]);
  if ((out.nodeTtlMs as number) < 2 * (out.heartbeatMs as number)) {
    throw new WorkmeshError(
      'WM_ERR_CONFIG_INVALID',
      `WORKMESH_NODE_TTL_MS (${String(out.nodeTtlMs)}) must be at least twice WORKMESH_HEARTBEAT_MS (${String(out.heartbeatMs)}), or healthy nodes would be declared gone`,
    );
  }
  return Object.freeze(out) as unknown as Config;
}

/** Environment variables that reproduce this config in a child process. */
export function configToEnv(config: Config): Record<string, string> {
  const env: Record<string, string> = {};
  for (const spec of options as readonly OptionSpec[]) {
    const value = (config as unknown as Record<string, unknown>)[spec.key];
    if (value === undefined) continue;
    if (Array.isArray(value)) env[spec.env] = value.join(',');
    else env[spec.env] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return env;
}
