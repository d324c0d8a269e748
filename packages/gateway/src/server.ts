/**
 * The gateway: the one public URL. For now it answers `/health` with the state of every store;
 * GraphQL, login and the admin dashboard mount here.
 */
import {
  createElasticsearch,
  createMinio,
  createMongo,
  createRedis,
  createServiceServer,
  elasticsearchCheck,
  minioCheck,
  mongoCheck,
  redisCheck,
  storeConfigFrom,
  type Logger,
} from '@steadfast/commons';
import type Hapi from '@hapi/hapi';
import type { Environment } from './environment.js';

export interface Gateway {
  server: Hapi.Server;
  close(): Promise<void>;
}

export async function createGateway(env: Environment, logger: Logger): Promise<Gateway> {
  const stores = storeConfigFrom(env);
  const redis = createRedis(stores.redis);
  const mongo = createMongo(stores.mongo);
  const minio = createMinio(stores.minio);
  const es = createElasticsearch(stores.elasticsearch);
  redis.on('error', (error: Error) => logger.warn({ err: error.message }, 'redis connection error'));

  const server = await createServiceServer({
    name: 'gateway',
    host: env.GATEWAY_HOST,
    port: env.GATEWAY_PORT,
    logger,
    checks: {
      redis: redisCheck(redis),
      mongo: mongoCheck(mongo, stores.mongo.dbName),
      minio: minioCheck(minio, stores.minio.bucket),
      elasticsearch: elasticsearchCheck(es),
    },
  });

  return {
    server,
    async close() {
      await server.stop({ timeout: 10_000 });
      redis.disconnect();
      await Promise.all([mongo.close(), es.close()]);
    },
  };
}
