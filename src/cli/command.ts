import { parseArgs } from 'node:util';
import {
  loadConfig,
  options as configOptions,
  type Config,
  type OptionSpec,
  type SettingKey,
} from '../config/index.js';
import { WorkmeshError } from '../errors/index.js';
import { withLocalState } from './local-state.js';

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly doc: string;
  readonly default?: string;
}

export interface CommandInput {
  readonly config: Config;
  readonly positionals: readonly string[];
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
}

/** One `workmesh <name>` command: its help is derived from what it declares. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly description?: string;
  /**
   * Keys of the settings (config/options.ts) this command reads; each gets its flag. Typed by
   * the table, so a misspelt key does not compile.
   */
  readonly settings: readonly SettingKey[];
  readonly flags?: Readonly<Record<string, FlagSpec>>;
  /**
   * Given no REDIS_URL (or the same one), it joins the `workmesh up` running from this folder:
   * its Redis, cluster secret, prefix and API come from `<data dir>/up.json` (local-state.ts).
   */
  readonly joinsLocalUp?: boolean;
  /** Resolves to the process exit code. */
  run(input: CommandInput): Promise<number>;
}

function settingSpecs(command: Command): OptionSpec[] {
  return configOptions.filter((o) => command.settings.includes(o.key));
}

function formatDefault(value: OptionSpec['default']): string {
  if (value === undefined) return 'unset';
  if (Array.isArray(value)) return value.length ? value.join(',') : 'empty';
  return String(value);
}

export function renderHelp(command: Command): string {
  const lines = [`Usage: workmesh ${command.usage}`, '', command.summary];
  if (command.description) lines.push('', command.description);
  const rows: [string, string][] = [];
  for (const [name, spec] of Object.entries(command.flags ?? {})) {
    const short = spec.short ? `-${spec.short}, ` : '';
    const arg = spec.type === 'string' ? ' <value>' : '';
    const def = spec.default === undefined ? '' : ` (default ${spec.default})`;
    rows.push([`${short}--${name}${arg}`, spec.doc + def]);
  }
  for (const spec of settingSpecs(command)) {
    rows.push([
      spec.kind === 'bool' ? `--${spec.flag}` : `--${spec.flag} <value>`,
      `${spec.doc} [env ${spec.env}, default ${formatDefault(spec.default)}]`,
    ]);
  }
  rows.push(['-h, --help', 'Show this help.']);
  lines.push('', 'Options:');
  const width = Math.min(30, Math.max(...rows.map((r) => r[0].length)) + 2);
  for (const [left, right] of rows) {
    lines.push(
      `  ${left.padEnd(width)}${left.length >= width ? '\n  ' + ' '.repeat(width) : ''}${right}`,
    );
  }
  return lines.join('\n');
}

/** The one positional argument a command takes, or a usage error naming it. */
export function onlyArgument(
  command: Command,
  positionals: readonly string[],
  what: string,
): string {
  const [value, ...extra] = positionals;
  if (value === undefined || extra.length > 0) {
    throw new WorkmeshError(
      'WM_ERR_CLI_USAGE',
      `${command.name} takes exactly one ${what}; see workmesh ${command.name} --help`,
    );
  }
  return value;
}

/** Parses argv for a command; flags given override the environment. */
export function parseCommandArgs(
  command: Command,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): CommandInput & { help: boolean } {
  const parseOptions: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, spec] of Object.entries(command.flags ?? {})) {
    parseOptions[name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
  }
  const settings = settingSpecs(command);
  for (const spec of settings) {
    parseOptions[spec.flag] = { type: spec.kind === 'bool' ? 'boolean' : 'string' };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: parseOptions,
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new WorkmeshError(
      'WM_ERR_CLI_USAGE',
      `${(err as Error).message}\nSee: workmesh ${command.name} --help`,
    );
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const configFlags: Record<string, string> = {};
  for (const spec of settings) {
    const v = values[spec.flag];
    if (typeof v === 'string') configFlags[spec.flag] = v;
    else if (v === true) configFlags[spec.flag] = 'true';
  }
  return {
    help: values.help === true,
    config: loadConfig(command.joinsLocalUp ? withLocalState(env, configFlags) : env, configFlags),
    positionals: parsed.positionals,
    flags: values,
  };
}
