/**
 * Clients of the four stores, built from `StoreConfig`. Each service creates the ones it needs
 * once and closes them on shutdown.
 */
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { Redis, type RedisOptions } from 'ioredis';
import { Client as MinioClient } from 'minio';
import { MongoClient } from 'mongodb';
import type { StoreConfig } from './config.js';

export { ElasticsearchClient, MinioClient, MongoClient, Redis };

/**
 * ioredis options for BullMQ and for plain use. `maxRetriesPerRequest: null` is what BullMQ
 * requires of worker connections: a command waits for Redis to come back instead of failing,
 * and the client reconnects forever with a capped backoff.
 */
export function redisOptions(config: StoreConfig['redis']): RedisOptions {
  return {
    host: config.host,
    port: config.port,
    ...(config.username ? { username: config.username } : {}),
    ...(config.password ? { password: config.password } : {}),
    ...(config.tls ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(times * 200, 5_000),
  };
}

export function createRedis(config: StoreConfig['redis'], overrides: RedisOptions = {}): Redis {
  return new Redis({ ...redisOptions(config), ...overrides });
}

export function createMongo(config: StoreConfig['mongo']): MongoClient {
  return new MongoClient(config.url, {
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: 5_000,
    // FerretDB (the local MongoDB) has no retryable-writes support; the steps are idempotent.
    retryWrites: false,
  });
}

export function createMinio(config: StoreConfig['minio']): MinioClient {
  return new MinioClient({
    endPoint: config.endPoint,
    port: config.port,
    useSSL: config.useSSL,
    accessKey: config.accessKey,
    secretKey: config.secretKey,
  });
}

export function createElasticsearch(config: StoreConfig['elasticsearch']): ElasticsearchClient {
  return new ElasticsearchClient({ node: config.url, requestTimeout: 10_000, maxRetries: 2 });
}
