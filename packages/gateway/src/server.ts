/**
 * The gateway: the one public URL. GraphQL for the seven writes and `fetchRecordStatus`, the
 * login route, and `/health` with the state of every store.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as ApolloCjs from '@apollo/server' with { 'resolution-mode': 'require' };
import hapiApolloModule, { type HapiApolloPluginOptions } from '@as-integrations/hapi';
import {
  bearerToken,
  collections,
  createServiceServer,
  createTokenVerifier,
  ensureBucket,
  Counter,
  createRegistry,
  metricsRoute,
  onceSucceeded,
  registerQueueDepth,
  eventChannelFrom,
  eventQueueNames,
  initSentry,
  openStores,
  RecordQueue,
  recordInputSchemas,
  recordInputsSdlFor,
  queueBase,
  queueConnection,
  redisReady,
  retryPolicyFrom,
  storeConfigFrom,
  TokenKeysUnavailableError,
  type Logger,
} from '@steadfast/commons';
import { unavailable } from './errors.js';
import Hapi from '@hapi/hapi';
import { Queue } from 'bullmq';
import type { Environment } from './environment.js';
import { operationsSdl } from './graphql/operations-sdl.js';
import { createResolvers, type GatewayContext } from './graphql/resolvers.js';
import { sentryReporter, unexpectedErrors } from './graphql/unexpected-errors.js';
import { mountAdmin, registerTokenAuth } from './admin.js';
import { LongPoll, watchRecordEvents } from './long-poll.js';
import { loginRoute } from './login.js';
import { LoginThrottle } from './login-throttle.js';
import { StatusReader } from './status.js';
import { Submissions } from './submissions.js';
import { StatusWaiters } from './waiters.js';

/**
 * The Hapi integration is CommonJS and loads Apollo's CommonJS build; take ApolloServer from the
 * same build, so there is one Apollo in the process (no dual-package mismatch of its classes).
 */
const { ApolloServer } = createRequire(import.meta.url)('@apollo/server') as typeof ApolloCjs;

/** CommonJS `exports.default`, seen from ESM as the default export's `default`. */
const hapiApollo = hapiApolloModule.default;

export interface Gateway {
  server: Hapi.Server;
  /** Internal: `GET /metrics` for Prometheus. Started by main. */
  metricsServer: Hapi.Server;
  close(): Promise<void>;
}

/**
 * The gateway answers a client at once when Redis is down (an error to retry) instead of
 * holding the request while the client reconnects: no offline queue, one try per command.
 */
const FAIL_FAST = { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 5_000 } as const;

export async function createGateway(env: Environment, logger: Logger): Promise<Gateway> {
  const clients = openStores(storeConfigFrom(env), logger, { redis: FAIL_FAST, production: env.NODE_ENV === 'production' });
  const { config: stores, redis, mongo, minio } = clients;
  if (!(await redisReady(redis))) logger.warn('Redis is not reachable yet; submissions get 503 until it is');
  const db = collections(mongo.db(stores.mongo.dbName));
  const queue = new RecordQueue(queueConnection(stores.redis, FAIL_FAST), retryPolicyFrom(env), env.RECORD_QUEUE_NAME);
  queue.queue.on('error', (error: Error) => logger.warn({ err: error.message }, 'queue connection error'));
  // The event partitions, for the dashboard: their failed sets are the dead-letter queue.
  const eventQueues = eventQueueNames(eventChannelFrom(env)).map((name) => {
    const q = new Queue(name, queueBase(queueConnection(stores.redis, FAIL_FAST)));
    q.on('error', (error: Error) => logger.warn({ err: error.message, queue: name }, 'queue connection error'));
    return q;
  });

  const limits = { maxAttachmentBytes: env.ATTACHMENT_MAX_BYTES, maxAttachments: env.ATTACHMENT_MAX_COUNT };
  const registry = createRegistry('gateway');
  registerQueueDepth(registry, [queue.queue, ...eventQueues]);
  const submitted = new Counter({
    name: 'steadfast_submissions_total',
    help: 'Write mutations by operation and outcome: queued, repeat, idempotency_key_reused, service_unavailable, forbidden, …',
    labelNames: ['operation', 'outcome'],
    registers: [registry],
  });
  const submissions = new Submissions({
    count: (operation, outcome) => submitted.inc({ operation, outcome }),
    redis,
    queue,
    db,
    minio,
    stagingBucket: stores.minio.stagingBucket,
    ensureStaging: onceSucceeded(() => ensureBucket(minio, stores.minio.stagingBucket)),
    logger,
  });
  const status = new StatusReader(db, queue, logger);
  const longPolls = new Counter({
    name: 'steadfast_status_long_polls_total',
    help: 'fetchRecordStatus long-polls by how they ended: answered (not in flight), woken, timeout, aborted, released, full, stopping',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const waiters = new StatusWaiters(env.GATEWAY_LONG_POLL_MAX_WAITERS);
  // Blocking XREADs: the queue's connection options without its fail-fast ones (a command
  // timeout would cut every read; BullMQ wants maxRetriesPerRequest null on a blocking client).
  const recordEvents = watchRecordEvents(queue.name, queueConnection(stores.redis), waiters, logger);
  const sentry = env.SENTRY_DSN ? await initSentry(env.SENTRY_DSN, env.NODE_ENV) : undefined;
  const apollo = new ApolloServer<GatewayContext>({
    typeDefs: [recordInputsSdlFor(limits), operationsSdl],
    resolvers: createResolvers({
      submissions,
      status,
      longPoll: new LongPoll(status, waiters, (outcome) => longPolls.inc({ outcome })),
      schemas: recordInputSchemas(limits),
    }),
    includeStacktraceInErrorResponses: false,
    plugins: [unexpectedErrors<GatewayContext>(logger, sentry && sentryReporter(sentry, 'gateway'))],
    logger: {
      debug: (m: string) => logger.debug(m),
      info: (m: string) => logger.info(m),
      warn: (m: string) => logger.warn(m),
      error: (m: string) => logger.error(m),
    },
  });
  await apollo.start();

  const server = await createServiceServer({
    name: 'gateway',
    host: env.GATEWAY_HOST,
    port: env.GATEWAY_PORT,
    logger,
    checks: clients.checks,
  });

  const verify = createTokenVerifier(new URL('/.well-known/jwks.json', env.AUTH_URL).toString());
  // Base64 grows bytes by 4/3; leave room for the rest of the document.
  const maxBytes = Math.ceil((env.ATTACHMENT_MAX_BYTES * env.ATTACHMENT_MAX_COUNT * 4) / 3) + 1024 * 1024;
  const apolloOptions: HapiApolloPluginOptions<GatewayContext> = {
      apolloServer: apollo,
      path: '/graphql',
      // A long-poll holds its request up to MAX_WAIT_SECONDS with no byte sent: no server
      // timeout and no idle-socket timeout on this route may cut it.
      getRoute: { options: { timeout: { server: false, socket: false } } },
      postRoute: { options: { payload: { maxBytes }, timeout: { server: false, socket: false } } },
      context: async ({ request }): Promise<GatewayContext> => {
        const header = request.headers['x-correlation-id'];
        const correlationId = typeof header === 'string' && header.length <= 100 ? header : randomUUID();
        // Hapi's 'disconnect' misses a client that leaves after sending its whole body; the
        // response's 'close' before it ended does not.
        const gone = new AbortController();
        request.raw.res.once('close', () => {
          if (!request.raw.res.writableEnded) gone.abort();
        });
        const base = { correlationId, signal: gone.signal };
        const token = bearerToken(request.headers['authorization'] as string | undefined);
        if (!token) return base;
        try {
          return { ...base, user: await verify(token) };
        } catch (error) {
          if (error instanceof TokenKeysUnavailableError) throw unavailable('the auth service');
          return { ...base, authError: (error as Error).message };
        }
      },
  };
  await server.register<HapiApolloPluginOptions<GatewayContext>, void>({ plugin: hapiApollo, options: apolloOptions });
  registerTokenAuth(server, verify);
  await mountAdmin(server, [queue.queue, ...eventQueues], db);
  const throttle = new LoginThrottle(
    redis,
    { perUsername: env.LOGIN_MAX_FAILURES, perAddress: env.LOGIN_MAX_FAILURES_PER_ADDRESS, windowSeconds: env.LOGIN_FAILURE_WINDOW_SECONDS },
    logger,
  );
  server.route(loginRoute(env.AUTH_URL, throttle, logger));
  // Held long-polls answer (their status read afresh) as soon as the gateway starts stopping,
  // however it is stopped (close() below, or runService's signal handler).
  server.ext('onPreStop', () => waiters.close());

  const metricsServer = Hapi.server({ host: env.GATEWAY_METRICS_HOST, port: env.GATEWAY_METRICS_PORT });
  metricsServer.route(metricsRoute(registry));

  return {
    server,
    metricsServer,
    async close() {
      await server.stop({ timeout: 10_000 });
      await metricsServer.stop();
      await apollo.stop();
      waiters.close();
      await recordEvents.close();
      await queue.close();
      await Promise.all(eventQueues.map((q) => q.close()));
      await clients.close();
      await sentry?.close(2_000);
    },
  };
}
