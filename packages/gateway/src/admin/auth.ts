/**
 * Who may use the admin routes, two ways in, both for the sysadmin scope only:
 * - a script sends `Authorization: Bearer <token>` (the tokens GraphQL checks);
 * - a browser holds the console's session cookie (@hapi/cookie; the session itself lives in
 *   Redis, see sessions.ts), got from the login page.
 * The token strategy goes first and steps aside when there is no Authorization header, so a
 * bad token is a 401 of its own and never falls back to a cookie.
 */
import { randomBytes } from 'node:crypto';
import Boom from '@hapi/boom';
import Cookie from '@hapi/cookie';
import type Hapi from '@hapi/hapi';
import { bearerToken, TokenKeysUnavailableError, type Logger, type TokenUser } from '@steadfast/commons';
import { z } from 'zod';
import type { AdminSessions } from './sessions.js';

export const TOKEN_STRATEGY = 'steadfast-token';
export const SESSION_STRATEGY = 'admin-session';
export const SESSION_COOKIE = 'steadfast-admin';
/** The cookie is sent to the console only, never to /graphql or /auth. */
export const SESSION_COOKIE_PATH = '/admin';

/** Route auth of every admin route: a sysadmin by token or by session. */
export const ADMIN_AUTH: Hapi.RouteOptionsAccess = { strategies: [TOKEN_STRATEGY, SESSION_STRATEGY], access: { scope: 'sysadmin' } };

/** Who is acting, as the audit trail and the pages name them. */
export interface Admin {
  userId: string;
  username: string;
  name: string;
  via: 'token' | 'session';
  /** The session's id (the cookie's content), to end it at logout; never logged. */
  sessionId?: string;
}

/** The admin behind an authenticated request (both strategies put it in `credentials.user`). */
export const adminOf = (request: Hapi.Request): Admin => request.auth.credentials.user as unknown as Admin;

/** A Hapi auth strategy over the same tokens GraphQL checks. */
export function registerTokenAuth(server: Hapi.Server, verify: (token: string) => Promise<TokenUser>): void {
  server.auth.scheme(TOKEN_STRATEGY, () => ({
    authenticate: async (request, h) => {
      const header = request.headers['authorization'] as string | undefined;
      // No header: not this strategy's request (a browser with a session cookie, or nobody).
      if (header === undefined) throw Boom.unauthorized(null, 'Bearer');
      const token = bearerToken(header);
      if (!token) throw Boom.unauthorized('send Authorization: Bearer <sysadmin token>', 'Bearer');
      try {
        const user = await verify(token);
        const admin: Admin = { userId: user.userId, username: user.name ?? user.userId, name: user.name ?? user.userId, via: 'token' };
        return h.authenticated({ credentials: { user: admin as never, scope: user.scopes } });
      } catch (error) {
        if (error instanceof TokenKeysUnavailableError) throw Boom.serverUnavailable(error.message);
        throw Boom.unauthorized((error as Error).message, 'Bearer');
      }
    },
  }));
  server.auth.strategy(TOKEN_STRATEGY, TOKEN_STRATEGY);
}

export interface SessionAuthOptions {
  sessions: AdminSessions;
  /** Seals the cookie; unset, one drawn for this process. */
  password: string | undefined;
  secure: boolean;
  logger: Logger;
  /** Whether a user was disabled since logging in: their session ends (edge/disabled-users.ts). */
  isDisabled?: (userId: string) => boolean;
}

const CookieContent = z.object({ sid: z.string().min(1).max(100) });

export async function registerSessionAuth(server: Hapi.Server, { sessions, password, secure, logger, isDisabled }: SessionAuthOptions): Promise<void> {
  await server.register(Cookie);
  server.auth.strategy(SESSION_STRATEGY, 'cookie', {
    cookie: {
      name: SESSION_COOKIE,
      password: password ?? randomBytes(32).toString('hex'),
      path: SESSION_COOKIE_PATH,
      isSecure: secure,
      isHttpOnly: true,
      isSameSite: 'Strict',
      clearInvalid: true,
      strictHeader: true,
      // No ttl: a browser-session cookie; the session's idle and absolute ends are kept server-side.
    },
    validate: async (_request, content) => {
      const cookie = CookieContent.safeParse(content);
      if (!cookie.success) return { isValid: false };
      let session;
      try {
        session = await sessions.read(cookie.data.sid);
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'admin session not readable (Redis); the admin must log in again');
        throw error;
      }
      if (!session?.user.scopes.includes('sysadmin')) return { isValid: false };
      const { userId, username, name } = session.user;
      if (isDisabled?.(userId)) {
        await sessions.end(cookie.data.sid).catch(() => undefined);
        logger.info({ userId }, 'admin session ended: the user is disabled');
        return { isValid: false };
      }
      const admin: Admin = { userId, username, name: name ?? username, via: 'session', sessionId: cookie.data.sid };
      return { isValid: true, credentials: { user: admin as never, scope: session.user.scopes } };
    },
  });
}
