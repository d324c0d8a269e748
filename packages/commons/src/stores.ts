/**
 * Clients of the four stores, built from `StoreConfig`. Each service creates the ones it needs
 * once and closes them on shutdown.
 */
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { Redis } from 'ioredis';
import { Client as MinioClient } from 'minio';
import { MongoClient } from 'mongodb';
import type { StoreConfig } from './config.js';

export { ElasticsearchClient, MinioClient, MongoClient, Redis };
export { createRedis, redisOptions } from './redis-connection.js';
export type { Collection, Db } from 'mongodb';

export function createMongo(config: StoreConfig['mongo']): MongoClient {
  return new MongoClient(config.url, {
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: 5_000,
    // FerretDB (the local MongoDB) has no retryable-writes support (the steps are idempotent
    // either way); a real replica set turns them on, with write concern majority, so an
    // acknowledged write survives the loss of the primary.
    retryWrites: config.retryWrites,
    ...(config.writeConcern !== undefined ? { writeConcern: { w: config.writeConcern } } : {}),
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

/** Creates a bucket unless it exists; safe when several services start at once. */
export async function ensureBucket(minio: MinioClient, bucket: string): Promise<void> {
  if (await minio.bucketExists(bucket)) return;
  try {
    await minio.makeBucket(bucket);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw error;
  }
}

/**
 * Runs `setup` (create indexes, buckets, an index alias) the first time it is needed and
 * remembers success only: while a store is down each caller gets the error and the next one
 * tries again, so a service can start before its stores do.
 */
export function onceSucceeded(setup: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= setup().catch((error: unknown) => {
      done = undefined;
      throw error;
    });
    return done;
  };
}

/** `ensureBucket` for any bucket, each one `onceSucceeded`. */
export function bucketsEnsured(minio: MinioClient): (bucket: string) => Promise<void> {
  const ensured = new Map<string, () => Promise<void>>();
  return (bucket) => {
    let ensure = ensured.get(bucket);
    if (!ensure) ensured.set(bucket, (ensure = onceSucceeded(() => ensureBucket(minio, bucket))));
    return ensure();
  };
}

/**
 * Waits up to `ms` for a Redis client's first connection. A fail-fast client (no offline queue)
 * would otherwise refuse the commands of the first moments after start; a Redis that is down
 * does not hold the service's start any longer than that.
 */
export async function redisReady(redis: Redis, ms = 3_000): Promise<boolean> {
  if (redis.status === 'ready') return true;
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), ms);
    redis.on('ready', onReady);
  });
}
