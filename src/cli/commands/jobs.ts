import {
  WorkmeshClient,
  pointInTime,
  type JobState,
  type JobStatus,
  type JobsQuery,
} from '../../client/index.js';
import { WorkmeshError } from '../../errors/index.js';
import { clientOptions } from '../client-options.js';
import type { Command } from '../command.js';

const usage =
  'jobs [--type T] [--status S[,S]] [--since 1h] [--until T] [--finished] [--data path=value] [--tenant T] [--limit N] [--cursor C] [--json]';

const short = (iso: string | undefined): string =>
  iso === undefined ? '–' : iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');

/** Jobs as a text table, one row per job. */
export function jobsTable(jobs: readonly JobState[]): string {
  const head = ['CALLBACK', 'STATUS', 'CREATED', 'FINISHED', 'ERROR'];
  const rows = jobs.map((j) => [
    j.callback,
    j.status,
    short(j.createdAt),
    short(j.finishedAt),
    (j.error ?? '').replace(/\s+/g, ' ').slice(0, 60),
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

export const jobsCommand: Command = {
  name: 'jobs',
  summary: 'Find jobs by type, status, time and data (GET /api/jobs).',
  usage,
  description:
    "A table of the jobs that match, newest first (--json: JSON lines). --since and --until take a duration back from now (15m, 1h, 7d), an ISO 8601 time or milliseconds since the epoch; they bound the creation time, or the finish time with --finished. --data path=value[,path=value] keeps jobs whose data has that value at that path. One page of --limit jobs; when more match, the next page's --cursor is printed on stderr.",
  joinsLocalUp: true,
  settings: ['apiUrl', 'apiToken'],
  flags: {
    type: { type: 'string', short: 't', doc: 'Only this job type.' },
    status: {
      type: 'string',
      short: 's',
      doc: 'Only these statuses (comma-separated): accepted, pending, done, failed, cancelled.',
    },
    since: { type: 'string', doc: 'From this time on (e.g. 1h: the last hour).' },
    until: { type: 'string', doc: 'Up to this time.' },
    finished: { type: 'boolean', doc: '--since and --until bound the finish time.' },
    data: {
      type: 'string',
      doc: 'path=value[,path=value]: data fields that equal these values.',
    },
    tenant: { type: 'string', doc: "An admin token: only this tenant's jobs." },
    limit: { type: 'string', doc: 'Jobs per page (at most 500).', default: '50' },
    cursor: { type: 'string', doc: 'Go on from a previous page.' },
    json: { type: 'boolean', doc: 'JSON lines (one per job) instead of the table.' },
  },
  async run({ config, flags, positionals }) {
    const bad = (why: string): WorkmeshError =>
      new WorkmeshError('WM_ERR_CLI_USAGE', `${why}\nUsage: workmesh ${usage}`);
    if (positionals.length > 0) throw bad('jobs takes no arguments');
    const text = (name: string): string | undefined =>
      typeof flags[name] === 'string' ? flags[name] : undefined;
    const data: Record<string, string> = {};
    for (const pair of text('data')?.split(',') ?? []) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw bad(`--data wants path=value, not ${JSON.stringify(pair)}`);
      data[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    const limit = Number(text('limit') ?? 50);
    if (!Number.isInteger(limit) || limit < 1) throw bad('--limit wants a whole number');
    const time = (t: string): number => {
      const ms = pointInTime(t);
      if (ms === undefined) {
        throw bad(
          `not a time: ${JSON.stringify(t)} (a duration back from now like 15m, 1h, 7d; or an ISO 8601 time)`,
        );
      }
      return ms;
    };
    const since = text('since');
    const until = text('until');
    const query: JobsQuery = {
      ...(text('type') ? { type: text('type')! } : {}),
      ...(text('status') ? { status: text('status')!.split(',') as JobStatus[] } : {}),
      ...(flags.finished === true ? { time: 'finished' as const } : {}),
      ...(since ? { since: time(since) } : {}),
      ...(until ? { until: time(until) } : {}),
      ...(text('tenant') ? { tenant: text('tenant')! } : {}),
      ...(Object.keys(data).length > 0 ? { data } : {}),
      ...(text('cursor') ? { cursor: text('cursor')! } : {}),
      limit,
    };
    const page = await new WorkmeshClient(clientOptions(config)).jobs(query);
    if (flags.json === true) {
      for (const job of page.jobs) process.stdout.write(`${JSON.stringify(job)}\n`);
    } else if (page.jobs.length > 0) {
      process.stdout.write(`${jobsTable(page.jobs)}\n`);
    }
    process.stderr.write(
      page.cursor
        ? `${page.jobs.length} job(s); more: --cursor ${page.cursor}\n`
        : `${page.jobs.length} job(s)\n`,
    );
    return 0;
  },
};
