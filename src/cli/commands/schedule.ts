import { WorkmeshClient, type ScheduleSpec } from '../../client/index.js';
import { clientOptions } from '../client-options.js';
import { WorkmeshError } from '../../errors/index.js';
import type { Command } from '../command.js';

const usage =
  'schedule add <id> --type T (--cron "<expr>" [--tz Zone] | --every 30s) [--data JSON] [options]\n' +
  '       workmesh schedule ls | show <id> | rm <id> | pause <id> | resume <id>';

/** `--every`: milliseconds, or a number with ms, s, m or h. */
function durationMs(text: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  if (!m)
    throw new WorkmeshError(
      'WM_ERR_CLI_USAGE',
      `--every ${JSON.stringify(text)}: give e.g. 1500, 30s, 5m or 1h`,
    );
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 'ms']!;
  return Number(m[1]) * unit;
}

export const scheduleCommand: Command = {
  name: 'schedule',
  summary: 'Schedules (cron or fixed interval): add, ls, show, rm, pause, resume.',
  usage,
  description:
    'add creates or replaces (by id) a schedule firing jobs of --type with --data: --cron takes 5 fields (minute first) or 6 (second first), in --tz (an IANA zone, default UTC); --every an interval of at least 1s. Every API and worker process fires schedules, exactly once per tick. ls prints one line per schedule (id, status, next fire time, last run); show prints one as JSON with its next 5 fire times and latest runs; rm removes it (jobs fired stay); pause stops its ticks until resume (ticks passed meanwhile are not made up). docs/schedules.md.',
  joinsLocalUp: true,
  settings: ['apiUrl', 'apiToken'],
  flags: {
    type: { type: 'string', short: 't', doc: 'add: the job type of the fired jobs.' },
    cron: { type: 'string', doc: 'add: cron expression, 5 or 6 fields (quote it).' },
    tz: { type: 'string', doc: 'add: IANA time zone of --cron, e.g. Europe/Berlin (default UTC).' },
    every: { type: 'string', doc: 'add: fixed interval: ms, or 30s, 5m, 1h (at least 1s).' },
    data: { type: 'string', short: 'd', doc: "add: the fired jobs' data, JSON (default null)." },
    start: { type: 'string', doc: 'add: no tick before this time (ISO 8601).' },
    end: { type: 'string', doc: 'add: no tick after this time (ISO 8601).' },
    limit: { type: 'string', doc: 'add: fire at most this many jobs.' },
    missed: {
      type: 'string',
      doc: 'add: ticks missed while no process ran: latest (fire the latest, the default) or all.',
    },
    'missed-cap': {
      type: 'string',
      doc: 'add: with --missed all, fire at most this many (default 10).',
    },
    overlap: {
      type: 'string',
      doc: 'add: a tick while the previous job is not final: allow (default) or skip.',
    },
    json: { type: 'boolean', doc: 'ls: JSON lines instead of a table.' },
  },
  async run({ config, positionals, flags }) {
    const client = new WorkmeshClient(clientOptions(config));
    const [action = 'ls', id, ...extra] = positionals;
    const bad = (why: string): WorkmeshError =>
      new WorkmeshError('WM_ERR_CLI_USAGE', `${why}\nUsage: workmesh ${usage}`);
    if (extra.length > 0) throw bad('too many arguments');
    const print = (value: unknown): void =>
      void process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    const str = (name: string): string | undefined =>
      typeof flags[name] === 'string' ? flags[name] : undefined;
    switch (action) {
      case 'add': {
        if (!id) throw bad('add needs a schedule id');
        const type = str('type');
        if (!type) throw bad('add needs --type');
        let data: unknown = null;
        const dataText = str('data');
        if (dataText !== undefined) {
          try {
            data = JSON.parse(dataText);
          } catch {
            throw bad(`--data is not JSON: ${dataText}`);
          }
        }
        const every = str('every');
        const int = (name: string): number | undefined => {
          const v = str(name);
          if (v === undefined) return undefined;
          if (!/^\d+$/.test(v)) throw bad(`--${name} takes a whole number`);
          return Number(v);
        };
        const spec = {
          id,
          type,
          data,
          ...(str('cron') === undefined ? {} : { cron: str('cron') }),
          ...(str('tz') === undefined ? {} : { tz: str('tz') }),
          ...(every === undefined ? {} : { everyMs: durationMs(every) }),
          ...(str('start') === undefined ? {} : { startAt: str('start') }),
          ...(str('end') === undefined ? {} : { endAt: str('end') }),
          ...(int('limit') === undefined ? {} : { limit: int('limit') }),
          ...(str('missed') === undefined ? {} : { missed: str('missed') }),
          ...(int('missed-cap') === undefined ? {} : { missedCap: int('missed-cap') }),
          ...(str('overlap') === undefined ? {} : { overlap: str('overlap') }),
        } as ScheduleSpec;
        const view = await client.upsertSchedule(spec);
        process.stdout.write(`${view.id}: ${view.status}, next ${view.nextTick ?? '-'}\n`);
        return 0;
      }
      case 'ls': {
        const list = await client.schedules();
        if (flags.json === true) {
          for (const s of list) process.stdout.write(`${JSON.stringify(s)}\n`);
          return 0;
        }
        const rows = list.map((s) => [
          s.id,
          s.type,
          s.status,
          typeof s.definition.cron === 'string'
            ? s.definition.cron
            : `every ${Number(s.definition.everyMs)}ms`,
          s.nextTick ?? '-',
          s.lastTick ?? '-',
          String(s.count),
        ]);
        const head = ['ID', 'TYPE', 'STATUS', 'WHEN', 'NEXT', 'LAST', 'FIRED'];
        const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
        for (const r of [head, ...rows]) {
          process.stdout.write(
            `${r
              .map((c, i) => c.padEnd(widths[i]!))
              .join('  ')
              .trimEnd()}\n`,
          );
        }
        return 0;
      }
      case 'show':
        if (!id) throw bad('show needs a schedule id');
        print(await client.schedule(id));
        return 0;
      case 'rm':
        if (!id) throw bad('rm needs a schedule id');
        await client.removeSchedule(id);
        process.stdout.write(`${id}: removed\n`);
        return 0;
      case 'pause':
      case 'resume': {
        if (!id) throw bad(`${action} needs a schedule id`);
        const view =
          action === 'pause' ? await client.pauseSchedule(id) : await client.resumeSchedule(id);
        process.stdout.write(`${view.id}: ${view.status}, next ${view.nextTick ?? '-'}\n`);
        return 0;
      }
      default:
        throw bad(`unknown action ${JSON.stringify(action)}`);
    }
  },
};
