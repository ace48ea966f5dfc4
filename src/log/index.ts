import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** JSON logs on stdout; every line carries the node id so a cluster's logs can be merged. */
export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { pid: process.pid, ...bindings } });
}
