import type { Config } from '../config/index.js';
import type { AnyJobDefinition } from '../jobs/index.js';
import type { Backoff, JobOptions } from '../queue/index.js';

/** What a job may set of its run settings; unset ones come from its type, then the settings. */
export interface JobSettingsRequest {
  readonly resultTtlSec?: number | undefined;
  readonly maxAttempts?: number | undefined;
  readonly backoff?: Backoff | undefined;
  readonly timeoutMs?: number | undefined;
}

export interface JobSettings {
  readonly resultTtlSec: number;
  readonly maxAttempts: number;
  readonly options: JobOptions;
}

/**
 * A job's run settings: the request's, else its type's, else the settings' (the order
 * Submitter.submit applies; a schedule's fired jobs get theirs here, at each tick).
 */
export function jobSettings(
  config: Pick<Config, 'resultTtlSec' | 'maxAttempts' | 'backoffMs'>,
  definition: AnyJobDefinition,
  job: JobSettingsRequest,
): JobSettings {
  const timeoutMs = job.timeoutMs ?? definition.timeoutMs;
  return {
    resultTtlSec: job.resultTtlSec ?? definition.resultTtlSec ?? config.resultTtlSec,
    maxAttempts: job.maxAttempts ?? definition.maxAttempts ?? config.maxAttempts,
    options: {
      backoff: job.backoff ??
        definition.backoff ?? { type: 'exponential', delayMs: config.backoffMs },
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    },
  };
}
