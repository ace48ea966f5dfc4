import { connect } from 'node:net';
import { until } from './wait.js';

/** What MONITOR on one redis-server printed so far, and a way to stop watching. */
export interface CommandWatch {
  /** Every command Redis ran since MONITOR answered, one per `\r\n`-ended line. */
  text(): string;
  stop(): void;
}

/**
 * Starts MONITOR on a redis-server (one server: on a Redis Cluster each master has its own) and
 * resolves once it watches. For tests that check what Redis is asked, or that it is not asked.
 */
export async function watchCommands(port: number): Promise<CommandWatch> {
  const monitor = connect(port, '127.0.0.1');
  let seen = '';
  monitor.on('data', (chunk: Buffer) => (seen += chunk.toString()));
  monitor.write('MONITOR\r\n');
  await until(
    'MONITOR on',
    () => seen,
    (text) => text.startsWith('+OK'),
  );
  return { text: () => seen, stop: () => monitor.destroy() };
}
