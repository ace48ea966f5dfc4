export { buildApi } from './server.js';
export { startApi, type ApiHandle } from './start.js';
export type { ApiContext } from './context.js';
export { workmeshApi, type WorkmeshApiOptions } from './plugin.js';
export type { ApiOptions, StartApiOptions } from './start.js';
