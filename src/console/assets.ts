import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The console's files, read once at start; only these names are ever served. */
const FILES = {
  'index.html': 'text/html; charset=utf-8',
  'login.html': 'text/html; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'topology.js': 'text/javascript; charset=utf-8',
  'queues.js': 'text/javascript; charset=utf-8',
  'jobs.js': 'text/javascript; charset=utf-8',
  'history.js': 'text/javascript; charset=utf-8',
  'history.css': 'text/css; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'jobs.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
} as const;

/**
 * Files of packages the console uses, served from its own origin like its own files (its
 * content security policy allows nothing else): uPlot draws the metrics history.
 */
const VENDORED = {
  'uPlot.iife.min.js': ['uplot/dist/uPlot.iife.min.js', 'text/javascript; charset=utf-8'],
  'uPlot.min.css': ['uplot/dist/uPlot.min.css', 'text/css; charset=utf-8'],
} as const;

export type AssetName = keyof typeof FILES | keyof typeof VENDORED;

export interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

export function loadAssets(): Map<string, Asset> {
  const dir = new URL('./assets/', import.meta.url);
  const out = new Map<string, Asset>();
  for (const [name, type] of Object.entries(FILES)) {
    out.set(name, { body: readFileSync(new URL(name, dir)), type });
  }
  const require = createRequire(import.meta.url);
  for (const [name, [path, type]] of Object.entries(VENDORED)) {
    out.set(name, { body: readFileSync(require.resolve(path)), type });
  }
  return out;
}
