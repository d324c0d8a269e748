/**
 * The reference country config: `POST /event-registration` takes a record for external
 * validation and answers 202 at once; a queued job decides (rules.ts) and calls the workflow's
 * confirm or reject endpoint with the country config's own credential (COUNTRY_CONFIG_SECRET),
 * retrying until the workflow has the answer.
 * The workflow calls `/event-registration` with a narrowed token (audience steadfast-internal)
 * that auth minted for the submitting user, this record and the register action; user tokens
 * are refused here. Internal only: bound to loopback, never routed by the gateway.
 */
import {
  allowsOnRecord,
  createRedis,
  createServiceServer,
  createTokenVerifier,
  invalidPayload,
  EventType,
  redisCheck,
  closeQueueConnection,
  queueBase,
  workerBase,
  queueConnection,
  registerTokenStrategy,
  secretOf,
  storeConfigFrom,
  tokenUserOf,
  type Logger,
} from '@steadfast/commons';
import type Hapi from '@hapi/hapi';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { z } from 'zod';
import type { Environment } from './environment.js';
import { decide, parseRequiredFields } from './rules.js';

export const VALIDATION_QUEUE = 'country-validation';

const EventRegistration = z.object({
  recordId: z.string().min(1),
  trackingId: z.string().min(1),
  event: EventType,
  data: z.record(z.string(), z.unknown()),
});
type ValidationJob = z.infer<typeof EventRegistration> & { userId: string };

/** The workflow's calls, each with a token auth narrowed to one record and the register action. */
const NARROWED_TOKEN = 'narrowed-token';

export interface CountryConfig {
  server: Hapi.Server;
  close(): Promise<void>;
}

export async function createCountryConfig(env: Environment, logger: Logger): Promise<CountryConfig> {
  const rules = parseRequiredFields(env.COUNTRY_CONFIG_REQUIRED_FIELDS);
  const stores = storeConfigFrom(env);
  const redis = createRedis(stores.redis);
  redis.on('error', (error: Error) => logger.warn({ err: error.message }, 'redis connection error'));
  const connection = queueConnection(stores.redis);
  const queueName = `${VALIDATION_QUEUE}-${env.RECORD_QUEUE_NAME}`;
  const queue = new Queue<ValidationJob>(queueName, queueBase(connection));
  const verify = createTokenVerifier(new URL('/.well-known/jwks.json', env.AUTH_URL).toString(), 'internal');
  const credential = secretOf(env, 'COUNTRY_CONFIG_SECRET');

  const worker = new Worker<ValidationJob>(
    queueName,
    async (job) => {
      const { recordId, event, data } = job.data;
      await new Promise((resolve) => setTimeout(resolve, env.COUNTRY_CONFIG_DECISION_DELAY_MS));
      const decision = decide(rules, recordId, event, data);
      const path = decision.outcome === 'confirm' ? 'confirm' : 'reject';
      const body = decision.outcome === 'confirm' ? { registrationNumber: decision.registrationNumber } : { reason: decision.reason };
      const response = await fetch(new URL(`/records/${recordId}/${path}`, env.WORKFLOW_URL), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      // 409: the record already has an answer (ours, from an earlier attempt, or another one).
      if (response.ok || response.status === 409) {
        logger.info({ recordId, outcome: decision.outcome, status: response.status }, 'external validation answered');
        return decision;
      }
      if (response.status === 404) throw new UnrecoverableError(`the workflow does not know record ${recordId}`);
      throw new Error(`the workflow answered HTTP ${response.status}; retrying`);
    },
    {
      ...workerBase(connection, 'config'),
      concurrency: 8,
      settings: { backoffStrategy: (attempts: number) => Math.min(env.RECORD_BACKOFF_MAX_MS, env.RECORD_BACKOFF_MS * 2 ** Math.max(0, attempts - 1)) },
    },
  );
  worker.on('failed', (job, error) => logger.warn({ recordId: job?.data.recordId, attempts: job?.attemptsMade, err: error.message }, 'callback failed'));
  worker.on('error', (error) => logger.warn({ err: error.message }, 'validation worker error'));

  const server = await createServiceServer({
    name: 'config',
    host: env.COUNTRY_CONFIG_HOST,
    port: env.COUNTRY_CONFIG_PORT,
    logger,
    checks: { redis: redisCheck(redis) },
  });
  registerTokenStrategy(server, NARROWED_TOKEN, { verify });

  server.route({
    method: 'POST',
    path: '/event-registration',
    options: {
      auth: { strategy: NARROWED_TOKEN, access: { scope: 'register' } },
      payload: { maxBytes: 1024 * 1024, allow: 'application/json' },
    },
    handler: async (request, h) => {
      if (Math.random() < env.COUNTRY_CONFIG_FAILURE_RATE) {
        logger.warn({ failureRate: env.COUNTRY_CONFIG_FAILURE_RATE }, 'event registration refused: simulated failure');
        return h.response({ error: 'the country config is unavailable (simulated failure)' }).code(503);
      }
      const parsed = EventRegistration.safeParse(request.payload ?? {});
      if (!parsed.success) return invalidPayload(h, 'event registration', parsed.error);
      const user = tokenUserOf(request);
      if (!allowsOnRecord(user, 'register', parsed.data.recordId)) {
        return h.response({ error: 'the token does not allow registering this record' }).code(403);
      }
      const userId = user.userId;
      // One validation per record: a repeated request while it is pending is the same job.
      await queue.add('validate', { ...parsed.data, userId }, {
        jobId: parsed.data.recordId,
        attempts: 1_000,
        backoff: { type: 'custom' },
        removeOnComplete: { count: 1_000 },
        removeOnFail: false,
      });
      if (env.COUNTRY_CONFIG_RESPONSE_DELAY_MS > 0) {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * env.COUNTRY_CONFIG_RESPONSE_DELAY_MS));
      }
      return h.response({ status: 'accepted', recordId: parsed.data.recordId }).code(202);
    },
  });

  return {
    server,
    async close() {
      await server.stop({ timeout: 10_000 });
      await worker.close();
      await queue.close();
      closeQueueConnection(connection);
      redis.disconnect();
    },
  };
}
