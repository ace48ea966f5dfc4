export { buildApi } from './server.js';
export { startApi, type ApiHandle } from './start.js';
export type { ApiContext } from './context.js';
