import type { FastifyError, FastifyInstance } from 'fastify';
import { WorkmeshError, type ErrorCode } from '../errors/index.js';
import { REDIS_RETRY_AFTER_SEC, redisErrorOf, redisOutage } from '../redis/index.js';
import { retryKeyOf } from './retry-key.js';

const fastifyCodes: Partial<Record<string, ErrorCode>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'WM_ERR_API_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'WM_ERR_API_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'WM_ERR_API_BAD_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'WM_ERR_API_BAD_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'WM_ERR_API_BAD_REQUEST',
};

/** Maps any error to `{"error": {"code", "message"}}`; a 5xx never shows internals. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | WorkmeshError, request, reply) => {
    let wm: WorkmeshError;
    const redisError = redisErrorOf(err);
    if (err instanceof WorkmeshError) wm = err;
    else if (redisError) wm = redisError;
    else if ('validation' in err && err.validation) {
      wm = new WorkmeshError('WM_ERR_API_BAD_REQUEST', err.message);
    } else if (err.code && fastifyCodes[err.code]) {
      wm = new WorkmeshError(fastifyCodes[err.code]!, err.message);
    } else if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      wm = new WorkmeshError('WM_ERR_API_BAD_REQUEST', err.message);
    } else {
      request.log.error({ err }, 'unexpected error');
      wm = new WorkmeshError('WM_ERR_INTERNAL', 'internal error; see the server log');
    }
    // Redis away: one line per outage for the process, not one per refused request.
    const outage = redisOutage.failed(request.log, 'request', wm);
    if (!outage && wm.status >= 500 && wm.code !== 'WM_ERR_INTERNAL')
      request.log.warn({ code: wm.code }, wm.message);
    if (wm.code === 'WM_ERR_REDIS_UNAVAILABLE' || wm.code === 'WM_ERR_REDIS_FULL')
      void reply.header('retry-after', String(REDIS_RETRY_AFTER_SEC));
    // Any 5xx of a write that may have landed: the key that makes resending it safe.
    const retryKey = wm.status >= 500 ? retryKeyOf(request) : undefined;
    if (retryKey !== undefined) {
      void reply.header('idempotency-key', retryKey);
      const body = wm.toJSON();
      void reply
        .status(wm.status)
        .send({ error: { ...body, details: { ...body.details, idempotencyKey: retryKey } } });
      return;
    }
    void reply.status(wm.status).send({ error: wm.toJSON() });
  });
  app.setNotFoundHandler((request, reply) => {
    const err = new WorkmeshError(
      'WM_ERR_API_ROUTE_NOT_FOUND',
      `no route ${request.method} ${request.url.split('?')[0] ?? ''}`,
    );
    void reply.status(404).send({ error: err.toJSON() });
  });
}
