import type { Scope } from '../auth/index.js';

/**
 * The scope each route needs when tokens are in use, keyed `METHOD /url` as registered.
 * `public` routes answer without a token (probes carry no data). A route missing here needs
 * `admin`: a new route is closed until someone decides otherwise. A test checks every route
 * of the API is listed.
 */
export const ROUTE_SCOPES: Readonly<Record<string, Scope | 'public'>> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  // CORS preflight, when WORKMESH_CORS_ORIGINS is set.
  'OPTIONS *': 'public',
  'POST /api/work': 'submit',
  'DELETE /api/work/:id': 'submit',
  'GET /api/status/:id': 'read',
  'GET /api/events/:id': 'read',
  'POST /api/flows': 'submit',
  'GET /api/flows/:id': 'read',
  'GET /api/flows/:id/events': 'read',
  'DELETE /api/flows/:id': 'submit',
  'POST /api/batches': 'submit',
  'POST /api/batches/:id/jobs': 'submit',
  'POST /api/batches/:id/close': 'submit',
  'GET /api/batches/:id': 'read',
  'GET /api/types': 'read',
  'GET /api/openapi.json': 'read',
  'GET /metrics': 'metrics',
  'GET /api/cluster': 'admin',
  'GET /api/monitor': 'admin',
  'GET /api/dead': 'admin',
  'DELETE /api/dead': 'admin',
  'POST /api/dead/retry': 'admin',
  'POST /api/dead/:id/retry': 'admin',
  'DELETE /api/dead/:id': 'admin',
};

export function routeScope(method: string, url: string | undefined): Scope | 'public' {
  if (url === undefined) return 'admin';
  return ROUTE_SCOPES[`${method === 'HEAD' ? 'GET' : method} ${url}`] ?? 'admin';
}
