import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

/**
 * The Lua scripts under ./lua, one atomic state change each. Read once per process and
 * registered on each connection with ioredis' defineCommand, which sends EVALSHA and falls
 * back to EVAL after a Redis restart (NOSCRIPT).
 */
export const SCRIPT_NAMES = [
  'enqueue',
  'idempotency',
  'start',
  'claim',
  'finish',
  'renew',
  'requeue',
  'drop-consumer',
  'promote',
  'cancel',
  'revive',
  'bury',
  'prune-dead',
  'prune-index',
  'trim-turn',
  'forget',
  'progress',
  'log',
  'claim-webhooks',
  'webhook-result',
  'heartbeat',
  'reap',
  'leave',
  'rate-limit',
  'dedupe',
  'gate',
  'hold',
  'schedule-save',
  'schedule-fire',
  'flow-stage',
  'flow-commit',
  'flow-count',
  'batch',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

const luaDir = fileURLToPath(new URL('./lua/', import.meta.url));
let sources: ReadonlyMap<string, string> | undefined;

/** Every script's source by name (the file name without `.lua`). */
export function scriptSources(): ReadonlyMap<string, string> {
  sources ??= new Map(
    readdirSync(luaDir)
      .filter((f) => f.endsWith('.lua'))
      .map((f) => [f.slice(0, -4), readFileSync(luaDir + f, 'utf8')]),
  );
  return sources;
}

const libs = new Map<string, string>();
function readLib(path: string): string | undefined {
  let source = libs.get(path);
  if (source === undefined) {
    try {
      source = readFileSync(luaDir + path, 'utf8');
    } catch {
      return undefined;
    }
    libs.set(path, source);
  }
  return source;
}

/**
 * What a script or library includes: the `Includes` row of its header (a comma-separated list
 * of `lib/<name>.lua`), as bullmq's `@include` lines. Only the header is read, never the code.
 */
export function declaredIncludes(source: string): string[] {
  const header = source.startsWith('--[[')
    ? source.slice(0, source.indexOf(']]'))
    : (/^(?:--.*\n)*/.exec(source)?.[0] ?? '');
  const row = /^\s*(?:--\s*)?Includes\s+(.+)$/m.exec(header)?.[1];
  return row === undefined ? [] : row.split(',').map((s) => s.trim());
}

/** The script a script's header names in its `Calls` row (`<name>.lua`), if any. */
export function declaredCall(source: string): string | undefined {
  const header = source.startsWith('--[[') ? source.slice(0, source.indexOf(']]')) : '';
  return /^\s*Calls\s+([a-z0-9-]+)\.lua\b/m.exec(header)?.[1];
}

/**
 * The script's source with the libraries its header names in front, each once, a library's
 * own includes before it. An include that is not a file under lua/lib/ is an error: the
 * script would fail only when its path reached the missing function.
 */
export function assembleScript(
  name: string,
  source: string,
  read: (path: string) => string | undefined = readLib,
): string {
  const parts: string[] = [];
  const seen = new Set<string>();
  const add = (includer: string, text: string, stack: readonly string[]): void => {
    for (const path of declaredIncludes(text)) {
      if (stack.includes(path))
        throw new Error(`Lua include cycle: ${[...stack, path].join(' -> ')}`);
      if (seen.has(path)) continue;
      const lib = /^lib\/[a-z0-9-]+\.lua$/.test(path) ? read(path) : undefined;
      if (lib === undefined)
        throw new Error(`${includer} includes ${path}: no such file in lua/lib/`);
      add(path, lib, [...stack, path]);
      seen.add(path);
      parts.push(lib);
    }
  };
  add(`${name}.lua`, source, []);
  // A script that `Calls` another gets it as a local function of (KEYS, ARGV): the called
  // script's own code, run on the keys and arguments the caller hands it (schedule-fire runs
  // enqueue this way, so a fired job is written exactly as a submitted one).
  const called = declaredCall(source);
  if (called !== undefined) {
    const calledSource = scriptSources().get(called);
    if (calledSource === undefined)
      throw new Error(`${name}.lua calls ${called}.lua: no such script`);
    add(`${called}.lua`, calledSource, []);
    parts.push(
      `local function ${called.replace(/-/g, '_')}_script(KEYS, ARGV)\n${calledSource}\nend`,
    );
  }
  return [...parts, source].join('\n');
}

const defined = new WeakSet<Redis>();

export function defineScripts(redis: Redis): void {
  if (defined.has(redis)) return;
  for (const name of SCRIPT_NAMES) {
    const source = scriptSources().get(name);
    if (source === undefined) throw new Error(`missing Lua script ${name}.lua in ${luaDir}`);
    // numberOfKeys left out: every script takes a variable number of keys (batches).
    redis.defineCommand(`wm_${name}`, { lua: assembleScript(name, source) });
  }
  // ioredis copies every defined command onto each Pipeline it makes, and an auto-pipeline
  // (plain commands: a status read's HMGET) is a Pipeline: with the scripts listed that was
  // about 18 µs a pipeline instead of 4. The scripts run as commands of their own (never in a
  // pipeline or a MULTI), through the functions defineCommand set on the connection.
  if (!(redis as { isCluster?: boolean }).isCluster) {
    (redis as unknown as { scriptsSet: Record<string, unknown> }).scriptsSet = {};
  }
  defined.add(redis);
}

type ScriptFn = (numKeys: number, ...keysAndArgs: (string | number)[]) => Promise<unknown>;

export function runScript(
  redis: Redis,
  name: ScriptName,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  defineScripts(redis);
  const fn = (redis as unknown as Record<string, ScriptFn>)[`wm_${name}`];
  if (fn === undefined) throw new Error(`script ${name} not defined`);
  return fn.call(redis, keys.length, ...keys, ...args);
}
