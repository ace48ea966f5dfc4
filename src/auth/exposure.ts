import { isLoopback } from './loopback.js';
import type { Config } from '../config/index.js';
import { WorkmeshError } from '../errors/index.js';
import type { Logger } from '../log/index.js';

/*
 * A server reachable from other machines must not answer strangers: without tokens, or with
 * the public development secret signing cluster messages and webhooks, it does not start,
 * unless `--insecure` says this is a lab (and the log says so on every start).
 */

/** Beyond loopback: refuses the public development secret (warns with --insecure). */
export function refuseWithoutSecret(config: Config, what: string, log?: Logger): void {
  if (isLoopback(config.host) || config.clusterSecret !== undefined) return;
  if (!config.insecure) {
    throw new WorkmeshError(
      'WM_ERR_CONFIG_INSECURE',
      `the ${what} would listen on ${config.host}, beyond this machine, with cluster messages and webhooks signed by the public development secret. Set WORKMESH_CLUSTER_SECRET (the same on every node; openssl rand -base64 32), or pass --insecure for a lab`,
    );
  }
  log?.warn({ host: config.host }, 'INSECURE: WORKMESH_CLUSTER_SECRET is not set');
}

/** Beyond loopback: refuses to serve without API tokens or without a cluster secret. */
export function refuseInsecure(config: Config, what: string, log: Logger): void {
  if (isLoopback(config.host)) return;
  if (config.apiTokens.length === 0) {
    if (!config.insecure) {
      throw new WorkmeshError(
        'WM_ERR_CONFIG_INSECURE',
        `the ${what} would listen on ${config.host}, beyond this machine, without tokens. Set WORKMESH_API_TOKENS (docs/security.md), listen on 127.0.0.1, or pass --insecure for a lab`,
      );
    }
    log.warn(
      { host: config.host },
      `INSECURE: the ${what} listens beyond loopback without tokens; anyone who reaches it can submit, read and delete jobs`,
    );
  }
  refuseWithoutSecret(config, what, log);
}
