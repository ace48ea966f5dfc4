import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { VERSION } from '../cluster/index.js';
import { routeScope } from './route-scopes.js';
import { ErrorBody } from './schemas.js';

/** Where the interactive reference (Swagger UI) is served, from the API's own origin. */
export const API_REFERENCE_PATH = '/api/docs';

/**
 * A route schema marked with this takes its body as optional (`POST /api/work?data=...`, the
 * seed's form, has none). @fastify/swagger marks every body required; the document is put
 * right after it is generated.
 */
export const BODY_OPTIONAL = 'x-body-optional';

declare module 'fastify' {
  interface FastifySchema {
    [BODY_OPTIONAL]?: boolean;
  }
}

/** The bearer token scheme of WORKMESH_API_TOKENS, as the document names it. */
const BEARER = 'bearerAuth';

interface RouteSchema {
  hide?: boolean;
  operationId?: string;
  response?: Record<string, unknown>;
  security?: unknown[];
}

/**
 * An operation id for a route that has none of its own: method and path in camel case, path
 * parameters as `By<Name>` (`DELETE /api/work/:id` → `deleteWorkById`), so every operation
 * of the document has one and generated clients get stable method names.
 */
export function operationIdOf(method: string, url: string): string {
  const words = url
    .split('/')
    .filter((part) => part !== '' && part !== 'api')
    .map((part) => (part.startsWith(':') ? `by-${part.slice(1)}` : part))
    .flatMap((part) => part.split(/[^A-Za-z0-9]+/))
    .filter((word) => word !== '');
  return [method.toLowerCase(), ...words]
    .map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1)))
    .join('');
}

/**
 * Completes what the document says of each route, so that standard tools accept it
 * (`redocly lint` with its recommended rules, generators such as openapi-typescript): an
 * operation id; the 4xx and 503 answers every route can give (a bad or missing token, the
 * rate limit, Redis away) where the route did not list them; no security on public routes.
 * Installed before the routes, so routes added later (plugins, new features) get the same.
 */
function completeRoute(route: RouteOptions): void {
  const schema = route.schema as RouteSchema | undefined;
  if (!schema || schema.hide) return;
  const method = [route.method].flat()[0]!;
  schema.operationId ??= operationIdOf(method, route.url);
  const response = (schema.response ??= {});
  if (!Object.keys(response).some((code) => code.startsWith('4'))) response['4xx'] = ErrorBody;
  response[503] ??= ErrorBody;
  if (routeScope(method, route.url) === 'public') schema.security ??= [];
}

/**
 * The OpenAPI document (`GET /api/openapi.json`) and the interactive reference at
 * API_REFERENCE_PATH. The reference's scripts and styles come from the package
 * (@fastify/swagger-ui), served by this API: it loads nothing from elsewhere.
 */
export async function installOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'workmesh API',
        version: VERSION,
        description:
          'Submit slow work, get a callback id, read the result. Errors: docs/errors.md. ' +
          `Interactive reference: ${API_REFERENCE_PATH}.`,
        license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
      },
      servers: [{ url: '/', description: 'The API that serves this document' }],
      components: {
        securitySchemes: {
          [BEARER]: {
            type: 'http',
            scheme: 'bearer',
            description:
              'A token of WORKMESH_API_TOKENS (docs/security.md). An API without tokens answers without one.',
          },
        },
      },
      // Either a token, or none at all (an API without WORKMESH_API_TOKENS).
      security: [{ [BEARER]: [] }, {}],
    },
    transformObject: (doc) => {
      if (!('openapiObject' in doc)) return doc.swaggerObject;
      const { openapiObject } = doc;
      for (const operations of Object.values(openapiObject.paths ?? {})) {
        for (const op of Object.values(operations ?? {}) as Record<string, unknown>[]) {
          if (op[BODY_OPTIONAL] === undefined) continue;
          delete op[BODY_OPTIONAL];
          const body = op.requestBody as { required?: boolean } | undefined;
          if (body) body.required = false;
        }
      }
      return openapiObject;
    },
  });
  app.addHook('onRoute', completeRoute);
  await app.register(swaggerUi, {
    routePrefix: API_REFERENCE_PATH,
    uiConfig: { validatorUrl: null, deepLinking: true },
    // Its own policy (the API's default allows nothing): scripts by hash and from this origin
    // only. Styles from this origin and inline: Swagger UI sets style attributes as it draws
    // (a hash cannot allow those). No https: sources and no upgrade of requests to https,
    // which would break an API served over plain HTTP.
    staticCSP: true,
    transformStaticCSP: (header) =>
      header
        .replace(/upgrade-insecure-requests;?/, '')
        .replace(/ validator\.swagger\.io/, '')
        .replace(/ https:/g, '')
        .replace(/style-src [^;]*;/, "style-src 'self' 'unsafe-inline';"),
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, () => app.swagger());
}
