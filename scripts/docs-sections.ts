import { readFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import { options, type OptionSpec } from '../src/config/index.js';
import { catalogue } from '../src/errors/index.js';
import { JOB_FIELDS } from '../src/queue/index.js';
import { CHANNEL_DOCS, KEY_DOCS, SCRIPT_NAMES, scriptSources } from '../src/redis/index.js';

/**
 * The generated parts of the docs: each lives between `<!-- generated:NAME -->` and
 * `<!-- /generated:NAME -->` in its file. `npm run docs:gen` writes them; a test checks them.
 */

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function formatDefault(value: OptionSpec['default']): string {
  if (value === undefined) return '(unset)';
  if (Array.isArray(value)) return value.length ? value.join(',') : '(empty)';
  return `\`${String(value)}\``;
}

function errorsTable(): string {
  const rows = Object.entries(catalogue).map(
    ([code, spec]) =>
      `| \`${code}\` | ${spec.status} | ${spec.retryable ? 'yes' : 'no'} | ${cell(spec.description)} |`,
  );
  return ['| code | HTTP | retryable | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

function configTable(): string {
  const rows = (options as readonly OptionSpec[]).map(
    (o) => `| \`${o.env}\` | \`--${o.flag}\` | ${formatDefault(o.default)} | ${cell(o.doc)} |`,
  );
  return ['| variable | flag | default | meaning |', '| --- | --- | --- | --- |', ...rows].join(
    '\n',
  );
}

function keysTable(): string {
  const rows = KEY_DOCS.map((k) => `| \`${k.pattern}\` | ${k.type} | ${cell(k.holds)} |`);
  return ['| key | type | holds |', '| --- | --- | --- |', ...rows].join('\n');
}

function channelsTable(): string {
  const rows = CHANNEL_DOCS.map((c) => `| \`${c.pattern}\` | ${cell(c.holds)} |`);
  return ['| channel | carries |', '| --- | --- |', ...rows].join('\n');
}

function fieldsTable(): string {
  const rows = Object.entries(JOB_FIELDS).map(([f, doc]) => `| \`${f}\` | ${cell(doc)} |`);
  return ['| field | holds |', '| --- | --- |', ...rows].join('\n');
}

function scriptHeaders(): string {
  return SCRIPT_NAMES.map((name) => {
    const source = scriptSources().get(name) ?? '';
    const header = /--\[\[\n([\s\S]*?)\]\]/.exec(source)?.[1] ?? '';
    return `### \`${name}.lua\`\n\n\`\`\`text\n${header.replace(/^ {2}/gm, '').trimEnd()}\n\`\`\``;
  }).join('\n\n');
}

export function sections(): Record<string, Record<string, string>> {
  return {
    'docs/errors.md': { errors: errorsTable() },
    'docs/configuration.md': { options: configTable() },
    'docs/protocol.md': {
      keys: keysTable(),
      channels: channelsTable(),
      'job-fields': fieldsTable(),
      scripts: scriptHeaders(),
    },
  };
}

/** The text with each generated section replaced by its current content. */
export function applySections(text: string, parts: Record<string, string>, file: string): string {
  let out = text;
  for (const [name, content] of Object.entries(parts)) {
    const re = new RegExp(`(<!-- generated:${name} -->\\n)[\\s\\S]*?(<!-- /generated:${name} -->)`);
    if (!re.test(out)) throw new Error(`${file} has no generated:${name} section`);
    out = out.replace(re, (_m, open: string, close: string) => `${open}${content}\n${close}`);
  }
  return out;
}

export function currentText(file: string): string {
  return readFileSync(file, 'utf8');
}

/** The file as it should be: sections regenerated, then formatted like the rest (prettier). */
export async function regenerated(file: string, parts: Record<string, string>): Promise<string> {
  const options = (await resolveConfig(file)) ?? {};
  return format(applySections(currentText(file), parts, file), { ...options, filepath: file });
}
