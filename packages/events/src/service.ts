/**
 * The events service: the outbox relay (records and users) and the consumers that keep the
 * projections. Internal only: `/health`, `/ready` and `/metrics` on its own port.
 */
import {
  collections,
  createRegistry,
  FailedJobAlerts,
  createServiceServer,
  DirectDelivery,
  ensureIndexes,
  eventChannelFrom,
  EventChannel,
  eventsOfJob,
  Counter,
  Histogram,
  batchSizeHistogram,
  metricsRoute,
  onceSucceeded,
  openStores,
  OutboxRelay,
  queueConnection,
  WORKER_CONNECTION,
  closeQueueConnection,
  registerQueueDepth,
  repeatEvery,
  startEventConsumers,
  storeConfigFrom,
  type AlertSource,
  type Collection,
  type ConsumerMetrics,
  type Logger,
  type OutboxDocument,
  type Projection,
  type Repeating,
  type RunningConsumers,
} from '@steadfast/commons';
import { SearchIndex } from '@steadfast/records';
import type Hapi from '@hapi/hapi';
import type { Environment } from './environment.js';
import { auditTrailProjection, searchProjection, userCopiesProjection } from './projections.js';

export interface EventsService {
  server: Hapi.Server;
  relay?: OutboxRelay;
  consumers?: RunningConsumers;
  close(): Promise<void>;
}

function consumerMetrics(registry: ReturnType<typeof createRegistry>): ConsumerMetrics {
  return {
    events: new Counter({
      name: 'steadfast_events_total',
      help: 'Events handled by each projection, by outcome: applied, duplicate, waiting (for an earlier event), failed.',
      labelNames: ['projection', 'outcome'],
      registers: [registry],
    }),
    propagation: new Histogram({
      name: 'steadfast_event_propagation_seconds',
      help: 'From the change written in MongoDB to the projection applying its event.',
      labelNames: ['projection'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}

export async function createEventsService(env: Environment, logger: Logger): Promise<EventsService> {
  const clients = openStores(storeConfigFrom(env), logger, { production: env.NODE_ENV === 'production' });
  const { config: stores, redis, mongo, es } = clients;
  const connection = queueConnection(stores.redis, WORKER_CONNECTION);
  const mongoDb = mongo.db(stores.mongo.dbName);
  const db = collections(mongoDb);
  const search = new SearchIndex(es, stores.elasticsearch.index, stores.elasticsearch.refreshInterval);
  const channelConfig = eventChannelFrom(env);
  const registry = createRegistry('events');
  const batchSize = batchSizeHistogram(
    registry,
    'Items sent in one store request: events per job the relay publishes, outboxes per relay read and clear, events per projection write.',
  );
  const onBatch = (store: string, op: string, size: number): void => batchSize.observe({ store, op }, size);
  const channel = new EventChannel(channelConfig, connection, (events) => onBatch('redis', 'publish-events', events));
  registerQueueDepth(registry, channel.queues);

  const ready = onceSucceeded(async () => {
    await ensureIndexes(db);
    await search.ensure();
  });
  ready().catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'stores not ready yet; will retry'));

  // The projections and their metrics, where this process consumes (its relay may apply them too).
  const consuming = env.EVENTS_ROLES.includes('consumer');
  const consumerLog = logger.child({ role: 'consumer' });
  const metrics = consuming ? consumerMetrics(registry) : undefined;
  const projections: Projection[] = consuming
    ? [searchProjection(search, onBatch), auditTrailProjection(db, onBatch), userCopiesProjection(db, redis, consumerLog)].map((p) => ({
        name: p.name,
        handles: (event) => p.handles(event),
        applyMany: async (events) => {
          await ready();
          return p.applyMany(events);
        },
      }))
    : [];

  let relay: OutboxRelay | undefined;
  if (env.EVENTS_ROLES.includes('relay')) {
    // With the consumers in this process the relay applies the events itself, and queues only
    // what the projections did not settle (direct.ts); apart, it queues every round.
    const direct = consuming && env.EVENTS_DIRECT;
    const sink = direct
      ? new DirectDelivery(projections, channel, {
          logger: consumerLog,
          ...(metrics ? { metrics } : {}),
          batchMax: channelConfig.batchMax,
          onBatch: (events) => onBatch('projections', 'apply-events', events),
          // A user's change rewrites every record that copies the user: on a consumer, where it
          // holds up no relay round.
          applies: (event) => event.aggregate === 'record',
        })
      : channel;
    // Records (the workflow's) and users (auth's): the relay only ever touches their outbox.
    const sources = [
      { collection: db.records as unknown as Collection<OutboxDocument>, hinted: true, writtenAt: 'updatedAt' },
      { collection: mongoDb.collection<OutboxDocument>('users'), hinted: false },
    ];
    relay = new OutboxRelay(sources, sink, redis, logger.child({ role: 'relay', direct }), {
      pollMs: env.RELAY_POLL_MS,
      sweepMs: env.RELAY_SWEEP_MS,
      batch: env.RELAY_BATCH,
      onBatch: (op, size) => onBatch('mongodb', op, size),
    });
    relay.start();
  }

  let consumers: RunningConsumers | undefined;
  let alertSweep: Repeating | undefined;
  if (consuming) {
    // A dead-lettered event raises an alert document; the workflow's alert sweep delivers it
    // (Sentry, webhook) with its own, and /admin/alerts lists it.
    const sources: AlertSource[] = channel.queues.map((queue) => ({
      queue,
      describe: (job, base) => {
        // A dead letter is one event (a batch is split before it would be one); a batch left
        // failed (unreadable, or its events could not be published alone) is named by its job.
        const read = eventsOfJob(job.data);
        const event = read.kind === 'single' ? read.events[0] : undefined;
        return {
          ...base,
          kind: 'event-dead-lettered',
          eventId: event?.id ?? String(job.id),
          eventType: event?.type ?? job.name,
          aggregate: event?.aggregate ?? 'unknown',
          aggregateId: event?.aggregateId ?? 'unknown',
        };
      },
    }));
    const deadLetters = new FailedJobAlerts(db.alerts, sources, consumerLog);
    alertSweep = repeatEvery(env.ALERT_SWEEP_MS, () => deadLetters.sweep(), (error) => consumerLog.warn({ err: error.message }, 'dead-letter alert sweep failed'));
    consumers = startEventConsumers(channelConfig, projections, {
      connection,
      logger: consumerLog,
      ...(metrics ? { metrics } : {}),
      channel,
      lockDurationMs: env.EVENT_LOCK_MS,
      onDeadLetter: async (queueName, job) => {
        const source = sources.find((s) => s.queue.name === queueName);
        if (source) await deadLetters.raise(source, job);
      },
    });
  }

  const server = await createServiceServer({ name: 'events', host: env.EVENTS_HOST, port: env.EVENTS_PORT, logger, checks: clients.checks });
  server.route(metricsRoute(registry));
  logger.info({ roles: env.EVENTS_ROLES, direct: consuming && env.EVENTS_DIRECT, partitions: channelConfig.partitions, prefix: channelConfig.prefix }, 'events service running');

  return {
    server,
    ...(relay ? { relay } : {}),
    ...(consumers ? { consumers } : {}),
    async close() {
      await server.stop({ timeout: 10_000 });
      await relay?.stop();
      alertSweep?.stop();
      // Waits for the events in hand; one cut short is taken up again by another consumer.
      await consumers?.close();
      await channel.close();
      closeQueueConnection(connection);
      await clients.close();
    },
  };
}
