import { WorkmeshError } from '../../errors/index.js';
import { checkPort } from '../../ports/index.js';
import type { Command } from '../command.js';

function positiveInt(raw: string | boolean | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || Number(raw) === 0) {
    throw new WorkmeshError('WM_ERR_CLI_USAGE', `--${name} must be a positive whole number`);
  }
  return Number(raw);
}

export const portCheckCommand: Command = {
  name: 'port-check',
  summary:
    'Check that a program speaks the port protocol (docs/ports.md); says what it gets wrong.',
  usage: 'port-check [--type T] [--data JSON] [--timeout MS] [--json] -- <program> [args...]',
  description:
    'Starts the program as a worker would (no shell, a chosen environment) and checks: it says hello with protocol 1 and its job types; it answers a job with a well-formed ok or error reply; it answers a second job in the same process; it answers a job of a type it did not announce with an error reply; it exits when its stdin closes. Put `--` before the program so its own flags are not read as ours. Exit code: 0 all checks pass, 1 one failed.',
  settings: [],
  flags: {
    type: {
      type: 'string',
      short: 't',
      doc: 'Job type to send (default: the first the program announces).',
    },
    data: { type: 'string', short: 'd', doc: 'Data of the test jobs, as JSON.', default: '{}' },
    timeout: {
      type: 'string',
      doc: 'Milliseconds allowed for the hello and for each reply.',
      default: '10000',
    },
    json: { type: 'boolean', doc: 'Print the report as JSON.' },
  },
  async run({ positionals, flags }) {
    if (positionals.length === 0) {
      throw new WorkmeshError(
        'WM_ERR_CLI_USAGE',
        'port-check needs the program to check; see workmesh port-check --help',
      );
    }
    let data: unknown = {};
    if (typeof flags.data === 'string') {
      try {
        data = JSON.parse(flags.data);
      } catch {
        throw new WorkmeshError('WM_ERR_CLI_USAGE', '--data must be JSON');
      }
    }
    const report = await checkPort({
      command: positionals,
      data,
      timeoutMs: positiveInt(flags.timeout, 'timeout', 10_000),
      ...(typeof flags.type === 'string' ? { type: flags.type } : {}),
    });
    if (flags.json === true) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      const lines = [`port-check: ${positionals.join(' ')}`];
      for (const r of report.results) {
        lines.push(
          `  ${r.ok ? 'ok  ' : 'FAIL'} ${r.name}: ${r.detail}${r.ms === undefined ? '' : ` (${r.ms} ms)`}`,
        );
      }
      if (report.failed > 0 && report.stderr.length > 0) {
        lines.push('  stderr (last lines):', ...report.stderr.map((l) => `    ${l}`));
      }
      lines.push(`${report.passed} passed, ${report.failed} failed`);
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return report.failed === 0 ? 0 : 1;
  },
};
