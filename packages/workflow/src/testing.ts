/**
 * For integration tests: a workflow environment whose database, index, buckets and queues are
 * the test's own, and the removal of everything such a run leaves in the stores.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { queueBase, createElasticsearch, createLogger, createMinio, createMongo, fingerprint, redisOptions, storeConfigFrom, type AttachmentRef, type RecordJobData } from '@steadfast/commons';
import { Queue } from 'bullmq';
import { readEnvironment, type Environment } from './environment.js';
import { createWorkflow, type Workflow } from './server.js';

/** The environment of the running tests, with names no other run uses, on a free port. */
export function isolatedEnvironment(tag: string): Environment {
  const id = `${tag}-${randomBytes(4).toString('hex')}`;
  return readEnvironment({
    ...process.env,
    // Tests run as tests, whatever the shell says: production would ask for production secrets.
    NODE_ENV: 'test',
    WORKFLOW_PORT: '0',
    MONGO_DB: `wf_${id.replaceAll('-', '_')}`,
    ES_INDEX: `wf-${id}`,
    MINIO_BUCKET: `wf-${id}`,
    MINIO_STAGING_BUCKET: `wf-${id}-staging`,
    RECORD_QUEUE_NAME: `wf-${id}`,
  });
}

/**
 * A field agent's new birth record as the gateway queues it: `details` without their attachments,
 * which are given as references to objects staged already (none by default).
 */
export function declarationJob(details: Record<string, unknown> & { registration: { draftId: string } }, attachments: AttachmentRef[] = []): RecordJobData {
  return {
    draftId: details.registration.draftId,
    operation: 'create',
    event: 'birth',
    action: 'declare',
    userId: 'user-1',
    fingerprint: fingerprint(details),
    correlationId: randomUUID(),
    acceptedAt: new Date().toISOString(),
    details,
    attachments,
  };
}

/** The queues a workflow makes for its record queue (see createWorkflow). */
const queuesOf = (env: Environment): string[] => [env.RECORD_QUEUE_NAME, `notification-${env.RECORD_QUEUE_NAME}`, `record-outcome-${env.RECORD_QUEUE_NAME}`];

/**
 * Drops the run's database, its search indices (a left-over index keeps refreshing every ES_REFRESH_INTERVAL,
 * costing the machine CPU for nothing), its buckets with what they hold, and its queues.
 */
export async function dropIsolated(env: Environment): Promise<void> {
  const stores = storeConfigFrom(env);
  const mongo = createMongo(stores.mongo);
  await mongo.db(stores.mongo.dbName).dropDatabase();
  await mongo.close();
  const es = createElasticsearch(stores.elasticsearch);
  await es.indices.delete({ index: `${env.ES_INDEX}-*` }, { ignore: [404] });
  await es.close();
  const minio = createMinio(stores.minio);
  for (const bucket of [env.MINIO_BUCKET, env.MINIO_STAGING_BUCKET]) {
    if (!(await minio.bucketExists(bucket))) continue;
    const names: string[] = [];
    for await (const o of minio.listObjectsV2(bucket, '', true) as AsyncIterable<{ name?: string }>) if (o.name) names.push(o.name);
    if (names.length > 0) await minio.removeObjects(bucket, names);
    await minio.removeBucket(bucket);
  }
  for (const name of queuesOf(env)) {
    const queue = new Queue(name, queueBase(redisOptions(stores.redis)));
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

/**
 * One workflow for a test file: started on `env` before its tests (handed to `started`), closed
 * after them, and everything it left in the stores removed.
 */
export function workflowPerFile(env: Environment, started: (workflow: Workflow) => void): void {
  let workflow: Workflow | undefined;
  before(async () => {
    workflow = await createWorkflow(env, createLogger('workflow', { level: 'silent' }));
    await workflow.ready();
    started(workflow);
  });
  after(async () => {
    await workflow?.close();
    await dropIsolated(env);
  });
}
