import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WorkmeshError } from '../../errors/index.js';
import type { Asset } from '../assets.js';
import { FailureLimit, SESSION_COOKIE, Sessions, readCookie, type ConsoleGate } from '../auth.js';

/** Paths a visitor reaches without a session: the login page and what it needs. */
const PUBLIC = new Set(['/login', '/assets/style.css', '/favicon.svg']);
/** Failed logins allowed per minute (all clients together) before answering 429. */
const FAILURES_PER_MINUTE = 20;

/**
 * The pages (`/`, `/login`), the assets, and the gate in front of everything else: with a
 * token, a request needs the session cookie (or `Authorization: Bearer <token>`); pages
 * without one redirect to the login page, data routes answer 401 and no data.
 */
export function pageRoutes(
  app: FastifyInstance,
  assets: Map<string, Asset>,
  gate: ConsoleGate | undefined,
): void {
  const sessions = gate === undefined ? undefined : new Sessions(gate.sessionKey);
  const limit = new FailureLimit(FAILURES_PER_MINUTE);
  const send = (reply: FastifyReply, name: string, status = 200): FastifyReply => {
    const asset = assets.get(name)!;
    return reply.status(status).type(asset.type).send(asset.body);
  };

  /** Whether the request may pass; 'locked' while guessing is being limited. */
  const authorized = (request: FastifyRequest): boolean | 'locked' => {
    if (!sessions || !gate) return true;
    const auth = request.headers.authorization;
    if (auth?.startsWith('Bearer ')) {
      // Locked out, even the right token waits: a guess must not learn it was right.
      if (limit.blocked()) return 'locked';
      if (gate.accepts(auth.slice(7))) return true;
      limit.fail();
      return false;
    }
    return sessions.valid(readCookie(request.headers.cookie, SESSION_COOKIE));
  };

  app.addHook('onRequest', (request, reply, done) => {
    const path = request.url.split('?')[0] ?? '';
    const verdict = PUBLIC.has(path) || authorized(request);
    if (verdict === true) return done();
    if (verdict === 'locked') {
      const err = new WorkmeshError(
        'WM_ERR_API_RATE_LIMITED',
        'too many wrong tokens in the last minute; wait a minute',
      );
      void reply.status(429).header('retry-after', '60').send({ error: err.toJSON() });
      return;
    }
    if (path.startsWith('/console/api/')) {
      const err = new WorkmeshError(
        'WM_ERR_CONSOLE_UNAUTHORIZED',
        'log in at /login, or send Authorization: Bearer <token>',
      );
      void reply.status(401).send({ error: err.toJSON() });
      return;
    }
    void reply.redirect('/login', 302);
  });

  // An open console (loopback, no token) has no login, so no "Log out" either.
  const openIndex = assets
    .get('index.html')!
    .body.toString('utf8')
    .replace(/\s*<form method="post" action="\/logout"[\s\S]*?<\/form>/, '');
  app.get('/', (_request, reply) =>
    sessions ? send(reply, 'index.html') : reply.type('text/html; charset=utf-8').send(openIndex),
  );
  app.get('/favicon.svg', (_request, reply) => send(reply, 'favicon.svg'));
  app.get<{ Params: { name: string } }>('/assets/:name', (request, reply) => {
    const name = request.params.name;
    if (!assets.has(name) || name.endsWith('.html')) {
      throw new WorkmeshError('WM_ERR_API_ROUTE_NOT_FOUND', `no asset ${name}`);
    }
    return send(reply, name);
  });

  const loginPage = assets.get('login.html')!.body.toString('utf8');
  app.get<{ Querystring: { failed?: string } }>('/login', (request, reply) => {
    if (!sessions) return reply.redirect('/', 302);
    const error = request.query.failed ? '<p class="login-error">Wrong token.</p>' : '';
    return reply.type('text/html; charset=utf-8').send(loginPage.replace('<!--error-->', error));
  });

  app.post<{ Body: Record<string, string> }>('/login', (request, reply) => {
    if (!sessions || !gate) return reply.redirect('/', 303);
    if (limit.blocked()) {
      return reply.status(429).type('text/plain').send('Too many failed logins; wait a minute.');
    }
    const given = typeof request.body?.token === 'string' ? request.body.token : '';
    if (!gate.accepts(given)) {
      limit.fail();
      request.log.warn({ ip: request.ip }, 'console login failed');
      return reply.redirect('/login?failed=1', 303);
    }
    const session = sessions.issue();
    void reply.header(
      'set-cookie',
      `${SESSION_COOKIE}=${session.value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${session.maxAgeSec}`,
    );
    return reply.redirect('/', 303);
  });

  app.post('/logout', (_request, reply) => {
    void reply.header(
      'set-cookie',
      `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`,
    );
    return reply.redirect('/login', 303);
  });
}
