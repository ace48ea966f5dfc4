import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { installErrorHandlers } from '../http/index.js';
import type { Logger } from '../log/index.js';
import { loadAssets } from './assets.js';
import { consoleGate } from './auth.js';
import type { ConsoleContext } from './context.js';
import { installSecurityHeaders } from './headers.js';
import { actionRoutes } from './routes/actions.js';
import { dataRoutes } from './routes/data.js';
import { jobsRoutes } from './routes/jobs.js';
import { historyRoutes } from './routes/history.js';
import { pageRoutes } from './routes/pages.js';

/** The web console as a Fastify instance, not yet listening (tests use app.inject()). */
export function buildConsole(ctx: ConsoleContext, log: Logger): FastifyInstance {
  const app = Fastify({
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1_048_576,
  }) as unknown as FastifyInstance;
  installConsole(app, ctx);
  return app;
}

/**
 * The console's pages, data and actions on an app: its own (buildConsole), or a context of
 * someone's Fastify app (plugin: true; their 404 handler stays theirs).
 */
export function installConsole(
  app: FastifyInstance,
  ctx: ConsoleContext,
  options: { readonly plugin?: boolean } = {},
): void {
  if (options.plugin) {
    app.addHook('onRoute', (route) => {
      route.bodyLimit ??= 1_048_576;
    });
  }
  // The login form posts url-encoded; everything else is JSON.
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  app.removeContentTypeParser('text/plain');
  installErrorHandlers(app, { notFound: !options.plugin });
  installSecurityHeaders(app);
  pageRoutes(app, loadAssets(), consoleGate(ctx.config));
  dataRoutes(app, ctx);
  historyRoutes(app, ctx);
  actionRoutes(app, ctx);
  jobsRoutes(app, ctx);
}
