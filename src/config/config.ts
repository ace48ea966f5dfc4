import { WorkmeshError } from '../errors/index.js';
import { parseRedisUrl, redactRedisUrl } from '../redis/index.js';
import { options, type OptionSpec } from './options.js';

type Setting = (typeof options)[number];

/** A setting's key in the settings table (`redisUrl`, `apiPort`, ...). */
export type SettingKey = Setting['key'];

/** The value a setting of this spec parses to: by its kind, an enum to its listed values. */
type ValueOf<S extends Setting> = S extends { readonly kind: 'int' }
  ? number
  : S extends { readonly kind: 'bool' }
    ? boolean
    : S extends { readonly kind: 'list' }
      ? readonly string[]
      : S extends { readonly kind: 'enum'; readonly values: readonly (infer V)[] }
        ? V
        : string;

/** The settings of the table, each unset when it has no default. */
type Settings = {
  readonly [S in Setting as S['key']]:
    ValueOf<S> | (S['default'] extends undefined ? undefined : never);
};

/**
 * The one config object of a process, derived from the settings table (config/options.ts):
 * a setting added there is here too, typed by its kind. apiUrl has no default in the table
 * but is always set: loadConfig derives it from host and apiPort.
 */
export type Config = Omit<Settings, 'apiUrl'> & { readonly apiUrl: string };

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
  const parsed: Record<string, unknown> = {};
  for (const spec of options as readonly OptionSpec[]) {
    const raw = flags[spec.flag] ?? env[spec.env];
    const value = raw === undefined || raw === '' ? spec.default : parseValue(spec, raw);
    parsed[spec.key] = spec.kind === 'list' ? Object.freeze(value) : value;
  }
  // parseValue gives each setting the value its kind says: the one place where the table's
  // parse meets the type derived from it (ValueOf).
  const settings = parsed as Settings;
  if (settings.nodeTtlMs < 2 * settings.heartbeatMs) {
    throw new WorkmeshError(
      'WM_ERR_CONFIG_INVALID',
      `WORKMESH_NODE_TTL_MS (${settings.nodeTtlMs}) must be at least twice WORKMESH_HEARTBEAT_MS (${settings.heartbeatMs}), or healthy nodes would be declared gone`,
    );
  }
  return Object.freeze({
    ...settings,
    // The CLI's API is the one this machine's settings describe, unless told otherwise (port
    // 0, "any free one", tells nothing: the default port then).
    apiUrl: settings.apiUrl ?? `http://${loopbackOf(settings.host)}:${settings.apiPort || 5983}`,
  });
}

/** Environment variables that reproduce this config in a child process. */
export function configToEnv(config: Config): Record<string, string> {
  const env: Record<string, string> = {};
  for (const spec of options) {
    const value = config[spec.key];
    if (value === undefined) continue;
    if (Array.isArray(value)) env[spec.env] = value.join(',');
    else env[spec.env] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return env;
}
