import type { ClientOptions } from '../client/index.js';
import type { Config } from '../config/index.js';

/** How CLI commands reach the API: its URL, and the token when one is configured. */
export function clientOptions(config: Config): ClientOptions {
  return config.apiToken === undefined
    ? { baseUrl: config.apiUrl }
    : { baseUrl: config.apiUrl, token: config.apiToken };
}
