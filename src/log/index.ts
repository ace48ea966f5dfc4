import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * JSON logs on stdout (or stderr, fd 2, for a process whose stdout is its output, like
 * sysmon); every line carries the node id so a cluster's logs can be merged.
 */
export function createLogger(
  level: string,
  bindings: Record<string, unknown> = {},
  fd: 1 | 2 = 1,
): Logger {
  const options = { level, base: { pid: process.pid, ...bindings } };
  return fd === 1 ? pino(options) : pino(options, pino.destination(2));
}
