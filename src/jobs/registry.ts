import type { ValidateFunction } from 'ajv';
import { WorkmeshError, validationMessage } from '../errors/index.js';
import { checkLimits } from '../queue/index.js';
import { MAX_PARTITIONS, TYPE_NAME_RE, queuesOfType } from '../redis/index.js';
import { PRIORITY_MAX, PRIORITY_MIN, dedupeRuleProblem } from '../queue/index.js';
import type { AnyJobDefinition, JobSettings } from './define.js';
import { hash } from './hash.js';
import { ajvWithFormats } from './input-validator.js';
import { importJobModule } from './module-loader.js';
import { permute } from './permute.js';
import { textStats } from './text-stats.js';

export function builtinJobs(settings: JobSettings): AnyJobDefinition[] {
  return [permute(settings), hash, textStats];
}

type ModuleExport =
  | AnyJobDefinition
  | readonly AnyJobDefinition[]
  | ((
      settings: JobSettings,
    ) =>
      | AnyJobDefinition
      | readonly AnyJobDefinition[]
      | Promise<AnyJobDefinition | readonly AnyJobDefinition[]>);

function invalidDefinition(source: string, why: string): WorkmeshError {
  return new WorkmeshError('WM_ERR_JOB_DEFINITION_INVALID', `${source}: ${why}`);
}

function checkDefinition(def: unknown, source: string): AnyJobDefinition {
  if (typeof def !== 'object' || def === null) throw invalidDefinition(source, 'not an object');
  const d = def as Partial<AnyJobDefinition>;
  if (typeof d.name !== 'string' || !TYPE_NAME_RE.test(d.name)) {
    throw invalidDefinition(
      source,
      `name ${JSON.stringify(d.name)} must match ${String(TYPE_NAME_RE)}`,
    );
  }
  if (typeof d.handler !== 'function')
    throw invalidDefinition(source, `${d.name}: handler is not a function`);
  for (const key of ['setup', 'teardown'] as const) {
    if (d[key] !== undefined && typeof d[key] !== 'function')
      throw invalidDefinition(source, `${d.name}: ${key} is not a function`);
  }
  if (typeof d.input !== 'object' || d.input === null) {
    throw invalidDefinition(source, `${d.name}: input must be a JSON Schema object`);
  }
  if (
    d.partitions !== undefined &&
    !(Number.isInteger(d.partitions) && d.partitions >= 1 && d.partitions <= MAX_PARTITIONS)
  ) {
    throw invalidDefinition(source, `${d.name}: partitions must be 1..${MAX_PARTITIONS}`);
  }
  if (d.schedules !== undefined && !Array.isArray(d.schedules)) {
    throw invalidDefinition(source, `${d.name}: schedules must be an array`);
  }
  for (const key of ['concurrency', 'resultTtlSec', 'maxAttempts', 'timeoutMs'] as const) {
    const v = d[key];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) {
      throw invalidDefinition(source, `${d.name}: ${key} must be a positive integer`);
    }
  }
  if (
    d.priority !== undefined &&
    !(Number.isInteger(d.priority) && d.priority >= PRIORITY_MIN && d.priority <= PRIORITY_MAX)
  ) {
    throw invalidDefinition(
      source,
      `${d.name}: priority must be an integer from ${PRIORITY_MIN} to ${PRIORITY_MAX}`,
    );
  }
  const dedupeProblem = d.dedupe === undefined ? undefined : dedupeRuleProblem(d.dedupe);
  if (dedupeProblem !== undefined) throw invalidDefinition(source, `${d.name}: ${dedupeProblem}`);
  if (d.limits !== undefined) {
    try {
      checkLimits(d.limits, false);
    } catch (err) {
      throw invalidDefinition(source, `${d.name}: limits: ${(err as Error).message}`);
    }
  }
  return d as AnyJobDefinition;
}

/** The job types a process knows: the built-ins plus those of the `--jobs` modules. */
export class JobRegistry {
  private readonly defs = new Map<string, AnyJobDefinition>();
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly ajv = ajvWithFormats({ strict: false, allErrors: false });

  add(def: AnyJobDefinition, source = 'definition'): void {
    const checked = checkDefinition(def, source);
    if (this.defs.has(checked.name))
      throw invalidDefinition(source, `job type ${checked.name} is defined twice`);
    let validate: ValidateFunction;
    try {
      validate = this.ajv.compile(checked.input);
    } catch (err) {
      throw invalidDefinition(
        source,
        `${checked.name}: input schema does not compile (${(err as Error).message})`,
      );
    }
    this.defs.set(checked.name, checked);
    this.validators.set(checked.name, validate);
  }

  /** Imports a module and adds every definition it exports (default export or `jobs`). */
  async load(modulePath: string, settings: JobSettings): Promise<void> {
    let mod: Record<string, unknown>;
    try {
      mod = await importJobModule(modulePath);
    } catch (err) {
      throw invalidDefinition(modulePath, `cannot import (${(err as Error).message})`);
    }
    let exported = (mod.default ?? mod.jobs) as ModuleExport | undefined;
    if (exported === undefined) {
      const named = Object.keys(mod).filter((k) => k !== '__esModule');
      throw invalidDefinition(
        modulePath,
        `exports neither \`default\` nor \`jobs\`${named.length ? ` (it exports ${named.join(', ')})` : ''}: write \`export default [defineJob({...}), ...]\``,
      );
    }
    if (typeof exported === 'function') exported = await exported(settings);
    const list = Array.isArray(exported) ? exported : [exported];
    // A module that defines nothing is a mistake, not a choice: the worker would run only
    // the built-in types and the user would wonder why theirs never run.
    if (list.length === 0) throw invalidDefinition(modulePath, 'defines no job types');
    for (const def of list) this.add(def as AnyJobDefinition, modulePath);
  }

  get(name: string): AnyJobDefinition | undefined {
    return this.defs.get(name);
  }

  list(): AnyJobDefinition[] {
    return [...this.defs.values()];
  }

  /** The queues of a type (its partitions), or [] for an unknown type. */
  queuesOf(name: string): string[] {
    const def = this.defs.get(name);
    return def ? queuesOfType(def.name, def.partitions) : [];
  }

  /** Every queue of every type. */
  queues(): string[] {
    return this.list().flatMap((d) => queuesOfType(d.name, d.partitions));
  }

  /** Throws WM_ERR_JOB_UNKNOWN_TYPE or WM_ERR_JOB_INVALID_DATA; returns the definition. */
  validate(name: string, data: unknown): AnyJobDefinition {
    const def = this.defs.get(name);
    const validate = this.validators.get(name);
    if (!def || !validate) {
      throw new WorkmeshError(
        'WM_ERR_JOB_UNKNOWN_TYPE',
        `unknown job type ${JSON.stringify(name)}`,
        {
          details: { known: [...this.defs.keys()] },
        },
      );
    }
    if (!validate(data)) {
      throw new WorkmeshError(
        'WM_ERR_JOB_INVALID_DATA',
        `${validationMessage('data', validate.errors ?? [])} (job type ${name})`,
        {
          details: {
            type: name,
            errors: (validate.errors ?? [])
              .slice(0, 5)
              .map((e) => ({ path: e.instancePath, message: e.message })),
          },
        },
      );
    }
    return def;
  }
}

/** A registry with the built-ins, the given modules, and extra definitions (ports). */
export async function createRegistry(
  settings: JobSettings,
  modules: readonly string[] = [],
  extra: readonly AnyJobDefinition[] = [],
): Promise<JobRegistry> {
  const registry = new JobRegistry();
  for (const def of builtinJobs(settings)) registry.add(def, 'built-in');
  for (const path of modules) await registry.load(path, settings);
  for (const def of extra) registry.add(def, 'ports file');
  return registry;
}

/** Job definitions as a module exports them: an array, or an object of them. */
export type JobDefinitions =
  readonly AnyJobDefinition[] | Readonly<Record<string, AnyJobDefinition>>;

/**
 * A registry of exactly these definitions (the producer API's and an embedded worker's
 * `jobs`), or the registry itself when given one.
 */
export function registryOf(jobs: JobRegistry | JobDefinitions): JobRegistry {
  if (jobs instanceof JobRegistry) return jobs;
  const registry = new JobRegistry();
  const list: readonly AnyJobDefinition[] = Array.isArray(jobs)
    ? (jobs as readonly AnyJobDefinition[])
    : Object.values(jobs as Readonly<Record<string, AnyJobDefinition>>);
  for (const def of list) registry.add(def);
  return registry;
}
