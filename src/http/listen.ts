import type { FastifyInstance } from 'fastify';
import { WorkmeshError } from '../errors/index.js';

/**
 * Starts a Fastify server listening; a port taken by another process is WM_ERR_PORT_IN_USE,
 * naming the setting that picks it. Answers the port (0 resolves to the one chosen) and URL.
 */
export async function listenOn(
  app: FastifyInstance,
  host: string,
  port: number,
  setting: string,
): Promise<{ port: number; url: string }> {
  try {
    await app.listen({ host, port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new WorkmeshError(
        'WM_ERR_PORT_IN_USE',
        `port ${port} on ${host} is in use by another process; stop it or set ${setting}`,
      );
    }
    throw err;
  }
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return { port: bound, url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}` };
}
