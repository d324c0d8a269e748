/**
 * The one Redis connection factory: one server, Sentinel or Cluster, chosen by `RedisConfig`
 * (REDIS_HOST/PORT, REDIS_SENTINELS, REDIS_CLUSTER_NODES). Every Steadfast key and every BullMQ
 * queue lives under the hash tag `{steadfast}`: a BullMQ script touches several keys of a queue
 * and Steadfast's own MULTIs touch several keys, and on a Cluster all keys of one command must
 * be in one slot (BullMQ's guide, "Redis Cluster": a prefix in braces). On one server and on
 * Sentinel the braces are just characters of the name.
 */
import { hostname } from 'node:os';
import type { ConnectionOptions } from 'bullmq';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisConfig } from './config.js';

/** BullMQ's key prefix for every queue (instead of its default `bull`). */
export const QUEUE_PREFIX = '{steadfast}';

/** A Steadfast key in Redis: `{steadfast}:<part>:<part>…`. */
export const redisKey = (...parts: string[]): string => [QUEUE_PREFIX, ...parts].join(':');

/** Reconnect forever with a capped backoff: a service outlives a Redis restart or failover. */
const retryStrategy = (times: number): number => Math.min(times * 200, 5_000);

export type RedisTopology = 'standalone' | 'sentinel' | 'cluster';

export function redisTopology(config: RedisConfig): RedisTopology {
  if (config.clusterNodes?.length) return 'cluster';
  if (config.sentinels?.length) return 'sentinel';
  return 'standalone';
}

/**
 * How long a connection with a command pending waits for any byte from Redis before it drops the
 * socket and connects again (ioredis' `socketTimeout`; the commands still unanswered are sent
 * again or refused as the connection's retry rule says). A server that stops answering without
 * closing its connections (a frozen process, a network cut) otherwise holds every client on it
 * for ever: the kernel goes on accepting bytes or TCP waits ~15 min, and under Sentinel the
 * services would stay on the old primary after the sentinels promoted its replica (the `freeze`
 * drill). Above the longest block any Steadfast connection asks for: BullMQ's BZPOPMIN (at most
 * 10 s) and the gateway's XREAD BLOCK (10 s).
 */
export const REDIS_SOCKET_TIMEOUT_MS = 15_000;

/**
 * How long ioredis waits for a sentinel's answer (which primary is current) before it asks the
 * next sentinel: a frozen sentinel first in REDIS_SENTINELS must not hold a reconnection.
 */
export const SENTINEL_COMMAND_TIMEOUT_MS = 3_000;

/** Options every connection to a Redis node shares: credentials, TLS, BullMQ's retry rule. */
function nodeOptions(config: RedisConfig): RedisOptions & { retryStrategy: (times: number) => number } {
  return {
    ...(config.username ? { username: config.username } : {}),
    ...(config.password ? { password: config.password } : {}),
    ...(config.tls ? { tls: {} } : {}),
    // What BullMQ requires of worker connections: a command waits for Redis to come back
    // instead of failing.
    maxRetriesPerRequest: null,
    retryStrategy,
    socketTimeout: REDIS_SOCKET_TIMEOUT_MS,
  };
}

/**
 * ioredis options for one server or for Sentinel (ioredis asks the sentinels for the current
 * primary, and asks again after a failover). On a Cluster these are the options of each node.
 */
export function redisOptions(config: RedisConfig): RedisOptions & { retryStrategy: (times: number) => number } {
  if (redisTopology(config) !== 'sentinel') return { host: config.host, port: config.port, ...nodeOptions(config) };
  return {
    ...nodeOptions(config),
    sentinels: config.sentinels,
    name: config.sentinelName ?? 'steadfast',
    ...(config.sentinelPassword ? { sentinelPassword: config.sentinelPassword } : {}),
    ...(config.tls ? { enableTLSForSentinelMode: true } : {}),
    sentinelRetryStrategy: retryStrategy,
    sentinelCommandTimeout: SENTINEL_COMMAND_TIMEOUT_MS,
    // A primary demoted by a failover answers writes with READONLY: reconnect, which asks the
    // sentinels for the new primary. (Not ioredis' `failoverDetector`: its disconnect can race a
    // reconnect in progress and end the client for good, as the failover drill showed.)
    reconnectOnError: (error: Error) => error.message.startsWith('READONLY'),
  };
}

/**
 * Blocking reads: each waits alone on its connection, never in an auto-pipeline behind or ahead of
 * other commands (BullMQ's workers wait for jobs with BZPOPMIN, its QueueEvents with XREAD BLOCK).
 */
const BLOCKING_COMMANDS = ['bzpopmin', 'bzpopmax', 'blpop', 'brpop', 'brpoplpush', 'blmove', 'xread', 'xreadgroup'];

/**
 * The connection options of the services' BullMQ workers and queues: auto-pipelined like the
 * command connection (`COMMAND_CONNECTION`), blocking reads excepted. The jobs one store batch
 * releases together finish together: their moveToFinished calls (which also take the next job)
 * go to Redis in one write instead of one each. ioredis sends a connection's commands in order
 * and answers each with its own reply either way; only the writes are fewer.
 */
export const WORKER_CONNECTION: RedisOptions = { enableAutoPipelining: true, autoPipeliningIgnoredCommands: BLOCKING_COMMANDS };

/** ioredis Cluster options; `overrides` apply to each node connection (and to the offline queue). */
export function clusterOptions(config: RedisConfig, overrides: RedisOptions = {}): ClusterOptions {
  return {
    redisOptions: { ...nodeOptions(config), ...overrides },
    clusterRetryStrategy: retryStrategy,
    ...(overrides.enableOfflineQueue === false ? { enableOfflineQueue: false } : {}),
    ...(overrides.enableAutoPipelining ? { enableAutoPipelining: true } : {}),
    ...(overrides.autoPipeliningIgnoredCommands ? { autoPipeliningIgnoredCommands: overrides.autoPipeliningIgnoredCommands } : {}),
    // During a resharding or a failover, retry moved and "cluster down" commands shortly.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
  };
}

/**
 * A plain client (claims, throttles, outbox hints). On a Cluster it is an ioredis `Cluster`,
 * which has the same command methods as `Redis`; it is typed as `Redis` so the code that uses
 * single-key commands stays the same. What a Cluster lacks (a keyspace-wide SCAN) is not used by
 * the services.
 */
export function createRedis(config: RedisConfig, overrides: RedisOptions = {}): Redis {
  if (redisTopology(config) === 'cluster') {
    return new Cluster(config.clusterNodes ?? [], clusterOptions(config, overrides)) as unknown as Redis;
  }
  return new Redis({ ...redisOptions(config), ...overrides });
}

/**
 * The `connection` for a BullMQ Queue, Worker or QueueEvents. One server or Sentinel: options
 * (BullMQ opens and closes its own connections). Cluster: a `Cluster` instance, which BullMQ
 * requires; it is the caller's to close (`closeQueueConnection`).
 */
export function queueConnection(config: RedisConfig, overrides: RedisOptions = {}): ConnectionOptions {
  if (redisTopology(config) === 'cluster') return new Cluster(config.clusterNodes ?? [], clusterOptions(config, overrides));
  // ioredis' options type allows `retryStrategy: null`, BullMQ's copy of it does not.
  return { ...redisOptions(config), ...overrides } as ConnectionOptions;
}

/** Disconnects a connection made by `queueConnection` when it is a client (Cluster). */
export function closeQueueConnection(connection: ConnectionOptions): void {
  if (connection instanceof Cluster || connection instanceof Redis) connection.disconnect();
}

/** What every BullMQ Queue, Worker, QueueEvents of Steadfast is given: its connection and the prefix. */
export function queueBase(connection: ConnectionOptions): { connection: ConnectionOptions; prefix: string } {
  return { connection, prefix: QUEUE_PREFIX };
}

/**
 * What every BullMQ Worker of Steadfast is given: `queueBase` and a name, `<service>@<host>:<pid>`,
 * which BullMQ writes on each job it takes (`processedBy`): the process to look at when a job
 * does not end (the gateway's `job-hung` alert names it).
 */
export function workerBase(connection: ConnectionOptions, service: string): { connection: ConnectionOptions; prefix: string; name: string } {
  return { ...queueBase(connection), name: `${service}@${hostname()}:${process.pid}` };
}
