/**
 * `POST /auth/authenticate`, the one auth route the gateway exposes: passed to the internal
 * auth service as is. Every other auth route stays internal.
 */
import type Hapi from '@hapi/hapi';
import type { Logger } from '@steadfast/commons';

export function loginRoute(authUrl: string, logger: Logger): Hapi.ServerRoute {
  return {
    method: 'POST',
    path: '/auth/authenticate',
    options: { payload: { maxBytes: 16 * 1024, parse: false, output: 'data' } },
    handler: async (request, h) => {
      const sent: unknown = request.headers['content-type'];
      const contentType = typeof sent === 'string' ? sent : 'application/json';
      try {
        const response = await fetch(new URL('/auth/authenticate', authUrl), {
          method: 'POST',
          headers: { 'content-type': contentType },
          body: request.payload as Buffer,
          signal: AbortSignal.timeout(10_000),
        });
        const body = await response.text();
        return h.response(body).code(response.status).type(response.headers.get('content-type') ?? 'application/json');
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'auth service unreachable');
        return h.response({ error: 'the login service is unavailable; try again shortly' }).code(503);
      }
    },
  };
}
