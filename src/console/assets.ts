import { readFileSync } from 'node:fs';

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
  'style.css': 'text/css; charset=utf-8',
  'jobs.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
} as const;

export type AssetName = keyof typeof FILES;

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
  return out;
}
