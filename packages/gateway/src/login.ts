/**
 * `POST /auth/authenticate`, the one auth route the gateway exposes: passed to the internal
 * auth service as is, behind the failed-login throttle. Every other auth route stays internal.
 */
import type Hapi from '@hapi/hapi';
import type { Logger } from '@steadfast/commons';
import type { LoginThrottle } from './login-throttle.js';

/** The username of a login request, if it has one; the rest is auth's to validate. */
function usernameOf(payload: Buffer): string | undefined {
  try {
    const body = JSON.parse(payload.toString('utf8')) as { username?: unknown };
    return typeof body.username === 'string' && body.username.length > 0 ? body.username : undefined;
  } catch {
    return undefined;
  }
}

export function loginRoute(authUrl: string, throttle: LoginThrottle, logger: Logger): Hapi.ServerRoute {
  return {
    method: 'POST',
    path: '/auth/authenticate',
    options: { payload: { maxBytes: 16 * 1024, parse: false, output: 'data' } },
    handler: async (request, h) => {
      const sent: unknown = request.headers['content-type'];
      const contentType = typeof sent === 'string' ? sent : 'application/json';
      const payload = request.payload as Buffer;
      const username = usernameOf(payload);
      const address = request.info.remoteAddress;
      if (username) {
        const check = await throttle.check(username, address);
        if (!check.allowed) {
          logger.warn({ by: check.by, address, retryAfterSeconds: check.retryAfterSeconds }, 'login refused: too many failed attempts');
          const minutes = Math.ceil(check.retryAfterSeconds / 60);
          return h
            .response({ error: `too many failed logins for this ${check.by === 'username' ? 'username' : 'address'}; try again in ${minutes} minute${minutes === 1 ? '' : 's'}` })
            .code(429)
            .header('retry-after', String(check.retryAfterSeconds));
        }
      }
      let response: Response;
      try {
        response = await fetch(new URL('/auth/authenticate', authUrl), {
          method: 'POST',
          headers: { 'content-type': contentType },
          body: payload,
          signal: AbortSignal.timeout(10_000),
        });
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'auth service unreachable');
        return h.response({ error: 'the login service is unavailable; try again shortly' }).code(503);
      }
      if (username && response.status === 401) await throttle.failed(username, address);
      if (username && response.status === 200) await throttle.succeeded(username, address);
      const body = await response.text();
      return h.response(body).code(response.status).type(response.headers.get('content-type') ?? 'application/json');
    },
  };
}
