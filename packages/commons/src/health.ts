/**
 * Health of the stores a service depends on. Each check is a real request with a short
 * deadline, so a stopped store is reported as down within about a second.
 */
import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import type { Redis } from 'ioredis';
import type { Client as MinioClient } from 'minio';
import type { MongoClient } from 'mongodb';
import { stuckMessage, type MongoMonitorWatch } from './mongo-monitor-watch.js';

export interface DependencyState {
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
}

export type HealthCheck = () => Promise<void>;

export interface HealthReport {
  status: 'ok' | 'degraded';
  dependencies: Record<string, DependencyState>;
}

const CHECK_TIMEOUT_MS = 1_500;

async function withDeadline(check: HealthCheck, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([check(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export async function checkDependencies(
  checks: Record<string, HealthCheck>,
  timeoutMs = CHECK_TIMEOUT_MS,
): Promise<HealthReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, DependencyState]> => {
      const started = performance.now();
      try {
        await withDeadline(check, timeoutMs);
        return [name, { status: 'up', latencyMs: Math.round(performance.now() - started) }];
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return [
          name,
          { status: 'down', latencyMs: Math.round(performance.now() - started), error: message },
        ];
      }
    }),
  );
  const dependencies = Object.fromEntries(entries);
  const allUp = entries.every(([, state]) => state.status === 'up');
  return { status: allUp ? 'ok' : 'degraded', dependencies };
}

/**
 * Redis: PING. A client that lost its connection and is waiting to reconnect is down at once;
 * one still making its first connection gets until the deadline.
 */
export function redisCheck(redis: Redis): HealthCheck {
  return async () => {
    if (['reconnecting', 'close', 'end'].includes(redis.status)) {
      throw new Error(`connection ${redis.status}`);
    }
    await redis.ping();
  };
}

/**
 * MongoDB: ping. With the client's monitor watch, a monitor stuck on a heartbeat is reported as
 * such (the client will not reach MongoDB again until the service restarts), not as MongoDB down.
 */
export function mongoCheck(mongo: MongoClient, dbName: string, watch?: Pick<MongoMonitorWatch, 'stuck'>): HealthCheck {
  return async () => {
    const stuck = watch?.stuck() ?? [];
    if (stuck.length > 0) throw new Error(stuckMessage(stuck));
    await mongo.db(dbName).command({ ping: 1 });
  };
}

export function minioCheck(minio: MinioClient, bucket: string): HealthCheck {
  return async () => {
    // bucketExists is a real signed request; whether the bucket exists yet does not matter.
    await minio.bucketExists(bucket);
  };
}

export function elasticsearchCheck(es: ElasticsearchClient): HealthCheck {
  return async () => {
    await es.cluster.health({}, { requestTimeout: CHECK_TIMEOUT_MS, maxRetries: 0 });
  };
}
