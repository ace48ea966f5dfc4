import { WorkmeshClient } from '../../client/index.js';
import { drawTree } from '../../flow/index.js';
import { clientOptions } from '../client-options.js';
import { onlyArgument, type Command } from '../command.js';

export const flowCommand: Command = {
  name: 'flow',
  summary: "Draw a flow's tree (or a chain's) with each node's status and value.",
  usage: 'flow <flow-id> [options]',
  description:
    "The flow's id is its root's callback id (POST /api/flows answers it). Exit code: 0 found, 1 not found.",
  joinsLocalUp: true,
  settings: ['apiUrl', 'apiToken'],
  async run({ config, positionals }) {
    const id = onlyArgument(flowCommand, positionals, '<flow-id>');
    const tree = await new WorkmeshClient(clientOptions(config)).flow(id);
    process.stdout.write(drawTree(tree));
    return 0;
  },
};
