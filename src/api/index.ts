export { buildApi } from './server.js';
export { startApi, type ApiHandle } from './start.js';
export type { ApiContext } from './context.js';
export { JobWatcher } from './job-watcher.js';
export { installErrorHandlers } from './error-handler.js';
export { withRedis } from './redis-guard.js';
export { listenOn } from './listen.js';
