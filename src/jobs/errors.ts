/**
 * Throw this from a handler when retrying cannot help (bad input, a missing resource): the
 * job fails at once and goes to the dead letters. Any other error is retried with backoff.
 * Matched by name too, so an error from another copy of workmesh (or a port) counts.
 */
export class UnrecoverableError extends Error {
  override readonly name = 'UnrecoverableError';
}

export function isUnrecoverable(err: unknown): boolean {
  return err instanceof Error && err.name === 'UnrecoverableError';
}
