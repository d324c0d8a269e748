/**
 * `POST /auth/authenticate`, the one auth route the gateway exposes: JSON only, counted by the
 * login throttle before it is passed to the internal auth service. Every other auth route stays
 * internal. Nothing reaches auth that was not counted: a body that is not JSON, or not a
 * username and a password, is refused here.
 */
import type Hapi from '@hapi/hapi';
import type { Logger } from '@steadfast/commons';
import { z } from 'zod';
import { clientAddress, type TrustedProxies } from './edge/client-address.js';
import type { LoginThrottle } from './login-throttle.js';

const LoginBody = z.object({ username: z.string().min(1).max(200), password: z.string().min(1).max(1_000) });

/** `application/json`, with or without parameters (charset). */
export const isJson = (contentType: unknown): boolean =>
  typeof contentType === 'string' && contentType.split(';')[0]?.trim().toLowerCase() === 'application/json';

const refuse = (h: Hapi.ResponseToolkit, status: number, error: string) => h.response({ error }).code(status);

export function loginRoute(authUrl: string, throttle: LoginThrottle, proxies: TrustedProxies, logger: Logger): Hapi.ServerRoute {
  return {
    method: 'POST',
    path: '/auth/authenticate',
    options: {
      payload: { maxBytes: 16 * 1024, parse: false, output: 'data', timeout: 10_000 },
      ext: {
        // Before the body is read: a form post (or anything else) is refused unread.
        onPreAuth: {
          method: (request, h) => {
            if (!isJson(request.headers['content-type'])) {
              return refuse(h, 415, 'send the login as JSON: Content-Type: application/json, {"username","password"}').takeover();
            }
            if (request.headers['content-encoding'] && request.headers['content-encoding'] !== 'identity') {
              return refuse(h, 415, 'a compressed login body is not accepted (Content-Encoding)').takeover();
            }
            return h.continue;
          },
        },
      },
    },
    handler: async (request, h) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse((request.payload as Buffer).toString('utf8'));
      } catch {
        return refuse(h, 400, 'the body is not valid JSON');
      }
      const body = LoginBody.safeParse(parsed);
      if (!body.success) return refuse(h, 400, 'send {"username": "<1-200 characters>", "password": "<1-1000 characters>"}');
      const { username } = body.data;
      const address = clientAddress(request, proxies);

      const check = await throttle.attempt(username, address);
      if (!check.allowed) {
        logger.warn({ by: check.by, address, retryAfterSeconds: check.retryAfterSeconds }, 'login refused: too many attempts');
        const minutes = Math.ceil(check.retryAfterSeconds / 60);
        return refuse(h, 429, `too many failed logins for this ${check.by}; try again in ${minutes} minute${minutes === 1 ? '' : 's'}`).header(
          'retry-after',
          String(check.retryAfterSeconds),
        );
      }
      let response: Response;
      try {
        response = await fetch(new URL('/auth/authenticate', authUrl), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body.data),
          signal: AbortSignal.timeout(10_000),
        });
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'auth service unreachable');
        await throttle.notChecked(username, address);
        return refuse(h, 503, 'the login service is unavailable; try again shortly');
      }
      if (response.status === 200) await throttle.succeeded(username, address);
      else if (response.status >= 500) await throttle.notChecked(username, address);
      const text = await response.text();
      return h.response(text).code(response.status).type(response.headers.get('content-type') ?? 'application/json');
    },
  };
}
