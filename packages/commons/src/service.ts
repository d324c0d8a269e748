/**
 * The common shape of a Steadfast HTTP service: a Hapi server with `/health`, structured request
 * logs, and a graceful stop on SIGINT/SIGTERM that runs the service's own cleanup.
 */
import { createServer, type Server } from 'node:http';
import Hapi from '@hapi/hapi';
import type { z } from 'zod';
import { errorLine } from './alerts.js';
import { boundMessage, ECHO_MAX_CHARS, truncate } from './echo.js';
import { checkDependencies, type HealthCheck } from './health.js';
import type { Logger } from './logger.js';

export interface ServiceOptions {
  name: string;
  host: string;
  port: number;
  logger: Logger;
  /** The dependencies `/health` reports on, by name. */
  checks?: Record<string, HealthCheck>;
}

/**
 * How many connections the kernel holds for a service that has not accepted them yet: listen's
 * backlog, which Hapi leaves at Node's 511. When a burst of clients connect faster than a busy
 * process accepts (10,000 drafts from 500 offices, four connections each), the kernel drops the
 * SYNs past the backlog and each client waits 1, 3, 7, 15, 31… s to try again: the bench's burst
 * had submits answered after 56 s while most took 4, and 36,808 dropped SYNs on the machine. The
 * kernel caps it at `net.core.somaxconn` (4096 on Debian's kernels; raise both together).
 */
export const LISTEN_BACKLOG = 4096;

/**
 * An HTTP server for Hapi's `listener` option that listens with `backlog` (Hapi calls
 * `listen(port, address, done)`, which has no backlog).
 */
export function listenerWithBacklog(backlog = LISTEN_BACKLOG): Server {
  const listener = createServer();
  const listen = listener.listen.bind(listener);
  listener.listen = ((port: number, address: string | null | (() => void), done?: () => void) =>
    typeof address === 'function'
      ? listen({ port, backlog }, address)
      : listen({ port, ...(address ? { host: address } : {}), backlog }, done)) as Server['listen'];
  return listener;
}

export async function createServiceServer(options: ServiceOptions): Promise<Hapi.Server> {
  const server = Hapi.server({
    listener: listenerWithBacklog(),
    host: options.host,
    port: options.port,
    routes: { response: { emptyStatusCode: 204 } },
    // Hapi's own report of a failing handler is a stack trace on stderr; it goes to the
    // structured log below instead.
    debug: false,
  });
  const checks = options.checks ?? {};

  // /health: liveness, always 200 while the process serves, with each dependency's state.
  // /ready: 503 when a dependency is down, for load balancers that should route elsewhere.
  server.route({
    method: 'GET',
    path: '/health',
    options: { auth: false },
    handler: async () => {
      const report = await checkDependencies(checks);
      return { service: options.name, ...report };
    },
  });
  server.route({
    method: 'GET',
    path: '/ready',
    options: { auth: false },
    handler: async (_request, h) => {
      const report = await checkDependencies(checks);
      return h.response({ service: options.name, ...report }).code(report.status === 'ok' ? 200 : 503);
    },
  });

  // A handler that threw (a bug, or a failure nobody mapped to an HTTP answer): the client gets
  // a bare 500, the log gets the route and the error's first line (later lines of store errors
  // may quote personal data).
  server.events.on({ name: 'request', channels: 'error' }, (request, event) => {
    const error = event.error as Error | undefined;
    options.logger.error(
      {
        method: request.method,
        path: request.route.path,
        correlationId: request.headers['x-correlation-id'],
        err: errorLine(error?.message ?? 'unknown'),
        errName: error?.name,
      },
      'unexpected error in a route',
    );
  });

  server.events.on('response', (request) => {
    const response = request.response;
    const statusCode = 'statusCode' in response ? response.statusCode : undefined;
    options.logger.debug(
      {
        method: request.method,
        path: request.path,
        statusCode,
        ms: Date.now() - request.info.received,
        correlationId: request.headers['x-correlation-id'],
      },
      'request',
    );
  });

  await server.initialize();
  return server;
}

/**
 * Stops the process cleanly on SIGINT/SIGTERM: runs `stop` once (close servers, let workers hand
 * back their jobs, close clients) and exits; a second Ctrl-C exits at once.
 */
export function stopOnSignals(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A supervisor's SIGTERM after the terminal's SIGINT is the same request: keep stopping
      // gracefully. A second Ctrl-C is a person who wants out now.
      if (signal === 'SIGTERM') return;
      logger.warn({ signal }, 'second Ctrl-C, exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping');
    stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/**
 * Starts a built server, logs where it listens, and stops it (then `cleanup`) on a signal.
 * `main.ts` of every service ends with this.
 */
export async function runService(
  server: Hapi.Server,
  logger: Logger,
  cleanup: () => Promise<void> = async () => {},
): Promise<void> {
  await server.start();
  logger.info({ url: server.info.uri }, 'listening');
  stopOnSignals(logger, async () => {
    await server.stop({ timeout: 10_000 });
    await cleanup();
  });
}

/** Issues shown for one refused payload; a payload breaking more rules is told the count. */
const MAX_ISSUES_SHOWN = 20;

/**
 * A 400 naming each field and what is wrong with it, for a payload a zod schema refused. Zod
 * quotes what it refuses (an unknown key, a value outside an enum) and a path holds the client's
 * own keys: both are bounded (see echo.ts), so a huge payload gets a small answer.
 */
export function invalidPayload(h: Hapi.ResponseToolkit, what: string, error: z.ZodError): Hapi.ResponseObject {
  const issues = error.issues.slice(0, MAX_ISSUES_SHOWN).map((i) => ({
    field: truncate(i.path.map((segment) => truncate(String(segment), ECHO_MAX_CHARS)).join('.'), 200) || '(body)',
    message: boundMessage(i.message, ECHO_MAX_CHARS, 200),
  }));
  const more = error.issues.length - issues.length;
  return h.response({ error: `invalid ${what}`, issues, ...(more > 0 ? { moreIssues: more } : {}) }).code(400);
}
