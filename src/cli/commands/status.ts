import { WorkmeshClient } from '../../client/index.js';
import { clientOptions } from '../client-options.js';
import { onlyArgument, type Command } from '../command.js';

export const statusCommand: Command = {
  name: 'status',
  summary: 'Print the status of a job by its callback id.',
  usage: 'status <callback-id> [options]',
  description: 'Exit code: 0 found, 1 not found (unknown, or its result TTL has passed).',
  joinsLocalUp: true,
  settings: ['apiUrl', 'apiToken'],
  async run({ config, positionals }) {
    const id = onlyArgument(statusCommand, positionals, '<callback-id>');
    const state = await new WorkmeshClient(clientOptions(config)).status(id);
    process.stdout.write(`${JSON.stringify(state)}\n`);
    return 0;
  },
};
