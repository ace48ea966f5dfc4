import type { MonitorSnapshot } from '../monitor/index.js';
import { bytes, clock, duration, rate, table } from './format.js';
import { fitWidth, padWidth } from './text-width.js';

export interface FrameOptions {
  /** ANSI bold/inverse for titles and the header (a terminal); plain text otherwise. */
  readonly color?: boolean;
  /** Shown in the footer, e.g. the console's URL. */
  readonly footer?: string;
}

const NODE_HEAD = [
  'NODE',
  'ROLE',
  'HOST',
  'UPTIME',
  'BEAT',
  'INFL',
  'DONE',
  'FAIL',
  'HEAP',
  'RSS',
  'CPU',
  'LAG',
];
const NODE_RIGHT = new Set([3, 4, 5, 6, 7, 8, 9, 10, 11]);
const QUEUE_HEAD = ['QUEUE', 'WAITING', 'ACTIVE', 'DELAYED', 'DEAD', 'DONE', 'FAILED', 'JOBS/S'];
const QUEUE_RIGHT = new Set([1, 2, 3, 4, 5, 6, 7]);

/**
 * The full-screen terminal view of one snapshot, exactly `height` lines of `width` columns
 * (escape codes take none, a wide character two), so a redraw overwrites the previous frame in place. Pure:
 * tests render it to a string.
 */
export function renderFrame(
  s: MonitorSnapshot,
  width: number,
  height: number,
  options: FrameOptions = {},
): string {
  const bold = (t: string): string => (options.color ? `\x1b[1m${t}\x1b[22m` : t);
  const inverse = (t: string): string => (options.color ? `\x1b[7m${t}\x1b[27m` : t);
  const fit = (t: string): string => fitWidth(t, width);
  const lines: string[] = [];
  const t = s.throughput;
  const latency =
    t.latencyP50Ms === null
      ? '-'
      : `${Math.round(t.latencyP50Ms)}/${Math.round(t.latencyP95Ms ?? 0)}ms`;
  const header = fit(
    `workmesh sysmon  ${clock(s.at)} UTC  nodes ${s.nodes.length}  queues ${s.queues.length}  ` +
      `done/s ${rate(t.donePerSec)}  failed/s ${rate(t.failedPerSec)}  p50/p95 ${latency}  ` +
      `redis ${s.redisOk ? 'ok' : 'UNREACHABLE'}`,
  );
  lines.push(inverse(padWidth(header, width)), '');

  lines.push(bold(fit(`Nodes (${s.nodes.length})`)));
  const nodeRows = s.nodes.map((n) => [
    n.id,
    n.role,
    n.host,
    duration(s.at - n.startedAt),
    `${(n.heartbeatAgeMs / 1000).toFixed(1)}s`,
    String(n.figures.inFlight),
    String(n.figures.processed),
    String(n.figures.failed),
    bytes(n.figures.heapUsedBytes),
    bytes(n.figures.rssBytes),
    `${n.figures.cpuPercent.toFixed(1)}%`,
    `${n.figures.eventLoopLagMs.toFixed(1)}ms`,
  ]);
  const [nodeHead, ...nodeLines] = table([NODE_HEAD, ...nodeRows], NODE_RIGHT);
  lines.push(bold(fit(nodeHead!)), ...nodeLines.map(fit));
  if (nodeRows.length === 0) lines.push('  (no live node)');
  lines.push('');

  lines.push(bold(fit(`Queues (${s.queues.length})`)));
  const queueRows = s.queues.map((q) => [
    q.queue,
    String(q.waiting),
    String(q.active),
    String(q.delayed),
    String(q.dead),
    String(q.done),
    String(q.failed),
    rate(q.perSec),
  ]);
  const [queueHead, ...queueLines] = table([QUEUE_HEAD, ...queueRows], QUEUE_RIGHT);
  lines.push(bold(fit(queueHead!)), ...queueLines.map(fit));
  lines.push('');

  const footer = fit(options.footer ?? 'Ctrl-C to quit');
  // Membership events fill what is left, newest at the bottom, above the footer.
  const room = height - lines.length - 2;
  if (room > 0) {
    lines.push(bold(fit('Membership')));
    const events = s.events.slice(-Math.max(0, room - 1));
    if (events.length === 0 && room > 1) lines.push('  (none yet)');
    for (const e of events) {
      const why = e.reason ? ` (${e.reason})` : '';
      lines.push(
        fit(`${clock(e.at)}  ${e.event.padEnd(6)}  ${e.nodeId}  ${e.role} on ${e.host}${why}`),
      );
    }
  }
  const body = lines.slice(0, Math.max(0, height - 1));
  while (body.length < height - 1) body.push('');
  body.push(footer);
  // Pad every line to the width it shows (escape codes take none): the redraw overwrites the
  // previous frame without clearing the screen, so a short line would leave the old one's tail.
  return body.map((l) => padWidth(l, width)).join('\n');
}
