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
  'POST /api/work/batch': 'submit',
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
  // A token without admin lists its own tenant's jobs only (routes/jobs.ts).
  'GET /api/jobs': 'read',
  'POST /api/jobs/actions': 'admin',
  // The API's description and its interactive reference (Swagger UI's page and the package's
  // own scripts): no data, and a reference that needs a token to load would not load.
  'GET /api/openapi.json': 'public',
  'GET /api/docs': 'public',
  'GET /api/docs/': 'public',
  'GET /api/docs/json': 'public',
  'GET /api/docs/yaml': 'public',
  'GET /api/docs/static/index.html': 'public',
  'GET /api/docs/static/swagger-initializer.js': 'public',
  'GET /api/docs/static/*': 'public',
  'GET /metrics': 'metrics',
  'GET /api/metrics/history': 'metrics',
  'GET /api/cluster': 'admin',
  'GET /api/monitor': 'admin',
  'GET /api/dead': 'admin',
  'DELETE /api/dead': 'admin',
  'POST /api/dead/retry': 'admin',
  'POST /api/dead/:id/retry': 'admin',
  'DELETE /api/dead/:id': 'admin',
  // Schedules submit jobs on their own from then on: writing one is an admin's act.
  'GET /api/schedules': 'read',
  'GET /api/schedules/:id': 'read',
  'POST /api/schedules': 'admin',
  'DELETE /api/schedules/:id': 'admin',
  'POST /api/schedules/:id/pause': 'admin',
  'POST /api/schedules/:id/resume': 'admin',
  'GET /api/queues': 'admin',
  'GET /api/queues/:type': 'admin',
  'POST /api/queues/:type/pause': 'admin',
  'POST /api/queues/:type/resume': 'admin',
  'PUT /api/queues/:type/limits': 'admin',
};

export function routeScope(method: string, url: string | undefined): Scope | 'public' {
  if (url === undefined) return 'admin';
  return ROUTE_SCOPES[`${method === 'HEAD' ? 'GET' : method} ${url}`] ?? 'admin';
}
