import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What a running `workmesh up` tells the other commands of this machine: where its Redis is,
 * the cluster secret it made up, its key prefix and its API. Kept in `<data dir>/up.json`,
 * readable by its owner only (it holds the secret), and removed when `up` stops. A second
 * terminal's `shell`, `nodes`, `sysmon`, `submit`... read it when they are given no REDIS_URL,
 * so the one-machine path needs no copying of settings.
 */
export interface LocalState {
  readonly pid: number;
  readonly redisUrl: string;
  readonly clusterSecret: string;
  readonly prefix: string;
  readonly apiUrl: string;
  readonly consoleUrl?: string;
}

const FILE = 'up.json';

export function localStatePath(dataDir: string): string {
  return join(dataDir, FILE);
}

/** Writes the state file atomically, mode 0600 in a 0700 folder. */
export function writeLocalState(dataDir: string, state: LocalState): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = localStatePath(dataDir);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  // writeFileSync's mode applies only to a new file, and the umask may have narrowed it anyway.
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  return path;
}

/** Removes the state file, if it is still this process's. */
export function removeLocalState(dataDir: string): void {
  const state = readLocalState(dataDir);
  if (state?.pid === process.pid) rmSync(localStatePath(dataDir), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, run by another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The state of a live `up` in this data folder, or undefined (none, unreadable, or stale). */
export function readLocalState(dataDir: string): LocalState | undefined {
  let state: Partial<LocalState>;
  try {
    state = JSON.parse(readFileSync(localStatePath(dataDir), 'utf8')) as Partial<LocalState>;
  } catch {
    return undefined;
  }
  if (
    typeof state.pid !== 'number' ||
    typeof state.redisUrl !== 'string' ||
    typeof state.clusterSecret !== 'string' ||
    typeof state.prefix !== 'string' ||
    typeof state.apiUrl !== 'string'
  )
    return undefined;
  return alive(state.pid) ? (state as LocalState) : undefined;
}

/**
 * The environment a command runs with: the real one, over the settings of the running `up`
 * when the command is given no Redis of its own (or the same one). Explicit settings win.
 */
export function withLocalState(
  env: Readonly<Record<string, string | undefined>>,
  flags: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  const given = (envName: string, flag: string): string | undefined => {
    const v = flags[flag] ?? env[envName];
    return v === '' ? undefined : v;
  };
  const state = readLocalState(given('WORKMESH_DATA_DIR', 'data-dir') ?? '.workmesh');
  const redisUrl = given('REDIS_URL', 'redis-url');
  if (!state || (redisUrl !== undefined && redisUrl !== state.redisUrl)) return { ...env };
  const apiGiven =
    given('WORKMESH_API_URL', 'api') !== undefined ||
    given('WORKMESH_API_PORT', 'port') !== undefined;
  return {
    REDIS_URL: state.redisUrl,
    WORKMESH_CLUSTER_SECRET: state.clusterSecret,
    WORKMESH_PREFIX: state.prefix,
    ...(apiGiven ? {} : { WORKMESH_API_URL: state.apiUrl }),
    ...Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== '')),
  };
}
