import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cluster } from 'ioredis';
import { ConfigError, readEnv, storeConfigFrom, storeEnvSchema } from './config.js';
import {
  clusterOptions,
  closeQueueConnection,
  queueBase,
  queueConnection,
  REDIS_SOCKET_TIMEOUT_MS,
  redisKey,
  redisOptions,
  redisTopology,
  SENTINEL_COMMAND_TIMEOUT_MS,
} from './redis-connection.js';

const configOf = (env: Record<string, string>) => storeConfigFrom(readEnv(storeEnvSchema, env)).redis;

test('one server by default, by REDIS_HOST and REDIS_PORT', () => {
  const config = configOf({ REDIS_HOST: 'redis', REDIS_PORT: '6380', REDIS_PASSWORD: 'pw' });
  assert.equal(redisTopology(config), 'standalone');
  const options = redisOptions(config);
  assert.equal(options.host, 'redis');
  assert.equal(options.port, 6380);
  assert.equal(options.password, 'pw');
  assert.equal(options.maxRetriesPerRequest, null, 'BullMQ workers need commands that wait for Redis');
  assert.equal(options.sentinels, undefined);
  assert.equal(options.socketTimeout, REDIS_SOCKET_TIMEOUT_MS, 'a server that stops answering is left, not waited on for ever');
});

test('a silent server is left after 15 s: above the longest block a connection asks for (BZPOPMIN, XREAD BLOCK: 10 s)', () => {
  // BullMQ blocks for at most 10 s (Worker's maximumBlockTimeout); the gateway's XREAD for 10 s.
  // A socket timeout at or below that would cut idle blocking reads every time.
  assert.ok(REDIS_SOCKET_TIMEOUT_MS >= 10_000 + 5_000, `${REDIS_SOCKET_TIMEOUT_MS} ms leaves a loaded Redis 5 s past a 10 s block`);
  assert.ok(REDIS_SOCKET_TIMEOUT_MS <= 30_000, 'and the services move to a promoted replica within half a minute');
});

test('Sentinel: the sentinels, the master name and the sentinel password go to ioredis', () => {
  const config = configOf({
    REDIS_SENTINELS: 's1:26379, s2:26380,10.0.0.3:26381',
    REDIS_SENTINEL_NAME: 'primary',
    REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
    REDIS_PASSWORD: 'redis-pw',
  });
  assert.equal(redisTopology(config), 'sentinel');
  const options = redisOptions(config);
  assert.deepEqual(options.sentinels, [
    { host: 's1', port: 26379 },
    { host: 's2', port: 26380 },
    { host: '10.0.0.3', port: 26381 },
  ]);
  assert.equal(options.name, 'primary');
  assert.equal(options.sentinelPassword, 'sentinel-pw');
  assert.equal(options.password, 'redis-pw', 'the data nodes keep their own password');
  assert.equal(options.host, undefined, 'REDIS_HOST is not used with sentinels');
  assert.equal(options.maxRetriesPerRequest, null);
  const reconnect = options.reconnectOnError as (error: Error) => boolean;
  assert.equal(reconnect(new Error("READONLY You can't write against a read only replica.")), true, 'a demoted primary sends the client to the new one');
  assert.equal(reconnect(new Error('WRONGTYPE')), false);
  assert.equal(options.socketTimeout, REDIS_SOCKET_TIMEOUT_MS, 'a frozen primary is left for the one the sentinels promote');
  assert.equal(options.sentinelCommandTimeout, SENTINEL_COMMAND_TIMEOUT_MS, 'a frozen sentinel is passed over for the next');
});

test('Sentinel master name defaults to steadfast; no sentinel password unless set', () => {
  const options = redisOptions(configOf({ REDIS_SENTINELS: 'localhost:26379' }));
  assert.equal(options.name, 'steadfast');
  assert.equal('sentinelPassword' in options, false);
});

test('Cluster: the seed nodes, each node with the credentials and BullMQ retry rule', () => {
  const config = configOf({ REDIS_CLUSTER_NODES: 'n1:7000,n2:7001', REDIS_PASSWORD: 'pw', REDIS_TLS: 'true' });
  assert.equal(redisTopology(config), 'cluster');
  assert.deepEqual(config.clusterNodes, [
    { host: 'n1', port: 7000 },
    { host: 'n2', port: 7001 },
  ]);
  const options = clusterOptions(config, { enableOfflineQueue: false });
  assert.equal(options.redisOptions?.password, 'pw');
  assert.deepEqual(options.redisOptions?.tls, {});
  assert.equal(options.redisOptions?.maxRetriesPerRequest, null);
  assert.equal(options.redisOptions?.socketTimeout, REDIS_SOCKET_TIMEOUT_MS);
  assert.equal(options.enableOfflineQueue, false, 'a fail-fast client fails fast on a Cluster too');
});

test('a Cluster connection for BullMQ is a Cluster client (BullMQ needs the instance), options otherwise', () => {
  const cluster = queueConnection(configOf({ REDIS_CLUSTER_NODES: '127.0.0.1:1' }), { lazyConnect: true });
  assert.ok(cluster instanceof Cluster);
  closeQueueConnection(cluster);
  const plain = queueConnection(configOf({}));
  assert.equal(plain instanceof Cluster, false);
  assert.equal((plain as { port?: number }).port, 6379);
});

test('bad host:port lists name the variable and the part', () => {
  assert.throws(
    () => readEnv(storeEnvSchema, { REDIS_SENTINELS: 's1:26379,s2', REDIS_CLUSTER_NODES: 'n1:99999' }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /REDIS_SENTINELS must be host:port,host:port; "s2" is not host:port/);
      assert.match(error.message, /REDIS_CLUSTER_NODES must be host:port/);
      return true;
    },
  );
  assert.throws(() => readEnv(storeEnvSchema, { REDIS_SENTINELS: ' , ' }), /at least one host:port/);
});

test('Sentinel and Cluster together are refused', () => {
  assert.throws(
    () => configOf({ REDIS_SENTINELS: 's:1', REDIS_CLUSTER_NODES: 'n:2' }),
    /set one of them \(Sentinel or Cluster\), not both/,
  );
});

test('every key and queue carries the {steadfast} hash tag: one Cluster slot for each MULTI and BullMQ script', () => {
  assert.equal(redisKey('draft', 'abc'), '{steadfast}:draft:abc');
  assert.equal(queueBase({}).prefix, '{steadfast}');
});

test('MongoDB write concern and retryable writes are settings, off by default (FerretDB)', () => {
  const local = storeConfigFrom(readEnv(storeEnvSchema, {})).mongo;
  assert.equal(local.retryWrites, false);
  assert.equal(local.writeConcern, undefined);
  const replicaSet = storeConfigFrom(readEnv(storeEnvSchema, { MONGO_WRITE_CONCERN: 'majority', MONGO_RETRY_WRITES: 'true' })).mongo;
  assert.equal(replicaSet.writeConcern, 'majority');
  assert.equal(replicaSet.retryWrites, true);
  assert.equal(storeConfigFrom(readEnv(storeEnvSchema, { MONGO_WRITE_CONCERN: '2' })).mongo.writeConcern, 2);
  assert.throws(() => readEnv(storeEnvSchema, { MONGO_WRITE_CONCERN: 'most' }), /MONGO_WRITE_CONCERN/);
});
