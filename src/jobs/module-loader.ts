import { readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Whether a `.js` file is an ES module by its package: the nearest package.json's type. */
function inModulePackage(file: string): boolean {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { type?: string };
      return pkg.type === 'module';
    } catch {
      if (dirname(dir) === dir) return false;
    }
  }
}

/**
 * Imports a `--jobs` module as the README promises it works from any project: TypeScript
 * directly (through tsx, scoped to this import), and a `.js` written with `import`/`export`
 * even in a CommonJS package (a default `npm init` project). Answers its namespace, with the
 * CommonJS wrapping (`module.exports.default`) taken off.
 */
export async function importJobModule(modulePath: string): Promise<Record<string, unknown>> {
  const file = resolve(modulePath);
  const url = pathToFileURL(file).href;
  const ext = extname(file);
  // Node alone takes an .mjs and a .js of an ES-module package; tsx the rest: it reads
  // `import` in a CommonJS package's .js, which Node refuses, and lets CommonJS
  // `require('workmesh/jobs')`, an ES module, which Node 20 refuses.
  const native = ext === '.mjs' || (ext === '.js' && inModulePackage(file));
  const mod = (native ? await import(url) : await viaTsx(url)) as Record<string, unknown>;
  // A CommonJS module (or one tsx compiled to CommonJS) arrives as { default: module.exports }.
  const inner = mod.default;
  if (
    inner !== null &&
    typeof inner === 'object' &&
    !Array.isArray(inner) &&
    ('__esModule' in inner || 'default' in inner || 'jobs' in inner)
  )
    return inner;
  return mod;
}

async function viaTsx(url: string): Promise<Record<string, unknown>> {
  // Loaded only when a module needs it: tsx costs startup time nobody else should pay.
  const { tsImport } = await import('tsx/esm/api');
  return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
}
