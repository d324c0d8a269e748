/**
 * The console's login page, `/admin/login`: username and password, checked by auth (the same
 * `/auth/authenticate` the API proxies), for sysadmins only, behind the failed-login throttle.
 * A good login starts a server-side session (sessions.ts) and sets its cookie; `/admin/logout`
 * ends it. Every outcome is in the admin audit trail.
 */
import Boom from '@hapi/boom';
import type Hapi from '@hapi/hapi';
import type { Logger, TokenUser } from '@steadfast/commons';
import { TokenKeysUnavailableError } from '@steadfast/commons';
import { z } from 'zod';
import type { AdminAudit } from './audit.js';
import { adminOf, SESSION_STRATEGY } from './auth.js';
import { html, page } from './html.js';
import type { LoginAttempts } from './login-attempts.js';
import { correlationIdOf, DEFAULT_PAGE, pageResponse, safeNext } from './requests.js';
import type { AdminSessions } from './sessions.js';

export interface LoginDeps {
  authUrl: string;
  verify: (token: string) => Promise<TokenUser>;
  attempts: LoginAttempts;
  /** The client's address for the throttle (the socket's, or a trusted proxy's X-Forwarded-For). */
  addressOf: (request: Hapi.Request) => string;
  sessions: AdminSessions;
  audit: AdminAudit;
  logger: Logger;
}

const LoginForm = z.object({
  username: z.string().trim().min(1, 'enter your username').max(100, 'a username has at most 100 characters'),
  password: z.string().min(1, 'enter your password').max(1000, 'a password has at most 1000 characters'),
  next: z.string().max(500).optional(),
});

function loginPage(options: { message?: string; next?: string; username?: string }): string {
  const body = html`<div class="card login"><h1>Log in</h1>
    ${options.message ? html`<p class="error" role="alert">${options.message}</p>` : ''}
    <form method="post" action="/admin/login">
      <label for="username">Username</label><input id="username" name="username" type="text" autocomplete="username" required maxlength="100" value="${options.username ?? ''}">
      <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1000">
      <input type="hidden" name="next" value="${safeNext(options.next)}">
      <p><button type="submit">Log in</button></p>
    </form>
    <p>For system administrators. Scripts may send <code>Authorization: Bearer &lt;token&gt;</code> instead.</p></div>`;
  return page({ title: 'Log in', body });
}

/** Auth's verdict on a username and password. */
type Checked = { ok: true; user: TokenUser } | { ok: false; status: number; reason: string };

async function checkPassword(deps: LoginDeps, username: string, password: string): Promise<Checked> {
  let response: Response;
  try {
    response = await fetch(new URL('/auth/authenticate', deps.authUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    deps.logger.warn({ err: (error as Error).message }, 'auth service unreachable (admin login)');
    return { ok: false, status: 503, reason: 'the login service is unavailable; try again shortly' };
  }
  if (response.status === 401 || response.status === 400) return { ok: false, status: 401, reason: 'wrong username or password' };
  if (response.status !== 200) return { ok: false, status: 503, reason: 'the login service is unavailable; try again shortly' };
  const { token } = (await response.json()) as { token?: unknown };
  if (typeof token !== 'string') return { ok: false, status: 503, reason: 'the login service gave no token' };
  try {
    return { ok: true, user: await deps.verify(token) };
  } catch (error) {
    if (error instanceof TokenKeysUnavailableError) return { ok: false, status: 503, reason: 'the login service is unavailable; try again shortly' };
    throw error;
  }
}

export function loginRoutes(deps: LoginDeps): Hapi.ServerRoute[] {
  const { attempts, sessions, audit, logger } = deps;

  const refuse = async (request: Hapi.Request, h: Hapi.ResponseToolkit, form: { username: string; next?: string | undefined }, status: number, reason: string, userId?: string) => {
    await audit.record({
      action: 'login-refused',
      actor: { ...(userId ? { userId } : {}), username: form.username.slice(0, 100) },
      via: 'login-page',
      outcome: { status, reason },
      correlationId: correlationIdOf(request),
      address: request.info.remoteAddress,
    });
    return pageResponse(h, loginPage({ message: reason, next: form.next, username: form.username }), status);
  };

  return [
    {
      method: 'GET',
      path: '/admin/login',
      options: { auth: { strategies: [SESSION_STRATEGY], mode: 'try' } },
      handler: (request, h) => {
        const next = typeof request.query['next'] === 'string' ? request.query['next'] : undefined;
        if (request.auth.isAuthenticated) return h.redirect(safeNext(next));
        const message = request.query['ended'] === 'logout' ? 'You are logged out.' : undefined;
        return pageResponse(h, loginPage({ ...(message ? { message } : {}), ...(next ? { next } : {}) }));
      },
    },
    {
      method: 'POST',
      path: '/admin/login',
      // 'try': a browser that still holds a session logging in again ends that one.
      options: { auth: { strategies: [SESSION_STRATEGY], mode: 'try' }, payload: { maxBytes: 16 * 1024, allow: ['application/x-www-form-urlencoded'] } },
      handler: async (request, h) => {
        const parsed = LoginForm.safeParse(request.payload ?? {});
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          return pageResponse(h, loginPage({ message: `${issue?.path.join('.') ?? 'form'}: ${issue?.message ?? 'invalid'}` }), 400);
        }
        const form = parsed.data;
        const address = deps.addressOf(request);
        const verdict = await attempts.attempt(form.username, address);
        if (!verdict.allowed) {
          const minutes = Math.ceil(verdict.retryAfterSeconds / 60);
          const response = await refuse(request, h, form, 429, `too many failed logins for this ${verdict.by}; try again in ${minutes} minute${minutes === 1 ? '' : 's'}`);
          return response.header('retry-after', String(verdict.retryAfterSeconds));
        }
        const checked = await checkPassword(deps, form.username, form.password);
        if (!checked.ok) {
          if (checked.status >= 500) await attempts.notChecked(form.username, address);
          return refuse(request, h, form, checked.status, checked.reason);
        }
        if (!checked.user.scopes.includes('sysadmin')) {
          return refuse(request, h, form, 403, 'this console is for system administrators only', checked.user.userId);
        }
        await attempts.succeeded(form.username, address);
        const previous = request.auth.isAuthenticated ? adminOf(request).sessionId : undefined;
        if (previous) await sessions.end(previous);
        const { sessionId, session } = await sessions.create({
          userId: checked.user.userId,
          username: form.username,
          ...(checked.user.name ? { name: checked.user.name } : {}),
          scopes: checked.user.scopes,
        });
        request.cookieAuth.set({ sid: sessionId });
        await audit.record({
          action: 'login',
          actor: { userId: checked.user.userId, username: form.username },
          via: 'login-page',
          outcome: { status: 303 },
          correlationId: correlationIdOf(request),
          address,
        });
        logger.info({ userId: checked.user.userId, session: session.ref }, 'admin session started');
        return h.redirect(safeNext(form.next)).code(303);
      },
    },
    {
      method: 'GET',
      path: '/admin/logout',
      options: { auth: { strategies: [SESSION_STRATEGY], mode: 'try' } },
      handler: (request, h) => {
        if (!request.auth.isAuthenticated) return h.redirect('/admin/login');
        const admin = adminOf(request);
        const body = html`<div class="card login"><h1>Log out</h1><p>End the session of ${admin.name}?</p>
          <form method="post" action="/admin/logout"><button type="submit">Log out</button></form>
          <p><a href="${DEFAULT_PAGE}">Back to the queues</a></p></div>`;
        return pageResponse(h, page({ title: 'Log out', body, user: admin }));
      },
    },
    {
      method: 'POST',
      path: '/admin/logout',
      options: { auth: { strategies: [SESSION_STRATEGY], mode: 'try' } },
      handler: async (request, h) => {
        if (!request.auth.isAuthenticated) return h.redirect('/admin/login').code(303);
        const admin = adminOf(request);
        if (!admin.sessionId) throw Boom.badImplementation('a session without its id');
        await sessions.end(admin.sessionId);
        request.cookieAuth.clear();
        await audit.record({
          action: 'logout',
          actor: { userId: admin.userId, username: admin.username },
          via: 'session',
          outcome: { status: 303 },
          correlationId: correlationIdOf(request),
          address: request.info.remoteAddress,
        });
        return h.redirect('/admin/login?ended=logout').code(303);
      },
    },
  ];
}
