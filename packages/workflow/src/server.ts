/**
 * The workflow service: internal only. It will run the record workers; its HTTP side takes the
 * country config's confirm/reject callbacks and reports `/health`.
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

export interface Workflow {
  server: Hapi.Server;
  close(): Promise<void>;
}

export async function createWorkflow(env: Environment, logger: Logger): Promise<Workflow> {
  const stores = storeConfigFrom(env);
  const redis = createRedis(stores.redis);
  const mongo = createMongo(stores.mongo);
  const es = createElasticsearch(stores.elasticsearch);
  redis.on('error', (error: Error) => logger.warn({ err: error.message }, 'redis connection error'));

  const server = await createServiceServer({
    name: 'workflow',
    host: env.WORKFLOW_HOST,
    port: env.WORKFLOW_PORT,
    logger,
    checks: {
      redis: redisCheck(redis),
      mongo: mongoCheck(mongo, stores.mongo.dbName),
      minio: minioCheck(createMinio(stores.minio), stores.minio.bucket),
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
