import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  SCRIPT_NAMES,
  assembleScript,
  declaredIncludes,
  scriptSources,
} from '../src/redis/index.js';
import { ROOT } from './helpers/processes.js';

// Each Lua script names the libraries it includes in its header's `Includes` row (issue 18,
// item 4); the loader puts exactly those in front, never guessing from the code.
const LIB_DIR = `${ROOT}src/redis/lua/lib/`;
const libSources = new Map(
  readdirSync(LIB_DIR).map((f) => [`lib/${f}`, readFileSync(LIB_DIR + f, 'utf8')]),
);
const read = (path: string): string | undefined => libSources.get(path);

/** The functions each library defines at its top level. */
const libFunctions = new Map(
  [...libSources].map(([path, src]) => [
    path,
    [...src.matchAll(/^local function ([a-z_]+)\(/gm)].map((m) => m[1]!),
  ]),
);

/** The libraries whose functions the code calls (comments and own definitions left out). */
function libsCalledBy(source: string, self?: string): Set<string> {
  const code = source.replace(/--\[\[[\s\S]*?\]\]/g, '').replace(/--.*$/gm, '');
  const used = new Set<string>();
  for (const [path, fns] of libFunctions) {
    if (path === self) continue;
    if (fns.some((fn) => new RegExp(`(?<![\\w.:])${fn}\\(`).test(code))) used.add(path);
  }
  return used;
}

describe('Lua includes', () => {
  it('every script and library includes exactly the libraries whose functions it calls', () => {
    const all = [
      ...SCRIPT_NAMES.map((n) => [`${n}.lua`, scriptSources().get(n)!] as const),
      ...[...libSources].map(([path, src]) => [path, src] as const),
    ];
    for (const [name, source] of all) {
      assert.deepEqual(
        new Set(declaredIncludes(source)),
        libsCalledBy(source, name),
        `${name}: its header's Includes row`,
      );
    }
  });

  it('the loader puts the named libraries in front, each once, a library after its own includes', () => {
    const finish = assembleScript('finish', scriptSources().get('finish')!);
    const claim = assembleScript('claim', scriptSources().get('claim')!);
    const renew = assembleScript('renew', scriptSources().get('renew')!);
    const bury = assembleScript('bury', scriptSources().get('bury')!);
    const at = (text: string, lib: string): number => text.indexOf(libSources.get(lib)!);
    assert.ok(at(finish, 'lib/batch.lua') === 0 && at(finish, 'lib/events.lua') > 0);
    assert.ok(at(claim, 'lib/events.lua') === 0);
    assert.ok(at(claim, 'lib/start-entry.lua') > 0);
    assert.equal(claim.split(libSources.get('lib/events.lua')!).length, 2, 'events.lua once');
    assert.equal(at(renew, 'lib/events.lua'), -1, 'renew does not include events.lua');
    assert.equal(bury, scriptSources().get('bury'), 'a script without includes is sent as is');
  });

  it('an include that is not a library under lua/lib/ is an error at load, naming it', () => {
    const script = (row: string): string => `--[[\n  x: a test script.\n\n  ${row}\n]]\nreturn 1\n`;
    assert.throws(
      () => assembleScript('x', script('Includes    lib/events.lua, lib/nope.lua'), read),
      /x\.lua includes lib\/nope\.lua: no such file/,
    );
    assert.throws(
      () => assembleScript('x', script('Includes    ../scripts.ts'), read),
      /includes \.\.\/scripts\.ts/,
    );
    const nested = (path: string) =>
      path === 'lib/a.lua' ? '-- a\n-- Includes    lib/gone.lua\nlocal x = 1\n' : read(path);
    assert.throws(
      () => assembleScript('x', script('Includes    lib/a.lua'), nested),
      /lib\/a\.lua includes lib\/gone\.lua/,
    );
    const cyclic = (path: string) =>
      `-- Includes    ${path === 'lib/a.lua' ? 'lib/b.lua' : 'lib/a.lua'}\n`;
    assert.throws(() => assembleScript('x', script('Includes    lib/a.lua'), cyclic), /cycle/);
  });

  it('a word "Includes" in the code below the header includes nothing', () => {
    const source = `--[[\n  x: a test script.\n]]\n-- Includes    lib/events.lua\nreturn 1\n`;
    assert.deepEqual(declaredIncludes(source), []);
    assert.equal(assembleScript('x', source, read), source);
  });
});
