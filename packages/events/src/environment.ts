import { envBoolean, envPort, eventEnvSchema, readEnv, requireInProduction, storeEnvSchema } from '@steadfast/commons';
import { z } from 'zod';

const ROLES = ['relay', 'consumer'] as const;

export const environmentSchema = storeEnvSchema.extend(eventEnvSchema.shape).extend({
  EVENTS_HOST: z.string().min(1).default('127.0.0.1'),
  EVENTS_PORT: envPort.default(7075),
  /** What this process runs: both by default; a deployment may run them apart and scaled. */
  EVENTS_ROLES: z
    .string()
    .default('relay,consumer')
    .transform((value) => value.split(',').map((r) => r.trim()).filter(Boolean))
    .pipe(z.array(z.enum(ROLES)).min(1, 'name at least one of relay, consumer')),
  /**
   * Where this process runs both roles: the relay applies each round's events to the projections
   * itself and queues only what they did not settle (a refused event, events waiting for an
   * earlier one, a batch whose store failed); `false` queues every round as a process with the
   * relay alone does. Direct costs no BullMQ job per round (about six Redis round trips each).
   */
  EVENTS_DIRECT: envBoolean.default(true),
  /**
   * How often the relay reads the writers' hints. Each round costs a few round trips to Redis
   * and MongoDB and one event job per partition, whatever it carries: a longer poll carries more
   * events per round (fewer commands per record), a shorter one keeps projections fresher. The
   * record's own status never waits for it (the search document the duplicate check needs is the
   * workflow's write); the audit trail and later search updates lag by half of it on average.
   */
  RELAY_POLL_MS: z.coerce.number().int().min(10).default(250),
  /** How often the relay queries for events whose hint was lost (a writer died after its write). */
  RELAY_SWEEP_MS: z.coerce.number().int().min(100).default(5_000),
  RELAY_BATCH: z.coerce.number().int().min(1).max(10_000).default(200),
  /** A killed consumer's event is taken up again after this long. */
  EVENT_LOCK_MS: z.coerce.number().int().min(1_000).default(10_000),
  /** How often the dead letters of every partition are checked for alerts nobody raised. */
  ALERT_SWEEP_MS: z.coerce.number().int().min(1_000).default(30_000),
}).superRefine(requireInProduction({ minio: true }));

export type Environment = z.infer<typeof environmentSchema>;

export const readEnvironment = (env?: Record<string, string | undefined>): Environment => readEnv(environmentSchema, env);
