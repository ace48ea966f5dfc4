import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  WorkmeshError,
  validationCode,
  validationMessage,
  type ErrorCode,
} from '../errors/index.js';
import { REDIS_RETRY_AFTER_SEC, redisErrorOf, redisOutage } from '../redis/index.js';
import { retryKeyOf } from './retry-key.js';

const fastifyCodes: Partial<Record<string, ErrorCode>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'WM_ERR_API_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'WM_ERR_API_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'WM_ERR_API_BAD_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'WM_ERR_API_BAD_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'WM_ERR_API_BAD_REQUEST',
  // Raised by the router, before any route runs (Fastify's frameworkErrors).
  FST_ERR_MAX_PARAM_LENGTH: 'WM_ERR_API_BAD_ID',
  FST_ERR_BAD_URL: 'WM_ERR_API_BAD_REQUEST',
};

/** What a framework error's own message leaves out. */
const hints: Partial<Record<string, string>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE:
    '; send JSON (Content-Type: application/json), or the data in the query string: POST /api/work?data=...',
  FST_ERR_MAX_PARAM_LENGTH: '; a callback id is at most 100 characters',
};

/**
 * Fastify's `frameworkErrors`: a URL the router refuses (bad encoding, a parameter over
 * maxParamLength) answers in workmesh's error form too, not Fastify's own body.
 */
export function frameworkErrors(
  err: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const code = fastifyCodes[err.code] ?? 'WM_ERR_API_BAD_REQUEST';
  const wm = new WorkmeshError(code, `${err.message}${hints[err.code] ?? ''}`);
  request.log.debug({ code: err.code }, wm.message);
  void reply.status(wm.status).send({ error: wm.toJSON() });
}

/**
 * Node's `clientError` (a request it cannot parse): the same error form, written to the
 * socket since no request exists yet.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'the request did not arrive in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'the request headers are too large']
        : [400, 'the request is not valid HTTP'];
  const body = JSON.stringify({ error: { code: 'WM_ERR_API_BAD_REQUEST', message } });
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy(err);
}

/**
 * Maps any error to `{"error": {"code", "message"}}`; a 5xx never shows internals. notFound:
 * false leaves unknown routes to the host app (a plugin mounted in someone's Fastify app).
 */
export function installErrorHandlers(
  app: FastifyInstance,
  { notFound = true }: { readonly notFound?: boolean } = {},
): void {
  app.setErrorHandler((err: FastifyError | WorkmeshError, request, reply) => {
    let wm: WorkmeshError;
    const redisError = redisErrorOf(err);
    if (err instanceof WorkmeshError) wm = err;
    else if (redisError) wm = redisError;
    else if ('validation' in err && err.validation) {
      wm = new WorkmeshError(
        validationCode(err.validation),
        validationMessage(err.validationContext ?? 'request', err.validation),
      );
    } else if (err.code && fastifyCodes[err.code]) {
      wm = new WorkmeshError(fastifyCodes[err.code]!, `${err.message}${hints[err.code] ?? ''}`);
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
  if (!notFound) return;
  app.setNotFoundHandler((request, reply) => {
    const err = new WorkmeshError(
      'WM_ERR_API_ROUTE_NOT_FOUND',
      `no route ${request.method} ${request.url.split('?')[0] ?? ''}`,
    );
    void reply.status(404).send({ error: err.toJSON() });
  });
}
