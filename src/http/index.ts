/** What the API and the console servers share: the Redis guard, listening, errors, retry keys. */
export { REDIS_TIMEOUT_MS, withRedis } from './redis-guard.js';
export { listenOn } from './listen.js';
export { installErrorHandlers, frameworkErrors, clientErrorHandler } from './error-handler.js';
export { setRetryKey, retryKeyOf, mintRetryKey, mintedValue } from './retry-key.js';
