#!/usr/bin/env node
import { VERSION } from '../cluster/index.js';
import { WorkmeshError } from '../errors/index.js';
import { renderHelp, parseCommandArgs, type Command } from './command.js';
import { apiCommand } from './commands/api.js';
import { cancelCommand } from './commands/cancel.js';
import { deadCommand } from './commands/dead.js';
import { jobsCommand } from './commands/jobs.js';
import { scheduleCommand } from './commands/schedule.js';
import { flowCommand } from './commands/flow.js';
import { nodesCommand } from './commands/nodes.js';
import { portCheckCommand } from './commands/port-check.js';
import { pauseCommand, queuesCommand, resumeCommand } from './commands/queues.js';
import { shellCommand } from './commands/shell.js';
import { statusCommand } from './commands/status.js';
import { submitCommand } from './commands/submit.js';
import { sysmonCommand } from './commands/sysmon.js';
import { upCommand } from './commands/up.js';
import { workerCommand } from './commands/worker.js';
import { reportError } from './lifecycle.js';

const commands: readonly Command[] = [
  upCommand,
  apiCommand,
  workerCommand,
  submitCommand,
  statusCommand,
  flowCommand,
  cancelCommand,
  jobsCommand,
  deadCommand,
  scheduleCommand,
  queuesCommand,
  pauseCommand,
  resumeCommand,
  nodesCommand,
  sysmonCommand,
  shellCommand,
  portCheckCommand,
];

function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    'Usage: workmesh <command> [options]',
    '',
    'Slow work off your HTTP API, onto a cluster of workers that share one Redis.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Every option is also an environment variable; `workmesh <command> --help` lists them.',
    'Quick start: `workmesh up`, then `workmesh submit hello --wait`.',
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const target = commands.find((c) => c.name === rest[0]);
    process.stdout.write(`${target ? renderHelp(target) : mainHelp()}\n`);
    return 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    throw new WorkmeshError(
      'WM_ERR_CLI_USAGE',
      `unknown command ${JSON.stringify(name)}; see workmesh --help`,
    );
  }
  const input = parseCommandArgs(command, rest, process.env);
  if (input.help) {
    process.stdout.write(`${renderHelp(command)}\n`);
    return 0;
  }
  return command.run(input);
}

main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.exitCode = reportError(err);
      // A half-started role may hold connections open: do not linger past the report.
      setTimeout(() => process.exit(), 2000).unref();
    },
  )
  .finally(() => {
    // An open IPC channel (when `up` started this process) would keep it alive.
    if (process.connected) process.disconnect();
  });
