import type { MonitorSnapshot } from '../monitor/index.js';
import { clock, rate } from './format.js';

/**
 * One line per interval when stdout is not a terminal (a log, a pipe, a container), like the
 * seed's "cluster status and membership displayed in a loop": the counts, the queues, and
 * the membership events since the previous line.
 */
export function statusLine(s: MonitorSnapshot, sinceMs: number): string {
  const roles = new Map<string, number>();
  for (const n of s.nodes) roles.set(n.role, (roles.get(n.role) ?? 0) + 1);
  const members = [...roles].map(([role, count]) => `${role}=${count}`).join(',') || 'none';
  const queues =
    s.queues.map((q) => `${q.queue}:${q.waiting}w/${q.active}a/${q.dead}d`).join(' ') || '-';
  const changes = s.events
    .filter((e) => e.at > sinceMs)
    .map((e) => `${e.event} ${e.nodeId}`)
    .join(', ');
  return (
    `${clock(s.at)} nodes=${s.nodes.length} (${members}) queues ${queues} ` +
    `done/s=${rate(s.throughput.donePerSec)} failed/s=${rate(s.throughput.failedPerSec)}` +
    (s.redisOk ? '' : ' redis=UNREACHABLE') +
    (changes ? ` | ${changes}` : '')
  );
}
