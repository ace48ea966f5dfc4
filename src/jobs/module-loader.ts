import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Errors of a module Node cannot load by itself, though tsx can: TypeScript, `import` in a
 * CommonJS package's `.js`, `require()` of an ES module. Raised before the module's own code
 * runs, so trying Node first has no side effect.
 */
const NEEDS_TSX = new Set([
  'ERR_UNKNOWN_FILE_EXTENSION',
  'ERR_REQUIRE_ESM',
  'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX',
]);

function needsTsx(err: unknown): boolean {
  const { code, message } = err as { code?: string; message?: string };
  if (code !== undefined && NEEDS_TSX.has(code)) return true;
  return (
    err instanceof SyntaxError &&
    /import statement outside a module|Unexpected token 'export'/.test(message ?? '')
  );
}

/**
 * Imports a `--jobs` module as the README promises it works from any project: TypeScript
 * directly (through tsx, scoped to this import), and a `.js` written with `import`/`export`
 * even in a CommonJS package (a default `npm init` project). Answers its namespace, with the
 * CommonJS wrapping (`module.exports.default`) taken off.
 */
export async function importJobModule(modulePath: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(resolve(modulePath)).href;
  // Node first: a process already running TypeScript (tsx, Node's own type stripping) loads
  // the module into the one module graph it has. Through tsx's scoped loader, a module that
  // imports the sources would load a second copy of them (end to end 15k -> 11k jobs/s in
  // npm run bench, whose job module does).
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    if (!needsTsx(err)) throw err;
    mod = await viaTsx(url);
  }
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
