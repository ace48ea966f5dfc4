import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * A `workmesh <name>` process (api, worker) for a bench case, and its ready message: the API's
 * URL, or a worker's node id.
 */
export function cliRole(
  name: string,
  env: Record<string, string>,
): { child: ChildProcess; ready: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), name], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ready = new Promise<string>((resolve) =>
    child.on('message', (m: { kind: string; url?: string; nodeId: string }) => {
      if (m.kind === 'ready') resolve(m.url ?? m.nodeId);
    }),
  );
  return { child, ready };
}
