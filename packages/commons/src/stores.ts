/**
 * Clients of the four stores, built from `StoreConfig`. Each service creates the ones it needs
 * once and closes them on shutdown.
 */
import http from 'node:http';
import https from 'node:https';
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
    transport: timeoutTransport(config.requestTimeoutMs ?? 30_000, config.useSSL),
  });
}

/** A MinIO request that got no byte either way for its idle time. Retryable, as any network error. */
export class MinioRequestTimeout extends Error {
  constructor(idleMs: number) {
    super(`MinIO request timed out: nothing sent or received for ${idleMs} ms`);
    this.name = 'MinioRequestTimeout';
  }
}

/**
 * MinIO's client sets no timeout on its requests: one whose server vanished without closing the
 * connection (a host lost, a network partition, a frozen process) waits as long as the kernel
 * retries, many minutes, holding the worker's job (and its lock) all along. This transport ends
 * a request after `idleMs` without a byte either way, so the caller gets an error: the job fails
 * the attempt and retries later on a new connection. An idle time, not a deadline: a large upload
 * that keeps moving is never cut.
 */
export function timeoutTransport(idleMs: number, useSSL: boolean): Pick<typeof http, 'request'> {
  const base = useSSL ? https : http;
  const request = (options: http.RequestOptions, callback?: (response: http.IncomingMessage) => void): http.ClientRequest => {
    const outgoing = base.request(options, callback);
    outgoing.setTimeout(idleMs, () => outgoing.destroy(new MinioRequestTimeout(idleMs)));
    return outgoing;
  };
  return { request: request as typeof http.request };
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
