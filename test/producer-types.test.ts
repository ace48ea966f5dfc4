import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from './helpers/processes.js';

const FIXTURE = join(ROOT, 'test/fixtures/typed-producer.ts');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const MARK = '// @ts-expect-error';

describe('producer API types', () => {
  // Beside the fixture (its relative imports), removed afterwards.
  const stripped = join(ROOT, `test/fixtures/.typed-producer-${process.pid}.ts`);
  const project = join(ROOT, `test/fixtures/.tsconfig-${process.pid}.json`);
  after(() => {
    rmSync(stripped, { force: true });
    rmSync(project, { force: true });
  });

  it('a wrong type name, data shape, option or value is a compile error', async () => {
    const source = readFileSync(FIXTURE, 'utf8');
    const lines = source.split('\n');
    // The line after each mark is the one that must not compile.
    const expected = lines.flatMap((line, i) => (line.trim().startsWith(MARK) ? [i + 2] : []));
    assert.ok(expected.length >= 7, `${expected.length} marked lines`);
    writeFileSync(stripped, lines.map((l) => (l.trim().startsWith(MARK) ? '' : l)).join('\n'));
    writeFileSync(
      project,
      JSON.stringify({
        extends: '../../tsconfig.json',
        compilerOptions: { noEmit: true, incremental: false },
        files: [FIXTURE, stripped],
        include: [],
      }),
    );
    const out = await promisify(execFile)(process.execPath, [TSC, '-p', project], {
      cwd: ROOT,
    }).then(
      () => '',
      (err: Error & { stdout?: string }) => err.stdout ?? err.message,
    );
    const errors = [...out.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+)/gm)].map((m) => ({
      file: m[1]!,
      line: Number(m[2]),
      code: m[3]!,
    }));
    // The fixture itself compiles: every mark stands over a real error (TS2578 otherwise).
    assert.deepEqual(
      errors.filter((e) => !e.file.includes('.typed-producer-')),
      [],
      out,
    );
    const lineNumbers = [...new Set(errors.map((e) => e.line))].sort((a, b) => a - b);
    assert.deepEqual(lineNumbers, expected, out);
  });
});
