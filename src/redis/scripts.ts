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
  'progress',
  'claim-webhooks',
  'webhook-result',
  'heartbeat',
  'reap',
  'leave',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

const luaDir = fileURLToPath(new URL('./lua/', import.meta.url));
const libDir = fileURLToPath(new URL('./lua/lib/', import.meta.url));
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
function lib(name: string): string {
  let source = libs.get(name);
  if (source === undefined) libs.set(name, (source = readFileSync(`${libDir}${name}.lua`, 'utf8')));
  return source;
}

const defined = new WeakSet<Redis>();

export function defineScripts(redis: Redis): void {
  if (defined.has(redis)) return;
  for (const name of SCRIPT_NAMES) {
    const source = scriptSources().get(name);
    if (source === undefined) throw new Error(`missing Lua script ${name}.lua in ${luaDir}`);
    // Scripts that log job events get the shared prelude (lua/lib/events.lua) in front, and
    // those that start claimed entries the start_entry function (lua/lib/start-entry.lua).
    const startsEntries = /\bstart_entry\(/.test(source);
    const logsEvents = startsEntries || /\b(note|final|publish)\(/.test(source);
    // Batch scripts answer each item on its own (lua/lib/batch.lua).
    const batched = /\bitem_error\(/.test(source);
    const lua = [
      ...(batched ? [lib('batch')] : []),
      ...(logsEvents ? [lib('events')] : []),
      ...(startsEntries ? [lib('start-entry')] : []),
      source,
    ].join('\n');
    // numberOfKeys left out: every script takes a variable number of keys (batches).
    redis.defineCommand(`wm_${name}`, { lua });
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
