/** What the API and the console servers share: the Redis guard, listening, errors, retry keys. */
export { withRedis } from './redis-guard.js';
export { listenOn } from './listen.js';
export { installErrorHandlers, frameworkErrors, clientErrorHandler } from './error-handler.js';
export { setRetryKey, retryKeyOf, mintRetryKey, mintedValue } from './retry-key.js';
