import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isWorkmeshError } from '../src/errors/index.js';
import { createRegistry, permuteString } from '../src/jobs/index.js';
import { ROOT } from './helpers/processes.js';
import { tempDir } from './helpers/temp-dir.js';

const settings = { permuteDelayMs: 0 };

describe('job types', () => {
  it('permute keeps every character, surrogate pairs included', () => {
    const input = 'aab🎉c';
    for (let i = 0; i < 50; i++) {
      assert.deepEqual(Array.from(permuteString(input)).sort(), Array.from(input).sort());
    }
  });

  it('permute actually permutes', () => {
    const seen = new Set(Array.from({ length: 50 }, () => permuteString('abcdef')));
    assert.ok(seen.size > 10);
  });

  it('loads user job modules next to the built-ins', async () => {
    const registry = await createRegistry(settings, [join(ROOT, 'test/fixtures/jobs.ts')]);
    assert.deepEqual(
      registry
        .list()
        .map((d) => d.name)
        .sort(),
      [
        'boom',
        'chatty',
        'crash',
        'flaky',
        'hash',
        'hold',
        'permute',
        'record',
        'stall',
        'steps',
        'text-stats',
      ],
    );
  });

  it('validates data against the type schema', async () => {
    const registry = await createRegistry(settings);
    assert.equal(registry.validate('hash', { text: 'x' }).name, 'hash');
    assert.throws(
      () => registry.validate('hash', { text: 'x', other: 1 }),
      (e: unknown) => isWorkmeshError(e, 'WM_ERR_JOB_INVALID_DATA'),
    );
    assert.throws(
      () => registry.validate('nope', 'x'),
      (e: unknown) => isWorkmeshError(e, 'WM_ERR_JOB_UNKNOWN_TYPE'),
    );
  });

  it('refuses a module with a bad definition, saying why', async (t) => {
    const dir = tempDir('jobs', t);
    const cases: [string, RegExp][] = [
      [
        'export default { name: "Bad Name", input: {}, handler() {} };',
        /name "Bad Name" must match/,
      ],
      ['export default { name: "ok", input: {} };', /handler is not a function/],
      ['export const other = 1;', /exports neither `default` nor `jobs` \(it exports other\)/],
      ['export default [];', /defines no job types/],
      ['export default [{ name: "permute", input: {}, handler() {} }];', /defined twice/],
      ['throw new Error("broken module");', /cannot import \(broken module\)/],
    ];
    for (const [i, [source, why]] of cases.entries()) {
      const file = join(dir, `m${i}.mjs`);
      writeFileSync(file, source);
      await assert.rejects(
        createRegistry(settings, [file]),
        (e: unknown) => isWorkmeshError(e, 'WM_ERR_JOB_DEFINITION_INVALID') && why.test(e.message),
      );
    }
  });

  it('says which names a TypeScript module of a CommonJS project exports instead of a default', async (t) => {
    const dir = tempDir('jobs', t);
    writeFileSync(join(dir, 'package.json'), '{"type": "commonjs"}');
    const file = join(dir, 'named.ts');
    writeFileSync(
      file,
      'export const resize = { name: "resize", input: {}, handler: (d: unknown) => d };',
    );
    await assert.rejects(
      createRegistry(settings, [file]),
      (e: unknown) =>
        isWorkmeshError(e, 'WM_ERR_JOB_DEFINITION_INVALID') &&
        /exports neither `default` nor `jobs` \(it exports resize\)/.test(e.message),
    );
    // Another file: a process imports a module once (Node caches it by its URL).
    const fixed = join(dir, 'fixed.ts');
    writeFileSync(
      fixed,
      'export default [{ name: "resize", input: {}, handler: (d: unknown) => d }];',
    );
    const registry = await createRegistry(settings, [fixed]);
    assert.ok(registry.get('resize'));
  });

  it('accepts a factory export that reads the settings', async (t) => {
    const dir = tempDir('jobs', t);
    const file = join(dir, 'factory.mjs');
    writeFileSync(
      file,
      'export default (s) => ({ name: "delay", description: "", input: {}, handler: () => s.permuteDelayMs });',
    );
    const registry = await createRegistry({ permuteDelayMs: 42 }, [file]);
    const def = registry.get('delay');
    assert.equal(await def?.handler(null, {} as never), 42);
  });
});
