import { WorkmeshError } from '../errors/index.js';
import type { AnyJobDefinition, JobRegistry, JobSettings } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import { SandboxPool } from './sandbox-pool.js';

/**
 * The definition a worker runs: as defined, or for a type with `sandbox: 'thread'`, one whose
 * handler runs in a pool of worker threads (sandbox-pool.ts). The pool is sized by the setup
 * the worker calls (the type's concurrency over its partitions), and its threads run the
 * type's own setup and teardown: the handler's module state lives there.
 */
export function sandboxed(
  registry: JobRegistry,
  type: string,
  settings: JobSettings,
  log: Logger,
): AnyJobDefinition {
  const definition = registry.get(type)!;
  if (definition.sandbox === undefined) return definition;
  const module = registry.moduleOf(type);
  if (module === undefined) {
    throw new WorkmeshError(
      'WM_ERR_JOB_DEFINITION_INVALID',
      `${type}: sandbox '${definition.sandbox}' needs the definition loaded from a job module (--jobs, or registry.load()): its thread imports it`,
    );
  }
  const poolLog = log.child({ queue: type, sandbox: definition.sandbox });
  const spec = { module, type, settings, level: log.level };
  const pool = new SandboxPool(definition.sandbox, spec, 1, poolLog);
  // The handler's setup and teardown run in each thread, where its module state lives.
  return {
    ...definition,
    handler: pool.handler,
    setup: ({ concurrency }) => pool.start(concurrency),
    teardown: () => pool.close(),
  };
}
