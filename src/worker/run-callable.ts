import type { JobRegistry } from '../jobs/index.js';
import type { Logger } from '../log/index.js';

/**
 * The cluster function `run`: runs a job type's handler on this node directly, outside the
 * queue, and answers its value (the seed's "process spawning" on a chosen node).
 */
export function runCallable(registry: JobRegistry, log: Logger) {
  return async (args: unknown, from: string): Promise<unknown> => {
    const { type, data } = (args ?? {}) as { type?: unknown; data?: unknown };
    const definition = registry.validate(String(type), data);
    const id = `run-from-${from}`;
    return await definition.handler(data, {
      id,
      attempt: 1,
      signal: new AbortController().signal,
      progress: () => Promise.resolve(),
      addLog: () => Promise.resolve(),
      children: () => Promise.resolve([]),
      previous: () => Promise.resolve(undefined),
      log: log.child({ run: type, from }),
    });
  };
}
