import { WorkmeshClient } from '../../client/index.js';
import { WorkmeshError } from '../../errors/index.js';
import type { Command } from '../command.js';

export const cancelCommand: Command = {
  name: 'cancel',
  summary: 'Cancel a job: a queued one never runs, a running one is aborted.',
  usage: 'cancel <callback-id> [options]',
  description: 'Exit code: 0 cancelled, 1 not found or already final.',
  settings: ['apiUrl'],
  async run({ config, positionals }) {
    const [id, ...extra] = positionals;
    if (id === undefined || extra.length > 0) {
      throw new WorkmeshError(
        'WM_ERR_CLI_USAGE',
        'cancel takes exactly one <callback-id>; see workmesh cancel --help',
      );
    }
    const result = await new WorkmeshClient({ baseUrl: config.apiUrl }).cancel(id);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  },
};
