import { WorkmeshClient } from '../../client/index.js';
import { clientOptions } from '../client-options.js';
import { WorkmeshError } from '../../errors/index.js';
import type { Command } from '../command.js';

const usage =
  'dead [list | show <id> | retry <id> | retry --all | purge <id> | purge --all] [--type T]';

export const deadCommand: Command = {
  name: 'dead',
  summary: 'Dead letters (jobs that failed for good): list, show, retry, purge.',
  usage,
  description:
    'list (the default) prints the newest dead letters as JSON lines; show prints one with its error history; retry puts jobs back in their queue with fresh attempts; purge deletes them. --all acts on every dead letter (of --type, or of all types).',
  joinsLocalUp: true,
  settings: ['apiUrl', 'apiToken'],
  flags: {
    type: { type: 'string', short: 't', doc: 'Only this job type.' },
    all: { type: 'boolean', doc: 'With retry or purge: every dead letter.' },
    limit: { type: 'string', doc: 'With list: how many.', default: '50' },
  },
  async run({ config, positionals, flags }) {
    const client = new WorkmeshClient(clientOptions(config));
    const [action = 'list', id, ...extra] = positionals;
    const type = typeof flags.type === 'string' ? flags.type : undefined;
    const bad = (why: string): WorkmeshError =>
      new WorkmeshError('WM_ERR_CLI_USAGE', `${why}\nUsage: workmesh ${usage}`);
    if (extra.length > 0) throw bad('too many arguments');
    const print = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);
    switch (action) {
      case 'list': {
        const page = await client.dead({
          ...(type ? { type } : {}),
          limit: Number(flags.limit ?? 50),
        });
        for (const job of page.jobs) print(job);
        process.stderr.write(`${page.jobs.length} of ${page.total} dead letter(s)\n`);
        return 0;
      }
      case 'show':
        if (!id) throw bad('show needs a callback id');
        print(await client.status(id));
        return 0;
      case 'retry':
      case 'purge': {
        if (flags.all === true) {
          print(
            action === 'retry' ? await client.retryAllDead(type) : await client.purgeAllDead(type),
          );
          return 0;
        }
        if (!id) throw bad(`${action} needs a callback id or --all`);
        print(action === 'retry' ? await client.retryDead(id) : await client.purgeDead(id));
        return 0;
      }
      default:
        throw bad(`unknown action ${JSON.stringify(action)}`);
    }
  },
};
