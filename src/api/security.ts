import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, preValidationHookHandler } from 'fastify';
import { TokenSet, authorize, bearerToken, ownedBy, type Principal } from '../auth/index.js';
import { WorkmeshError } from '../errors/index.js';
import { JOB_ID_RE } from '../redis/index.js';
import type { ApiContext } from './context.js';
import { redisRateLimitStore } from './rate-limit-store.js';
import { ROUTE_SCOPES, routeScope } from './route-scopes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The token's tenant and scopes; undefined when the API has no tokens. */
    principal?: Principal;
  }
}

/** The tenant a new job is bound to, or undefined when tokens are off. */
export function tenantOf(request: FastifyRequest): string | undefined {
  return request.principal?.tenant;
}

/** Fails when a JSON value nests deeper than maxDepth or holds more than maxKeys keys and items. */
export function checkJsonShape(value: unknown, maxDepth: number, maxKeys: number): void {
  countKeys(value, 1, maxDepth, maxKeys, 0);
}

/**
 * The keys and items counted so far, once value is walked (depth first, no stack of its own:
 * the walk stops at maxDepth, so its recursion does too).
 */
function countKeys(
  value: unknown,
  depth: number,
  maxDepth: number,
  maxKeys: number,
  counted: number,
): number {
  if (typeof value !== 'object' || value === null) return counted;
  if (depth > maxDepth) {
    throw new WorkmeshError(
      'WM_ERR_API_BODY_TOO_COMPLEX',
      `JSON body nests deeper than ${maxDepth} levels`,
    );
  }
  const children = Array.isArray(value) ? (value as unknown[]) : Object.values(value);
  let keys = counted + children.length;
  if (keys > maxKeys) {
    throw new WorkmeshError(
      'WM_ERR_API_BODY_TOO_COMPLEX',
      `JSON body has more than ${maxKeys} keys and items`,
    );
  }
  for (const child of children) keys = countKeys(child, depth + 1, maxDepth, maxKeys, keys);
  return keys;
}

/** Sets request.principal from the bearer token, or throws 401/403 (404 for a foreign job). */
function authenticate(tokens: TokenSet, request: FastifyRequest): void {
  const scope = routeScope(request.method, request.routeOptions.url);
  if (scope === 'public') return;
  const principal = authorize(tokens, request.headers.authorization, scope);
  request.principal = principal;
  // Another tenant's job is answered as one that does not exist; admin sees every job.
  const id = (request.params as { id?: unknown } | undefined)?.id;
  if (
    typeof id === 'string' &&
    JOB_ID_RE.test(id) &&
    !principal.scopes.has('admin') &&
    !ownedBy(id, principal.tenant)
  ) {
    throw new WorkmeshError('WM_ERR_JOB_NOT_FOUND', `no job ${id}`);
  }
}

/**
 * Authentication, authorization, tenancy, body shape limits, rate limits, CORS and security
 * headers: everything a request passes before its route. Installed before the routes.
 */
export async function installSecurity(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { config } = ctx;
  const tokens = new TokenSet(config.apiTokens);
  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: [...config.corsOrigins],
      methods: ['GET', 'POST', 'PUT', 'DELETE'],
    });
  }
  if (config.rateLimitPerMin > 0) {
    await app.register(rateLimit, {
      max: config.rateLimitPerMin,
      timeWindow: 60_000,
      // Counted in Redis, so the limit holds across API processes (--procs, replicas).
      store: redisRateLimitStore(ctx.redis, ctx.keys, ctx.redisTimeoutMs),
      // Redis away: let the request through rather than fail it for the limiter's sake.
      skipOnError: true,
      // Before authentication, so failed attempts count too: a valid token is its own
      // bucket, anything else its client address.
      hook: 'onRequest',
      keyGenerator: (request) => {
        const token = bearerToken(request.headers.authorization);
        const principal = token === undefined ? undefined : tokens.lookup(token);
        return principal ? `t:${principal.tokenId}` : `a:${request.ip}`;
      },
      allowList: (request) => routeScope(request.method, request.routeOptions.url) === 'public',
      errorResponseBuilder: (_request, context) =>
        new WorkmeshError(
          'WM_ERR_API_RATE_LIMITED',
          `rate limit of ${context.max} requests per minute reached; retry in ${context.after}`,
        ),
    });
  }
  // A body's shape is checked on the routes that can have one: GET and HEAD never do, and a
  // status read then runs no preValidation hook at all.
  const checkShape: preValidationHookHandler = (request, _reply, done) => {
    try {
      if (typeof request.body === 'object' && request.body !== null) {
        checkJsonShape(request.body, config.maxJsonDepth, config.maxJsonKeys);
      }
      done();
    } catch (err) {
      done(err as Error);
    }
  };
  // Per route, so it runs after the rate limiter's own per-route hook: refused attempts count.
  app.addHook('onRoute', (route) => {
    // A route may take several methods (a static files plugin: HEAD and GET).
    const methods = [route.method].flat();
    for (const method of methods) {
      const key = `${method === 'HEAD' ? 'GET' : method} ${route.url}`;
      if (ROUTE_SCOPES[key] === undefined) {
        throw new Error(`route ${key} has no scope in src/api/route-scopes.ts`);
      }
    }
    if (methods.some((m) => m !== 'GET' && m !== 'HEAD')) {
      // First, as an app-wide hook would run: before the route's own.
      route.preValidation = [
        checkShape,
        ...(route.preValidation ? [route.preValidation].flat() : []),
      ];
    }
    if (!tokens.enabled) return;
    const existing = route.onRequest === undefined ? [] : [route.onRequest].flat();
    route.onRequest = [
      ...existing,
      (request, reply, done) => {
        try {
          authenticate(tokens, request);
          done();
        } catch (err) {
          if (err instanceof WorkmeshError && err.status === 401) {
            void reply.header('www-authenticate', 'Bearer realm="workmesh"');
          }
          done(err as Error);
        }
      },
    ];
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    void reply.header('x-content-type-options', 'nosniff');
    void reply.header('x-frame-options', 'DENY');
    void reply.header('referrer-policy', 'no-referrer');
    void reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    done(null, payload);
  });
}
