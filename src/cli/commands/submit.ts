import { WorkmeshClient } from '../../client/index.js';
import { clientOptions } from '../client-options.js';
import { WorkmeshError } from '../../errors/index.js';
import { onlyArgument, type Command } from '../command.js';
import { submitFile } from './submit-file.js';

/** A JSON object or array is sent as such; anything else as a string. */
function parseData(raw: string, forceString: boolean): unknown {
  if (forceString || !/^\s*[[{]/.test(raw)) return raw;
  try {
    return JSON.parse(raw);
  } catch {
    throw new WorkmeshError(
      'WM_ERR_CLI_USAGE',
      'data starts like JSON but does not parse; use --string to send it as text',
    );
  }
}

export const submitCommand: Command = {
  name: 'submit',
  summary: 'Submit work to the API and print its callback id (or, with --wait, its result).',
  usage: 'submit <data> [--type T] [--wait] [options] | submit --file <jobs.ndjson | ->',
  description:
    'Exit code: 0 accepted (or done with --wait), 1 failed or cancelled, 3 still running at the --timeout.\n\n' +
    'With --file: one job per line, each a JSON object as the body of POST /api/work ({"type": "hash", "data": {...}, "priority": 2, "key": "..."}; no type: --type\'s), `-` reads stdin; blank lines are skipped. Jobs go in batches of up to 1,000 (POST /api/work/batch), each answered on its own: one JSON result per line on stdout ({"line", "ok": true, "callback", ...} or {"line", "ok": false, "error": {"code", "message"}}) and a summary on stderr. Exit code: 0 every job accepted, 1 any failed.',
  joinsLocalUp: true,
  settings: ['apiUrl', 'apiToken'],
  flags: {
    type: { type: 'string', short: 't', doc: 'Job type.', default: 'permute' },
    wait: {
      type: 'boolean',
      short: 'w',
      doc: 'Wait for the job to finish and print its final status.',
    },
    timeout: {
      type: 'string',
      doc: 'With --wait: give up after this many seconds.',
      default: '60',
    },
    string: { type: 'boolean', doc: 'Send <data> as a string even if it looks like JSON.' },
    file: {
      type: 'string',
      short: 'f',
      doc: 'Submit the jobs of this NDJSON file instead (one JSON object per line; - = stdin).',
    },
    priority: {
      type: 'string',
      short: 'p',
      doc: "-10..10, higher runs first (default: the type's, else 0).",
    },
    group: { type: 'string', short: 'g', doc: 'A group for per-group limits (e.g. a tenant).' },
    key: {
      type: 'string',
      short: 'k',
      doc: 'Idempotency key: resending with the same key answers the same job.',
    },
    delay: { type: 'string', doc: 'Run no sooner than this many milliseconds from now.' },
    attempts: {
      type: 'string',
      doc: "Attempts before the job fails for good (default: the type's or the API's).",
    },
    'result-ttl': {
      type: 'string',
      doc: "Keep the finished job this many seconds (default: the type's or the API's).",
    },
  },
  async run({ config, positionals, flags }) {
    if (typeof flags.file === 'string') {
      if (positionals.length > 0 || flags.wait === true || typeof flags.key === 'string') {
        throw new WorkmeshError(
          'WM_ERR_CLI_USAGE',
          '--file takes its jobs from the file: no <data>, --wait or --key beside it (put a "key" in a line)',
        );
      }
      const type = typeof flags.type === 'string' ? flags.type : 'permute';
      return submitFile(new WorkmeshClient(clientOptions(config)), flags.file, type);
    }
    const raw = onlyArgument(submitCommand, positionals, '<data> argument');
    const timeoutSec = Number(flags.timeout ?? '60');
    if (!Number.isFinite(timeoutSec) || timeoutSec <= 0) {
      throw new WorkmeshError('WM_ERR_CLI_USAGE', '--timeout must be a positive number of seconds');
    }
    const client = new WorkmeshClient(clientOptions(config));
    const type = typeof flags.type === 'string' ? flags.type : 'permute';
    const positive = (name: string): number | undefined => {
      const v = flags[name];
      if (typeof v !== 'string') return undefined;
      if (!/^\d+$/.test(v))
        throw new WorkmeshError('WM_ERR_CLI_USAGE', `--${name} must be a whole number`);
      return Number(v);
    };
    const delayMs = positive('delay');
    const maxAttempts = positive('attempts');
    let priority: number | undefined;
    if (typeof flags.priority === 'string') {
      if (!/^-?\d+$/.test(flags.priority))
        throw new WorkmeshError('WM_ERR_CLI_USAGE', '--priority must be a whole number');
      priority = Number(flags.priority);
    }
    // Sent only when asked for: the type's own TTL, or else the API's default, applies.
    const resultTtlSec = positive('result-ttl');
    const accepted = await client.submit(type, parseData(raw, flags.string === true), {
      ...(resultTtlSec === undefined ? {} : { resultTtlSec }),
      ...(typeof flags.key === 'string' ? { key: flags.key } : {}),
      ...(delayMs === undefined ? {} : { delayMs }),
      ...(maxAttempts === undefined ? {} : { maxAttempts }),
      ...(priority === undefined ? {} : { priority }),
      ...(typeof flags.group === 'string' ? { group: flags.group } : {}),
    });
    if (flags.wait !== true) {
      process.stdout.write(`${JSON.stringify(accepted)}\n`);
      return 0;
    }
    try {
      const final = await client.wait(accepted.callback, { timeoutMs: timeoutSec * 1000 });
      process.stdout.write(`${JSON.stringify(final)}\n`);
      return final.status === 'done' ? 0 : 1;
    } catch (err) {
      if (err instanceof WorkmeshError && err.details?.state) {
        process.stdout.write(`${JSON.stringify(err.details.state)}\n`);
        return 3;
      }
      throw err;
    }
  },
};
