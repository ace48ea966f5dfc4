import { WorkmeshClient, type QueueLimits, type QueueState } from '../../client/index.js';
import { clientOptions } from '../client-options.js';
import { onlyArgument, type Command } from '../command.js';

/** `20/1s rate, 5 at once, per group 2/1s, 1 at once`, or `–`. */
export function formatLimits(limits: QueueLimits): string {
  const per = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
  const parts: string[] = [];
  if (limits.rate) parts.push(`${limits.rate.max}/${per(limits.rate.perMs)}`);
  if (limits.concurrency) parts.push(`${limits.concurrency} at once`);
  const group: string[] = [];
  if (limits.groupRate) group.push(`${limits.groupRate.max}/${per(limits.groupRate.perMs)}`);
  if (limits.groupConcurrency) group.push(`${limits.groupConcurrency} at once`);
  if (group.length) parts.push(`per group ${group.join(' ')}`);
  return parts.length ? parts.join(', ') : '–';
}

/** `12 (p5 2, p0 10)`: the total, then by priority when any is not 0. */
function formatWaiting(q: QueueState): string {
  const entries = Object.entries(q.waiting.byPriority).sort((a, b) => Number(b[0]) - Number(a[0]));
  if (entries.length === 0 || (entries.length === 1 && entries[0]![0] === '0'))
    return String(q.waiting.total);
  return `${q.waiting.total} (${entries.map(([p, n]) => `p${p} ${n}`).join(', ')})`;
}

function formatHeld(q: QueueState): string {
  const h = q.heldBack;
  const parts = [
    h.byPause && `${h.byPause} paused`,
    h.byRate && `${h.byRate} rate`,
    h.byConcurrency && `${h.byConcurrency} concurrency`,
    h.groupsParked && `${h.groupsParked} group`,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : '–';
}

/** The queues as a text table, one row per type. */
export function queuesTable(queues: readonly QueueState[]): string {
  const head = ['TYPE', 'PAUSED', 'WAITING', 'ACTIVE', 'DELAYED', 'DEAD', 'LIMITS', 'HELD BACK'];
  const rows = queues.map((q) => [
    q.partitions > 1 ? `${q.type} (${q.partitions} partitions)` : q.type,
    q.paused ? 'yes' : 'no',
    formatWaiting(q),
    String(q.active),
    String(q.delayed),
    String(q.dead),
    formatLimits(q.limits),
    formatHeld(q),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows]
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export const queuesCommand: Command = {
  name: 'queues',
  summary: "Every job type's queue: paused, waiting by priority, active, delayed, dead, limits.",
  usage: 'queues [<type>] [--json] [options]',
  description:
    "A table, one row per job type the API knows (a partitioned type's partitions added up): whether it is paused, its waiting jobs (by priority when any is not 0), running (active), delayed and dead ones, its limits (docs/queues.md) and the waiting jobs its controls hold back now. --json prints GET /api/queues's entries as JSON lines instead.",
  joinsLocalUp: true,
  settings: ['apiUrl', 'apiToken'],
  flags: { json: { type: 'boolean', doc: 'JSON lines (one per type) instead of the table.' } },
  async run({ config, positionals, flags }) {
    const client = new WorkmeshClient(clientOptions(config));
    const queues =
      positionals.length > 0
        ? [await client.queue(onlyArgument(queuesCommand, positionals, '<type>'))]
        : await client.queues();
    if (flags.json === true) for (const q of queues) process.stdout.write(`${JSON.stringify(q)}\n`);
    else process.stdout.write(`${queuesTable(queues)}\n`);
    return 0;
  },
};

function pauseOrResume(action: 'pause' | 'resume'): Command {
  const command: Command = {
    name: action,
    summary:
      action === 'pause'
        ? 'Pause a job type: no job of it starts until resumed; submissions still wait.'
        : 'Resume a paused job type: its waiting jobs start again at once.',
    usage: `${action} <type> | --all [options]`,
    description:
      action === 'pause'
        ? 'Every worker stops starting jobs of the type within a second, on every partition; running jobs finish; the API still accepts its jobs, which wait. The pause is kept in Redis: it holds across restarts of every process, until `workmesh resume <type>`. Prints the queue as `workmesh queues <type>` does. Exit code 1 for a type the API does not know.'
        : 'Clears the pause of every partition of the type and wakes the workers held by it. Prints the queue as `workmesh queues <type>` does. Exit code 1 for a type the API does not know.',
    joinsLocalUp: true,
    settings: ['apiUrl', 'apiToken'],
    flags: { all: { type: 'boolean', doc: `${action} every job type the API knows.` } },
    async run({ config, positionals, flags }) {
      const client = new WorkmeshClient(clientOptions(config));
      const act = (type: string) => (action === 'pause' ? client.pause(type) : client.resume(type));
      if (flags.all === true && positionals.length === 0) {
        const states = [];
        for (const q of await client.queues()) states.push(await act(q.type));
        process.stdout.write(`${queuesTable(states)}\n`);
        return 0;
      }
      const state = await act(onlyArgument(command, positionals, '<type> (or --all)'));
      process.stdout.write(`${queuesTable([state])}\n`);
      return 0;
    },
  };
  return command;
}

export const pauseCommand = pauseOrResume('pause');
export const resumeCommand = pauseOrResume('resume');
