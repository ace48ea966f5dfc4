/**
 * The job's statuses, apart from the schema (TypeBox) so that the HTTP client, which runs in
 * browsers too, can read them without bundling TypeBox.
 */

/** Every status of a job, in the order it passes them; the last three are final. */
export const JOB_STATUSES = ['accepted', 'pending', 'done', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** A job in one of these never changes again (only its webhook delivery is still noted). */
export const FINAL_STATUSES = [
  'done',
  'failed',
  'cancelled',
] as const satisfies readonly JobStatus[];
export type FinalStatus = (typeof FINAL_STATUSES)[number];

const FINAL: ReadonlySet<string> = new Set(FINAL_STATUSES);

export function isFinalStatus(status: string): status is FinalStatus {
  return FINAL.has(status);
}
