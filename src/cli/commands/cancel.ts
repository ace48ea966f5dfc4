import { WorkmeshClient } from '../../client/index.js';
import { clientOptions } from '../client-options.js';
import { onlyArgument, type Command } from '../command.js';

export const cancelCommand: Command = {
  name: 'cancel',
  summary: 'Cancel a job: a queued one never runs, a running one is aborted.',
  usage: 'cancel <callback-id> [options]',
  description: 'Exit code: 0 cancelled, 1 not found or already final.',
  joinsLocalUp: true,
  settings: ['apiUrl', 'apiToken'],
  async run({ config, positionals }) {
    const id = onlyArgument(cancelCommand, positionals, '<callback-id>');
    const result = await new WorkmeshClient(clientOptions(config)).cancel(id);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  },
};
