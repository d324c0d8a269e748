/**
 * The gateway: the one public URL. GraphQL for the seven writes and `fetchRecordStatus`, the
 * login route, and `/health` with the state of every store.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as ApolloCjs from '@apollo/server' with { 'resolution-mode': 'require' };
import hapiApolloModule, { type HapiApolloPluginOptions } from '@as-integrations/hapi';
import {
  collections,
  createServiceServer,
  createTokenVerifier,
  Counter,
  Gauge,
  batchSizeHistogram,
  createRedis,
  createRegistry,
  metricsRoute,
  bucketsEnsured,
  registerQueueDepth,
  eventChannelFrom,
  eventQueueNames,
  initSentry,
  alertChannels,
  openStores,
  optionalSecretOf,
  RecordQueue,
  recordInputSchemas,
  recordInputsSdlFor,
  queueBase,
  queueConnection,
  redisReady,
  retryPolicyFrom,
  storeConfigFrom,
  type Logger,
} from '@steadfast/commons';
import Hapi from '@hapi/hapi';
import { Queue } from 'bullmq';
import type { Environment } from './environment.js';
import { operationsSdl } from './graphql/operations-sdl.js';
import { createResolvers, type GatewayContext } from './graphql/resolvers.js';
import { sentryReporter, unexpectedErrors } from './graphql/unexpected-errors.js';
import { StallWatch } from './stall-watch.js';
import { queuesNamedAfter } from './admin/queues.js';
import { mountAdmin, registerTokenAuth } from './admin/index.js';
import { LongPoll, watchRecordEvents } from './long-poll.js';
import { loginRoute } from './login.js';
import { LoginThrottle } from './login-throttle.js';
import { clientAddress, TrustedProxies } from './edge/client-address.js';
import { graphqlRouteOptions } from './edge/graphql-route.js';
import { registerUserTokenAuth, userOf } from './edge/user-auth.js';
import { DisabledUsers, refusingDisabled } from './edge/disabled-users.js';
import { QueueDepthGuard, UserRateLimits } from './edge/user-limits.js';
import { keepLimitCode, operationLimits } from './graphql/operation-limits.js';
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
  // The record queue shares the gateway's command connection (fail-fast, auto-pipelined): a status
  // read's job lookup then goes to Redis in the same write as its rate count, and concurrent
  // requests' claims, job adds and reads share writes. BullMQ does not close a connection it was
  // given; clients.close() does.
  const queue = new RecordQueue(redis, retryPolicyFrom(env), env.RECORD_QUEUE_NAME);
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
  const batchSize = batchSizeHistogram(registry, 'Items sent in one store request: drafts per look-up of new drafts in MongoDB.');
  const submissions = new Submissions({
    count: (operation, outcome) => submitted.inc({ operation, outcome }),
    onBatch: (store, op, size) => batchSize.observe({ store, op }, size),
    redis,
    queue,
    db,
    minio,
    buckets: { staging: stores.minio.stagingBucket, attachments: stores.minio.bucket },
    ensureBucket: bucketsEnsured(minio),
    logger,
    jobSealSecret: optionalSecretOf(env, 'JOB_SEAL_SECRET'),
  });
  const status = new StatusReader(db, queue, logger);
  const longPolls = new Counter({
    name: 'steadfast_status_long_polls_total',
    help: 'fetchRecordStatus long-polls by how they ended: answered (not in flight), woken, timeout, aborted, released, full, stopping',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const waiters = new StatusWaiters(env.GATEWAY_LONG_POLL_MAX_WAITERS);
  // Blocking XREADs on a connection of their own, without the fail-fast options (a command
  // timeout would cut every read; a blocking client waits for Redis to come back).
  const recordEvents = watchRecordEvents(
    queue.name,
    createRedis(stores.redis, { maxRetriesPerRequest: null }),
    waiters,
    logger,
    env.GATEWAY_EVENTS_READ_PAUSE_MS,
  );
  const sentry = env.SENTRY_DSN ? await initSentry(env.SENTRY_DSN, env.NODE_ENV) : undefined;
  const production = env.NODE_ENV === 'production';
  const operations = operationLimits({
    maxDepth: env.GRAPHQL_MAX_DEPTH,
    maxAliases: env.GRAPHQL_MAX_ALIASES,
    maxRootFields: env.GRAPHQL_MAX_ROOT_FIELDS,
    maxDirectives: env.GRAPHQL_MAX_DIRECTIVES,
    maxTokens: env.GRAPHQL_MAX_TOKENS,
    maxCost: env.GRAPHQL_MAX_COST,
    production,
  });
  const rateLimits = new UserRateLimits(
    redis,
    { submissions: env.GATEWAY_SUBMISSIONS_PER_WINDOW, statusReads: env.GATEWAY_STATUS_READS_PER_WINDOW, windowSeconds: env.GATEWAY_RATE_WINDOW_SECONDS },
    logger,
  );
  // Not yet running: waiting, delayed (retries), prioritised. Read at most once a second.
  const queueDepth = new QueueDepthGuard(
    async () => Object.values(await queue.queue.getJobCounts('wait', 'delayed', 'prioritized', 'waiting-children')).reduce((a, b) => a + b, 0),
    env.GATEWAY_MAX_QUEUE_DEPTH,
    logger,
  );
  const apollo = new ApolloServer<GatewayContext>({
    typeDefs: [recordInputsSdlFor(limits), operationsSdl],
    resolvers: createResolvers({
      submissions,
      status,
      longPoll: new LongPoll(status, waiters, (outcome) => longPolls.inc({ outcome })),
      schemas: recordInputSchemas(limits),
      rateLimits,
      queueDepth,
    }),
    includeStacktraceInErrorResponses: false,
    // Production tells a stranger nothing about the schema: no introspection, no "Did you mean".
    introspection: !production,
    validationRules: operations.validationRules,
    parseOptions: operations.parseOptions,
    allowBatchedHttpRequests: false,
    formatError: keepLimitCode,
    plugins: [unexpectedErrors<GatewayContext>(logger, sentry && sentryReporter(sentry, 'gateway')), ...operations.plugins],
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

  // Every user token the gateway takes (GraphQL, admin) is refused once its user is disabled.
  const disabledUsers = new DisabledUsers(db.directory, logger, env.GATEWAY_DISABLED_USERS_POLL_MS);
  await disabledUsers.start();
  const verify = refusingDisabled(createTokenVerifier(new URL('/.well-known/jwks.json', env.AUTH_URL).toString()), disabledUsers);
  registerUserTokenAuth(server, verify);
  // Base64 grows bytes by 4/3; leave room for the rest of the document.
  const maxBytes = Math.ceil((env.ATTACHMENT_MAX_BYTES * env.ATTACHMENT_MAX_COUNT * 4) / 3) + 1024 * 1024;
  const edge = {
    limits: { small: env.GATEWAY_SMALL_BODY_BYTES, large: maxBytes },
    bodyTimeoutMs: env.GATEWAY_BODY_TIMEOUT_SECONDS * 1_000,
    maxTokens: env.GRAPHQL_MAX_TOKENS,
  };
  const apolloOptions: HapiApolloPluginOptions<GatewayContext> = {
    apolloServer: apollo,
    path: '/graphql',
    // Caller before body: the token is checked, then the body's size against the caller's limit,
    // then the body is read (edge/graphql-route.ts).
    getRoute: { options: graphqlRouteOptions(edge, 'get') },
    postRoute: { options: graphqlRouteOptions(edge, 'post') },
    context: ({ request }): Promise<GatewayContext> => {
      const header = request.headers['x-correlation-id'];
      const correlationId = typeof header === 'string' && header.length <= 100 ? header : randomUUID();
      // Hapi's 'disconnect' misses a client that leaves after sending its whole body; the
      // response's 'close' before it ended does not.
      const gone = new AbortController();
      request.raw.res.once('close', () => {
        if (!request.raw.res.writableEnded) gone.abort();
      });
      const user = userOf(request);
      return Promise.resolve({ correlationId, signal: gone.signal, ...(user ? { user } : {}) });
    },
  };
  await server.register<HapiApolloPluginOptions<GatewayContext>, void>({ plugin: hapiApollo, options: apolloOptions });
  registerTokenAuth(server, verify);
  const throttle = new LoginThrottle(
    redis,
    { perUsername: env.LOGIN_MAX_FAILURES, perAddress: env.LOGIN_MAX_FAILURES_PER_ADDRESS, windowSeconds: env.LOGIN_FAILURE_WINDOW_SECONDS },
    logger,
  );
  const proxies = new TrustedProxies(env.GATEWAY_TRUSTED_PROXIES);
  server.route(loginRoute(env.AUTH_URL, throttle, proxies, logger));
  const adminConnection = queueConnection(stores.redis, FAIL_FAST);
  await mountAdmin(server, { env, logger, db, redis, recordQueue: queue.queue, eventQueues, connection: adminConnection, verify, isDisabled: (userId) => disabledUsers.ids().has(userId), attempts: throttle, addressOf: (request) => clientAddress(request, proxies) });
  // Held long-polls answer (their status read afresh) as soon as the gateway starts stopping,
  // however it is stopped (close() below, or runService's signal handler).
  server.ext('onPreStop', () => waiters.close());

  // Nothing failing is not everything moving: an alert when a queue or the outbox stops (stall-watch.ts).
  const stallWatch =
    env.GATEWAY_STALL_ALERT_SECONDS > 0
      ? new StallWatch(redis, db, {
          stallMs: env.GATEWAY_STALL_ALERT_SECONDS * 1_000,
          checkMs: env.GATEWAY_STALL_CHECK_SECONDS * 1_000,
          queues: [queue.name, ...queuesNamedAfter(queue.name).map((q) => q.name), ...eventQueues.map((q) => q.name)],
          logger,
          channels: alertChannels({ sentry, webhookUrl: env.ALERT_WEBHOOK_URL }),
        })
      : undefined;
  if (stallWatch) {
    stallWatch.start();
    const headGauge = (name: string, of: 'waiting' | 'running', help: string) =>
      new Gauge({
        name,
        help,
        labelNames: ['queue'],
        registers: [registry],
        collect() {
          for (const head of stallWatch.headSeconds()) if (head.of === of) this.set({ queue: head.line }, head.seconds);
        },
      });
    headGauge(
      'steadfast_stalled_seconds',
      'waiting',
      'How long the oldest waiting job of each queue (and aggregate of the record outbox) has stayed the oldest, at the last stall check: about 0 while work moves; the stall alert comes at GATEWAY_STALL_ALERT_SECONDS.',
    );
    headGauge(
      'steadfast_longest_running_seconds',
      'running',
      "How long each queue's longest-running job has been seen running, at the last stall check: about a job's time; the job-hung alert comes at GATEWAY_STALL_ALERT_SECONDS.",
    );
  }

  const metricsServer = Hapi.server({ host: env.GATEWAY_METRICS_HOST, port: env.GATEWAY_METRICS_PORT });
  metricsServer.route(metricsRoute(registry));

  return {
    server,
    metricsServer,
    async close() {
      await server.stop({ timeout: 10_000 });
      disabledUsers.stop();
      stallWatch?.stop();
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
