/**
 * The four store clients a service opens together, their `/health` checks, and one `close()`.
 * Redis connection errors are logged (ioredis otherwise prints them unstructured).
 */
import type { RedisOptions } from 'ioredis';
import { ConfigError, type StoreConfig } from './config.js';
import { elasticsearchCheck, minioCheck, mongoCheck, redisCheck, type HealthCheck } from './health.js';
import type { Logger } from './logger.js';
import { watchMongoMonitor } from './mongo-monitor-watch.js';
import { checkRedisPolicy } from './redis-policy.js';
import {
  createElasticsearch,
  createMinio,
  createMongo,
  createRedis,
  type ElasticsearchClient,
  type MinioClient,
  type MongoClient,
  type Redis,
} from './stores.js';

export interface StoreClients {
  config: StoreConfig;
  redis: Redis;
  mongo: MongoClient;
  minio: MinioClient;
  es: ElasticsearchClient;
  checks: Record<string, HealthCheck>;
  close(): Promise<void>;
}

export interface OpenStoresOptions {
  redis?: RedisOptions;
  /** Refuse to run on an unsafe Redis (evicting, not persistent) instead of warning. */
  production?: boolean;
}

/**
 * The service's own Redis client (claims, throttles, hints, status reads; BullMQ opens its own)
 * pipelines automatically: the commands issued in one turn of the event loop go out in one
 * write. Jobs a batch of store writes releases together (a bulk insert answers many jobs at
 * once) then send their next commands together too; each command still gets its own reply.
 */
export const COMMAND_CONNECTION: RedisOptions = { enableAutoPipelining: true };

export function openStores(config: StoreConfig, logger: Logger, options: OpenStoresOptions = {}): StoreClients {
  const redis = createRedis(config.redis, { ...COMMAND_CONNECTION, ...options.redis });
  // Checked on every (re)connection: a Redis replaced by an unsafe one is caught too.
  redis.on('ready', () => {
    checkRedisPolicy(redis, logger, options.production ?? false).catch((error: unknown) => {
      if (error instanceof ConfigError) {
        logger.fatal({ problems: error.issues }, 'unsafe Redis configuration; refusing to run');
        process.exit(78); // EX_CONFIG
      }
      logger.warn({ err: (error as Error).message }, 'could not check the Redis configuration');
    });
  });
  const mongo = createMongo(config.mongo);
  const mongoWatch = watchMongoMonitor(mongo, logger);
  const minio = createMinio(config.minio);
  const es = createElasticsearch(config.elasticsearch);
  redis.on('error', (error: Error) => logger.warn({ err: error.message }, 'redis connection error'));
  return {
    config,
    redis,
    mongo,
    minio,
    es,
    checks: {
      redis: redisCheck(redis),
      mongo: mongoCheck(mongo, config.mongo.dbName, mongoWatch),
      minio: minioCheck(minio, config.minio.bucket),
      elasticsearch: elasticsearchCheck(es),
    },
    async close() {
      redis.disconnect();
      mongoWatch.close();
      await Promise.all([mongo.close(), es.close()]);
    },
  };
}
