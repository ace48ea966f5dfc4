import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

export type Role = 'api' | 'worker' | 'sysmon' | 'shell' | 'cli' | 'producer';

/** `<role>-<host>-<pid>-<6 hex>`: readable in logs and redis-cli, unique across restarts. */
export function newNodeId(role: Role): string {
  const host = hostname()
    .replace(/[^A-Za-z0-9.-]/g, '_')
    .slice(0, 40);
  return `${role}-${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
