/**
 * The admin console, sysadmin only: Bull Board at `/admin/queues` (see every queue and job;
 * retry failed jobs, which resume at the step that failed; promote delayed ones), the alerts at
 * `/admin/alerts`, and the login page at `/admin/login` that gives a browser a session. Scripts
 * send `Authorization: Bearer <sysadmin token>` instead. Without either, a page request is sent
 * to the login page and an API request gets 401; any other scope gets 403. Every state-changing
 * request from a browser must come from the console's own pages (same-origin.ts), and every
 * admin action is written to the admin audit trail (audit.ts).
 */
import { randomUUID } from 'node:crypto';
import type Hapi from '@hapi/hapi';
import type { Collections, Logger, Redis, TokenUser } from '@steadfast/commons';
import type { ConnectionOptions, Queue } from 'bullmq';
import type { Environment } from '../environment.js';
import { alertRoutes } from './alerts.js';
import { AdminAudit } from './audit.js';
import { registerSessionAuth } from './auth.js';
import { BOARD_PATH, mountBoard } from './board.js';
import { STYLESHEET, STYLESHEET_PATH } from './html.js';
import { loginRoutes } from './login.js';
import type { LoginAttempts } from './login-attempts.js';
import { consoleQueues } from './queues.js';
import { wantsJson } from './requests.js';
import { expectedOriginOf, sameOriginProof } from './same-origin.js';
import { AdminSessions } from './sessions.js';

export { ADMIN_AUTH, registerTokenAuth } from './auth.js';
export type { LoginAttempts } from './login-attempts.js';

type AdminEnvironment = Pick<
  Environment,
  'NODE_ENV' | 'AUTH_URL' | 'ADMIN_SESSION_IDLE_SECONDS' | 'ADMIN_SESSION_ABSOLUTE_SECONDS' | 'ADMIN_COOKIE_PASSWORD' | 'ADMIN_COOKIE_SECURE' | 'ADMIN_PUBLIC_ORIGIN'
>;

export interface AdminDeps {
  env: AdminEnvironment;
  logger: Logger;
  db: Collections;
  redis: Redis;
  /** The record queue and the event partitions (the gateway holds them already); the rest are opened here. */
  recordQueue: Queue;
  eventQueues: Queue[];
  /** For the queues opened here. */
  connection: ConnectionOptions;
  /** Checks a bearer token (the token strategy must be registered: registerTokenAuth); refuses disabled users. */
  verify: (token: string) => Promise<TokenUser>;
  /** Whether a user is disabled: a session of theirs ends at its next request. */
  isDisabled?: (userId: string) => boolean;
  /** The failed-login throttle. */
  attempts: LoginAttempts;
  /** The client's address for the throttle (the socket's, or a trusted proxy's X-Forwarded-For). */
  addressOf: (request: Hapi.Request) => string;
}

const isConsolePath = (path: string) => path === '/admin' || path.startsWith('/admin/');
/** Paths a browser loads as pages (everything but Bull Board's API and assets). */
const isPagePath = (path: string) => !path.startsWith(`${BOARD_PATH}/api/`) && !path.startsWith(`${BOARD_PATH}/static/`);

export async function mountAdmin(server: Hapi.Server, deps: AdminDeps): Promise<void> {
  const { env, logger } = deps;
  const sessions = new AdminSessions(deps.redis, { idleSeconds: env.ADMIN_SESSION_IDLE_SECONDS, absoluteSeconds: env.ADMIN_SESSION_ABSOLUTE_SECONDS });
  const audit = new AdminAudit(deps.db.alerts.db, logger);
  const secure = env.ADMIN_COOKIE_SECURE ?? (env.NODE_ENV === 'production' || server.info.protocol === 'https');
  if (!env.ADMIN_COOKIE_PASSWORD && env.NODE_ENV === 'production') {
    logger.warn('ADMIN_COOKIE_PASSWORD is not set: admin sessions end when this gateway restarts and do not carry over to another gateway');
  }
  await registerSessionAuth(server, { sessions, password: env.ADMIN_COOKIE_PASSWORD, secure, logger, ...(deps.isDisabled ? { isDisabled: deps.isDisabled } : {}) });

  // Before routing: a correlation id for the audit trail and logs, and the CSRF check.
  server.ext('onRequest', (request, h) => {
    if (!isConsolePath(request.path)) return h.continue;
    const sent = request.headers['x-correlation-id'];
    if (typeof sent !== 'string' || sent.length === 0 || sent.length > 100) request.headers['x-correlation-id'] = randomUUID();
    const expectedOrigin = expectedOriginOf(env.ADMIN_PUBLIC_ORIGIN, server.info.protocol, request.info.host);
    const verdict = sameOriginProof({ method: request.method, headers: request.headers as Record<string, string | undefined>, expectedOrigin });
    if (verdict.allowed) return h.continue;
    const short = (value: unknown) => (typeof value === 'string' ? value.slice(0, 100) : undefined);
    logger.warn(
      { method: request.method, path: request.path.slice(0, 200), origin: short(request.headers['origin']), site: short(request.headers['sec-fetch-site']), correlationId: request.headers['x-correlation-id'] },
      'admin request refused: not from the console',
    );
    return h.response({ statusCode: 403, error: 'Forbidden', message: verdict.reason }).code(403).takeover();
  });

  // After everything: a page request without a session goes to the login page; every console
  // response carries its correlation id and may not be framed.
  server.ext('onPreResponse', (request, h) => {
    if (!isConsolePath(request.path)) return h.continue;
    const response = request.response;
    const correlationId = request.headers['x-correlation-id'] as string;
    if ('isBoom' in response && response.isBoom) {
      response.output.headers['x-correlation-id'] = correlationId;
      response.output.headers['x-frame-options'] = 'DENY';
      if (response.output.statusCode === 401) {
        const isPage = (request.method === 'get' || request.method === 'head') && isPagePath(request.path) && !wantsJson(request);
        if (isPage && request.headers['authorization'] === undefined) {
          return h.redirect(`/admin/login?next=${encodeURIComponent(request.url.pathname + request.url.search)}`).header('x-correlation-id', correlationId);
        }
        if (response.message === 'Missing authentication') {
          response.output.payload.message = 'log in at /admin/login, or send Authorization: Bearer <sysadmin token>';
        }
      }
      return h.continue;
    }
    (response as Hapi.ResponseObject).header('x-correlation-id', correlationId).header('x-frame-options', 'DENY');
    return h.continue;
  });

  server.route([
    { method: 'GET', path: '/admin', options: { auth: false }, handler: (_request, h) => h.redirect(BOARD_PATH) },
    {
      method: 'GET',
      path: STYLESHEET_PATH,
      options: { auth: false },
      handler: (_request, h) => h.response(STYLESHEET).type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600'),
    },
    ...loginRoutes({ authUrl: env.AUTH_URL, verify: deps.verify, attempts: deps.attempts, addressOf: deps.addressOf, sessions, audit, logger }),
    ...alertRoutes(deps.db, audit),
  ]);

  const queues = consoleQueues(deps.recordQueue, deps.eventQueues, deps.connection, (queue, error) =>
    logger.warn({ err: error.message, queue }, 'queue connection error'),
  );
  await mountBoard(server, queues.queues, audit, logger);
  server.ext('onPostStop', () => queues.close());
}
