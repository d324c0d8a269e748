/**
 * The workflow service: internal only. It runs the record workers; its HTTP side reports
 * `/health` and takes the country config's callbacks (outcomes.ts), authenticated with the
 * country config's own credential.
 */
import {
  alertChannels,
  collections,
  createServiceServer,
  ensureBucket,
  ensureIndexes,
  createRegistry,
  metricsRoute,
  onceSucceeded,
  registerQueueDepth,
  openStores,
  RecordQueue,
  queueConnection,
  WORKER_CONNECTION,
  closeQueueConnection,
  recordInputOptionsFrom,
  registerRecordWorker,
  registerServiceCredential,
  retryPolicyFrom,
  secretOf,
  optionalSecretOf,
  storeConfigFrom,
  repeatEvery,
  initSentry,
  type Logger,
} from '@steadfast/commons';
import type Hapi from '@hapi/hapi';
import type { Environment } from './environment.js';
import { Alerter, isFinalFailure } from './alerts.js';
import { workflowMetrics } from './metrics.js';
import { workflowBatches } from './batches.js';
import { DirectoryCopies } from './records/directory-copies.js';
import { fileAdapter, logAdapter, webhookAdapter, type NotificationAdapter } from './notifications/adapters.js';
import { Notifications } from './notifications/notifications.js';
import { Outcomes } from './outcomes.js';
import { createRecordProcessor } from './process-record.js';
import { SearchIndex } from '@steadfast/records';
import type { WorkflowDeps } from './context.js';
import { sweepStaging } from './staging/sweep.js';

/** The country config, calling back with COUNTRY_CONFIG_SECRET, and what it may do. */
const COUNTRY_CONFIG_CALLER = 'country-config-credential';
const OUTCOME_SCOPE = 'answer-external-validation';

export interface Workflow {
  server: Hapi.Server;
  deps: WorkflowDeps;
  /** Resolves once indexes, buckets and the search alias exist. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export async function createWorkflow(env: Environment, logger: Logger): Promise<Workflow> {
  const clients = openStores(storeConfigFrom(env), logger, { production: env.NODE_ENV === 'production' });
  const { config: stores, redis, mongo, minio, es } = clients;

  const policy = retryPolicyFrom(env);
  const registry = createRegistry('workflow');
  const connection = queueConnection(stores.redis, WORKER_CONNECTION);
  const db = collections(mongo.db(stores.mongo.dbName));
  const search = new SearchIndex(es, stores.elasticsearch.index, stores.elasticsearch.refreshInterval);
  const metrics = workflowMetrics(registry);
  const sealSecret = optionalSecretOf(env, 'JOB_SEAL_SECRET');
  const deps: WorkflowDeps = {
    db,
    minio,
    buckets: { attachments: stores.minio.bucket, staging: stores.minio.stagingBucket },
    search,
    redis,
    queue: new RecordQueue(connection, policy, env.RECORD_QUEUE_NAME),
    logger,
    metrics,
    directoryCopies: new DirectoryCopies(),
    batches: workflowBatches(db, search, { minio, bucket: stores.minio.stagingBucket }, { maxSize: env.WORKFLOW_BATCH_MAX, maxWaitMs: env.WORKFLOW_BATCH_WAIT_MS }, metrics.batchSize),
    notifications: new Notifications(connection, `notification-${env.RECORD_QUEUE_NAME}`, db.records.db, notificationAdapter(env, logger), logger, {
      maxSize: env.WORKFLOW_BATCH_MAX,
      maxWaitMs: env.WORKFLOW_BATCH_WAIT_MS,
      sendConcurrency: env.NOTIFICATION_SEND_CONCURRENCY,
      batchSize: metrics.batchSize,
    }),
    urls: { auth: env.AUTH_URL, countryConfig: env.COUNTRY_CONFIG_URL },
    inputs: recordInputOptionsFrom(env),
    authSecret: secretOf(env, 'AUTH_INTERNAL_SECRET'),
    ...(sealSecret !== undefined ? { jobSealSecret: sealSecret } : {}),
    duplicateCap: env.DUPLICATE_CANDIDATE_CAP,
  };
  const outcomes = new Outcomes(deps, connection, `record-outcome-${env.RECORD_QUEUE_NAME}`);
  registerQueueDepth(registry, [deps.queue.queue]);

  // Indexes, buckets and the search alias are made when first needed, so the workflow starts
  // (and reports on /health) while a store is still down; jobs wait in the queue meanwhile.
  const ready = onceSucceeded(async () => {
    await ensureIndexes(db);
    await ensureBucket(minio, stores.minio.bucket);
    await ensureBucket(minio, stores.minio.stagingBucket);
    await search.ensure();
    if (!(await search.keyedDuplicateSearch())) {
      logger.warn({ alias: search.alias }, 'search index made by an earlier release (documents without duplicate keys): duplicate checks use the fuzzy query, ~4 ms more Elasticsearch CPU each, until npm run search:rebuild (taken up within a minute, no restart)');
    }
  });
  const channels = alertChannels({ sentry: env.SENTRY_DSN ? await initSentry(env.SENTRY_DSN, env.NODE_ENV) : undefined, webhookUrl: env.ALERT_WEBHOOK_URL });
  const alerter = new Alerter(db, deps.queue, channels, logger);
  const process = createRecordProcessor(deps);
  const worker = registerRecordWorker(
    async (job) => {
      await ready();
      return process(job);
    },
    {
      connection,
      logger,
      policy,
      queueName: env.RECORD_QUEUE_NAME,
      concurrency: env.WORKFLOW_CONCURRENCY,
      lockDurationMs: env.WORKFLOW_LOCK_MS,
    },
  );
  worker.on('failed', (job, error) => {
    if (job && isFinalFailure(job, error)) deps.metrics?.jobs.inc({ outcome: 'exhausted' });
    if (job) alerter.exhausted(job).catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'alert not raised; the sweep will'));
  });
  alerter.start(env.ALERT_SWEEP_MS);
  const stagingSweep = repeatEvery(
    env.STAGING_SWEEP_MS,
    async () => {
      await ready();
      await sweepStaging(
        {
          db,
          minio,
          bucket: stores.minio.stagingBucket,
          jobState: async (draftId) => {
            const job = await deps.queue.getJob(draftId);
            return job ? job.getState() : undefined;
          },
          logger,
        },
        { graceMs: env.STAGING_GRACE_MS, maxAgeMs: env.STAGING_MAX_AGE_HOURS * 3_600_000 },
      );
    },
    (error) => logger.warn({ err: error.message }, 'staging sweep failed; the next round tries again'),
  );
  ready().catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'stores not ready yet; will retry with the first job'));

  const server = await createServiceServer({
    name: 'workflow',
    host: env.WORKFLOW_HOST,
    port: env.WORKFLOW_PORT,
    logger,
    checks: clients.checks,
  });
  server.route(metricsRoute(registry));
  registerServiceCredential(server, COUNTRY_CONFIG_CALLER, {
    service: 'country config',
    secret: secretOf(env, 'COUNTRY_CONFIG_SECRET'),
    scope: [OUTCOME_SCOPE],
  });
  server.route(outcomes.routes({ strategy: COUNTRY_CONFIG_CALLER, access: { scope: OUTCOME_SCOPE } }));
  deps.notifications?.start();
  outcomes.start();

  return {
    server,
    deps,
    ready,
    async close() {
      await server.stop({ timeout: 10_000 });
      // The workers first, each waiting for its active jobs: those jobs still use the
      // notification queue and the clients, and a job that fails as it stops is alerted.
      await Promise.all([worker.close(), outcomes.close()]);
      alerter.stop();
      stagingSweep.stop();
      await deps.notifications?.close();
      await deps.queue.close();
      closeQueueConnection(connection);
      await clients.close();
    },
  };
}

function notificationAdapter(env: Environment, logger: Logger): NotificationAdapter {
  switch (env.NOTIFICATION_ADAPTER) {
    case 'file':
      return fileAdapter(env.NOTIFICATION_FILE ?? '');
    case 'webhook':
      return webhookAdapter(env.NOTIFICATION_WEBHOOK_URL ?? '');
    default:
      return logAdapter(logger);
  }
}
