import type { Logger } from '../log/index.js';
import { WorkmeshError, isWorkmeshError } from '../errors/index.js';

/** Messages a role process sends to its parent (`workmesh up`) over the IPC channel. */
export type ParentMessage =
  | {
      readonly kind: 'ready';
      readonly role: string;
      readonly nodeId: string;
      readonly url?: string;
    }
  | { readonly kind: 'error'; readonly code: string; readonly message: string };

export function tellParent(message: ParentMessage): void {
  if (process.send && process.connected) process.send(message);
}

let stopHandler: ((reason: string) => void) | undefined;

/**
 * Stops this process as a signal would, with the reason logged as given (a `stop` call from
 * the console is not a SIGTERM); a signal when stopOnSignals is not listening yet.
 */
export function stopSelf(reason: string): void {
  if (stopHandler) stopHandler(reason);
  else process.kill(process.pid, 'SIGTERM');
}

/**
 * Runs until SIGINT or SIGTERM (or until the parent `up` process goes away), then stops
 * gracefully; a second signal exits at once.
 */
export function stopOnSignals(stop: () => Promise<void>, log: Logger): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (reason: string): void => {
      if (stopping) {
        log.warn({ reason }, 'second signal: exiting now');
        process.exit(130);
      }
      stopping = true;
      log.info({ reason }, 'stopping');
      stop().then(resolve, (err: unknown) => {
        log.error({ err }, 'error while stopping');
        resolve();
      });
    };
    stopHandler = onSignal;
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    // A parent may ask over IPC instead of signalling (`api --procs`): one request, no force.
    process.on('message', (message: { kind?: string } | null) => {
      if (message?.kind === 'stop' && !stopping) onSignal('asked by parent');
    });
    if (process.send) {
      process.on('disconnect', () => {
        if (!stopping) onSignal('parent exited');
      });
    }
  });
}

/** What to do about an error the command line gets from the API. */
const HINTS: Partial<Record<string, string>> = {
  WM_ERR_AUTH_REQUIRED:
    'The API wants a token: set WORKMESH_TOKEN (or pass --token) to one of its WORKMESH_API_TOKENS.',
  WM_ERR_AUTH_INVALID:
    'The API does not know this token: check WORKMESH_TOKEN (or --token) against its WORKMESH_API_TOKENS.',
  WM_ERR_AUTH_FORBIDDEN:
    "The token's scopes do not allow this: see the scopes of WORKMESH_API_TOKENS in docs/security.md.",
};

/** Prints a WorkmeshError as one clear line (code + message), anything else with its stack. */
export function reportError(err: unknown): number {
  // Refused credentials are a setting to fix, not a crash to debug.
  if (err instanceof Error && /^(WRONGPASS|NOAUTH|NOPERM)\b/.test(err.message)) {
    err = new WorkmeshError(
      'WM_ERR_REDIS_AUTH',
      `Redis refused this connection: ${err.message} Check the user and password in REDIS_URL (redis://user:password@host:port) and the user's ACL.`,
    );
  }
  if (isWorkmeshError(err)) {
    const hint = HINTS[err.code] ?? '';
    process.stderr.write(`workmesh: ${err.message} [${err.code}]${hint ? `\n${hint}` : ''}\n`);
    tellParent({ kind: 'error', code: err.code, message: err.message });
    return err.code === 'WM_ERR_CLI_USAGE' || err.code === 'WM_ERR_CONFIG_INVALID' ? 2 : 1;
  }
  process.stderr.write(
    `workmesh: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  tellParent({ kind: 'error', code: 'WM_ERR_INTERNAL', message: String(err) });
  return 1;
}
