import type { Redis } from 'ioredis';
import type { Logger } from '../log/index.js';
import { applyDefinitionLimits } from '../queue/index.js';
import type { Keys } from '../redis/index.js';
import type { JobRegistry } from './registry.js';

/**
 * Writes the `limits` of the given types' definitions to Redis (a worker for its types, an
 * API for all it knows), at start: the definition wins at deploy (docs/queues.md).
 */
export async function writeDefinitionLimits(
  redis: Redis,
  keys: Keys,
  registry: JobRegistry,
  types: readonly string[],
  log: Logger,
): Promise<void> {
  await Promise.all(
    types.map(async (type) => {
      const def = registry.get(type);
      if (!def) return;
      const done = await applyDefinitionLimits(redis, keys, registry.queuesOf(type), def.limits);
      if (done !== 'unchanged')
        log.info({ type, limits: def.limits ?? null, done }, 'queue limits from the definition');
    }),
  );
}
