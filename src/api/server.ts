import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ApiContext } from './context.js';
import { clientErrorHandler, frameworkErrors, installErrorHandlers } from '../http/index.js';
import { installOpenApi } from './openapi.js';
import { LazyRequestLogger } from './request-logger.js';
import { installSecurity } from './security.js';
import { deadRoutes } from './routes/dead.js';
import { jobsRoutes } from './routes/jobs.js';
import { eventsRoutes } from './routes/events.js';
import { metaRoutes } from './routes/meta.js';
import { historyRoutes } from './routes/history.js';
import { metricsRoutes } from './routes/metrics.js';
import { scheduleRoutes } from './routes/schedules.js';
import { queueRoutes } from './routes/queues.js';
import { statusRoutes } from './routes/status.js';
import { workRoutes } from './routes/work.js';
import { flowRoutes } from './routes/flows.js';
import { batchRoutes } from './routes/batches.js';
import { validatorCompiler } from './validators.js';

/** The HTTP API as a Fastify instance, not yet listening (tests use app.inject()). */
export async function buildApi(ctx: ApiContext, log: Logger): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: log,
    // Per-request lines would dominate the log at thousands of jobs/s.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (logger, bindings, options) =>
      new LazyRequestLogger(logger, bindings, options),
    bodyLimit: ctx.config.maxBodyBytes,
    frameworkErrors,
    clientErrorHandler,
  }) as unknown as FastifyInstance;
  await installApi(app, ctx);
  return app;
}

/**
 * The API's routes, checks and error answers on an app: its own (buildApi), or a context of
 * someone's Fastify app (plugin: true; their 404 handler and server options stay theirs, the
 * body limit is set per route).
 */
export async function installApi(
  app: FastifyInstance,
  ctx: ApiContext,
  options: { readonly plugin?: boolean } = {},
): Promise<void> {
  if (options.plugin) {
    app.addHook('onRoute', (route) => {
      route.bodyLimit ??= ctx.config.maxBodyBytes;
    });
  }
  app.setValidatorCompiler(validatorCompiler());
  // Work is JSON or a query string; anything else gets 415 instead of a guess.
  app.removeContentTypeParser('text/plain');
  installErrorHandlers(app, { notFound: !options.plugin });
  await installSecurity(app, ctx);
  await installOpenApi(app);
  workRoutes(app, ctx);
  flowRoutes(app, ctx);
  batchRoutes(app, ctx);
  statusRoutes(app, ctx);
  deadRoutes(app, ctx);
  jobsRoutes(app, ctx);
  queueRoutes(app, ctx);
  eventsRoutes(app, ctx);
  metaRoutes(app, ctx);
  metricsRoutes(app, ctx);
  historyRoutes(app, ctx);
  scheduleRoutes(app, ctx);
}
