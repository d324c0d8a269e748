/**
 * Reading configuration from the environment. Each service has one `environment.ts` that calls
 * `readEnv` with its own schema; this module holds the pieces every service shares (the stores).
 */
import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** A boolean from an environment string: true/false, 1/0, yes/no. */
export const envBoolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** A TCP port; 0 asks the system for a free one (tests). */
export const envPort = z.coerce.number().int().min(0).max(65535);

export const NODE_ENVS = ['development', 'test', 'production'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

/**
 * CONTRACT "Environment": `production` unless NODE_ENV says `development` or `test`. Unset, empty
 * or anything else (a typo, "staging") is production, the safe side: a service then refuses to
 * start without its production secrets rather than run with demo users and development keys.
 */
export const envNodeEnv = z.preprocess((value) => (value === 'development' || value === 'test' ? value : 'production'), z.enum(NODE_ENVS));

export interface HostPort {
  host: string;
  port: number;
}

/** `host:port,host:port` (spaces allowed around commas), at least one. */
export function hostPortList(name: string) {
  return z.string().transform((value, ctx): HostPort[] => {
    const list: HostPort[] = [];
    for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
      const match = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(part);
      const port = Number(match?.[2]);
      if (!match?.[1] || port < 1 || port > 65535) {
        ctx.addIssue({ code: 'custom', message: `${name} must be host:port,host:port; "${part.slice(0, 40)}" is not host:port` });
        return z.NEVER;
      }
      list.push({ host: match[1].replace(/^\[|\]$/g, ''), port });
    }
    if (list.length === 0) {
      ctx.addIssue({ code: 'custom', message: `${name} must list at least one host:port` });
      return z.NEVER;
    }
    return list;
  });
}

/** A refresh interval as `ES_REFRESH_INTERVAL` takes it: a whole number of ms or s. */
const REFRESH_INTERVAL = /^([1-9]\d*)(ms|s)$/;

/** The environment variables naming the four stores, with the local development defaults. */
export const storeEnvSchema = z.object({
  /** production refuses unsafe settings that development only warns about. */
  NODE_ENV: envNodeEnv,
  REDIS_HOST: z.string().min(1).default('127.0.0.1'),
  REDIS_PORT: envPort.default(6379),
  REDIS_USERNAME: z.string().optional(),
  REDIS_PASSWORD: z.string().optional(),
  REDIS_TLS: envBoolean.default(false),
  /** Sentinel: `host:port,host:port`; REDIS_HOST/REDIS_PORT are then ignored (ioredis asks them). */
  REDIS_SENTINELS: hostPortList('REDIS_SENTINELS').optional(),
  /** The master name the sentinels monitor (`sentinel monitor <name> …`). */
  REDIS_SENTINEL_NAME: z.string().min(1).default('steadfast'),
  REDIS_SENTINEL_PASSWORD: z.string().optional(),
  /** Cluster: some of its nodes, `host:port,host:port`; the rest are discovered. */
  REDIS_CLUSTER_NODES: hostPortList('REDIS_CLUSTER_NODES').optional(),
  /** A full connection string; when unset, the local server on 127.0.0.1:MONGO_PORT. */
  MONGO_URL: z.string().startsWith('mongodb').optional(),
  MONGO_PORT: envPort.default(27017),
  MONGO_DB: z.string().min(1).default('steadfast'),
  /**
   * A replica set's write concern (`majority`, or a number of members). Unset: the server's
   * default. The local FerretDB is one node without replication: leave it unset there.
   */
  MONGO_WRITE_CONCERN: z.union([z.literal('majority'), z.coerce.number().int().min(0).max(50)]).optional(),
  /** Retryable writes: on for a real MongoDB replica set, off for FerretDB (which lacks them). */
  MONGO_RETRY_WRITES: envBoolean.default(false),
  MINIO_ENDPOINT: z.string().min(1).default('127.0.0.1'),
  MINIO_PORT: envPort.default(9000),
  MINIO_USE_SSL: envBoolean.default(false),
  MINIO_ACCESS_KEY: z.string().min(1).default('minioadmin'),
  MINIO_SECRET_KEY: z.string().min(1).default('minioadmin'),
  MINIO_BUCKET: z.string().min(3).default('attachments'),
  /** Where the gateway stages attachments until the workflow moves them under the record. */
  MINIO_STAGING_BUCKET: z.string().min(3).default('attachments-staging'),
  /** A MinIO request with no byte either way for this long fails (stores.ts, `timeoutTransport`). */
  MINIO_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /** When unset, the local node on 127.0.0.1:ES_PORT. */
  ES_URL: z.url().optional(),
  ES_PORT: envPort.default(9200),
  ES_INDEX: z.string().min(1).default('records'),
  /**
   * How often new search documents become searchable (the index's refresh_interval, applied at
   * every start). The search step waits for it, so it is latency against Elasticsearch's CPU:
   * each refresh writes a segment, 250ms cost ~22 ms of CPU per record at 10/s, 500ms ~15, 1s ~11.
   */
  ES_REFRESH_INTERVAL: z.string().regex(REFRESH_INTERVAL, 'a duration such as 500ms or 1s').default('500ms'),
});

/** The milliseconds of a refresh interval as `ES_REFRESH_INTERVAL` takes it, or undefined for any other form. */
export function refreshIntervalMs(value: string): number | undefined {
  const match = REFRESH_INTERVAL.exec(value);
  return match ? Number(match[1]) * (match[2] === 's' ? 1000 : 1) : undefined;
}

export type StoreEnv = z.infer<typeof storeEnvSchema>;

/**
 * How to reach Redis. One server by host and port; or, when `sentinels` is set, the primary the
 * sentinels name (ioredis follows a failover); or, when `clusterNodes` is set, a Redis Cluster.
 */
export interface RedisConfig {
  host: string;
  port: number;
  username?: string;
  password?: string;
  tls: boolean;
  sentinels?: HostPort[];
  sentinelName?: string;
  sentinelPassword?: string;
  clusterNodes?: HostPort[];
}

export interface StoreConfig {
  redis: RedisConfig;
  mongo: { url: string; dbName: string; writeConcern?: 'majority' | number; retryWrites: boolean };
  minio: {
    endPoint: string;
    port: number;
    useSSL: boolean;
    accessKey: string;
    secretKey: string;
    bucket: string;
    stagingBucket: string;
    /** Idle time after which a request fails (default 30 s). */
    requestTimeoutMs?: number;
  };
  elasticsearch: { url: string; index: string; refreshInterval: string };
}

export function storeConfigFrom(env: StoreEnv): StoreConfig {
  if (env.REDIS_SENTINELS && env.REDIS_CLUSTER_NODES) {
    throw new ConfigError(['REDIS_SENTINELS and REDIS_CLUSTER_NODES: set one of them (Sentinel or Cluster), not both']);
  }
  return {
    redis: {
      host: env.REDIS_HOST,
      port: env.REDIS_PORT,
      ...(env.REDIS_USERNAME ? { username: env.REDIS_USERNAME } : {}),
      ...(env.REDIS_PASSWORD ? { password: env.REDIS_PASSWORD } : {}),
      tls: env.REDIS_TLS,
      ...(env.REDIS_SENTINELS ? { sentinels: env.REDIS_SENTINELS, sentinelName: env.REDIS_SENTINEL_NAME } : {}),
      ...(env.REDIS_SENTINELS && env.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: env.REDIS_SENTINEL_PASSWORD } : {}),
      ...(env.REDIS_CLUSTER_NODES ? { clusterNodes: env.REDIS_CLUSTER_NODES } : {}),
    },
    mongo: {
      url: env.MONGO_URL ?? `mongodb://127.0.0.1:${env.MONGO_PORT}`,
      dbName: env.MONGO_DB,
      ...(env.MONGO_WRITE_CONCERN !== undefined ? { writeConcern: env.MONGO_WRITE_CONCERN } : {}),
      retryWrites: env.MONGO_RETRY_WRITES,
    },
    minio: {
      endPoint: env.MINIO_ENDPOINT,
      port: env.MINIO_PORT,
      useSSL: env.MINIO_USE_SSL,
      accessKey: env.MINIO_ACCESS_KEY,
      secretKey: env.MINIO_SECRET_KEY,
      bucket: env.MINIO_BUCKET,
      stagingBucket: env.MINIO_STAGING_BUCKET,
      requestTimeoutMs: env.MINIO_REQUEST_TIMEOUT_MS,
    },
    elasticsearch: { url: env.ES_URL ?? `http://127.0.0.1:${env.ES_PORT}`, index: env.ES_INDEX, refreshInterval: env.ES_REFRESH_INTERVAL },
  };
}

/**
 * Record jobs one workflow process runs at once unless `WORKFLOW_CONCURRENCY` says otherwise (the
 * workflow's environment; the bench's queue floor uses the same figure). A job spends most of its
 * time waiting (for the search index's refresh above all), so the pool bounds the rate at about
 * this many / a job's time: 128 capped a worker near 120 jobs/s on 2 cores, where its jobs took
 * ~1 s; 256 kept processed p50 at 1.2-1.5 s at 120-134/s where 128 let it grow to 2.4-7.1 s
 * (docs/benchmark-history.md, fifteenth pass).
 */
export const DEFAULT_WORKFLOW_CONCURRENCY = 256;

/** The record queue's name and retry policy: the gateway sets them on a job, the workflow runs it. */
export const queueEnvSchema = z.object({
  RECORD_QUEUE_NAME: z.string().min(1).default('record'),
  RECORD_JOB_ATTEMPTS: z.coerce.number().int().min(1).max(1_000).default(12),
  RECORD_BACKOFF_MS: z.coerce.number().int().min(1).default(1_000),
  RECORD_BACKOFF_MAX_MS: z.coerce.number().int().min(1).default(120_000),
});

export type QueueEnv = z.infer<typeof queueEnvSchema>;

export const retryPolicyFrom = (env: QueueEnv) => ({
  attempts: env.RECORD_JOB_ATTEMPTS,
  backoffMs: env.RECORD_BACKOFF_MS,
  backoffMaxMs: env.RECORD_BACKOFF_MAX_MS,
});

/** The domain-event channel, shared by the writers (relay hints), consumers and the dashboard. */
export const eventEnvSchema = z.object({
  /** Prefix of the partition queues `<prefix>-p<N>`. */
  EVENT_QUEUE_PREFIX: z.string().min(1).default('events'),
  /** Changing it moves aggregates between partitions: drain the queues first. */
  EVENT_PARTITIONS: z.coerce.number().int().min(1).max(64).default(4),
  EVENT_ATTEMPTS: z.coerce.number().int().min(1).max(1_000).default(10),
  EVENT_BACKOFF_MS: z.coerce.number().int().min(1).default(500),
  EVENT_BACKOFF_MAX_MS: z.coerce.number().int().min(1).default(60_000),
  /** Events in one job at most: a relay round's events of a partition go out as jobs this big. */
  EVENT_BATCH_MAX: z.coerce.number().int().min(1).max(100).default(100),
});

export type EventEnv = z.infer<typeof eventEnvSchema>;

export const eventChannelFrom = (env: EventEnv) => ({
  prefix: env.EVENT_QUEUE_PREFIX,
  partitions: env.EVENT_PARTITIONS,
  attempts: env.EVENT_ATTEMPTS,
  backoffMs: env.EVENT_BACKOFF_MS,
  backoffMaxMs: env.EVENT_BACKOFF_MAX_MS,
  batchMax: env.EVENT_BATCH_MAX,
});

/**
 * Parses the environment with a schema; every problem is reported at once, naming the variable
 * and the rule, so a misconfigured deployment fails at start with one readable message.
 */
export function readEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  // Empty strings count as unset, as they do in most deployment tools.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  }
  return parsed.data;
}
