/**
 * A GraphQL client of the running system, as a registration office would use it, plus direct
 * read-only views of the stores (by the storage names of CONTRACT.md) to check the invariants.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  createElasticsearch,
  createMinio,
  createMongo,
  createRedis,
  QUEUE_PREFIX,
  storeConfigFrom,
  storeEnvSchema,
  type AuditEntry,
  type DraftDocument,
  type RecordDocument,
} from '@steadfast/commons';
import { E2E_PORTS, eventually } from './support.js';

export const GATEWAY = `http://127.0.0.1:${E2E_PORTS.GATEWAY_PORT}`;

export interface GraphQLResult<T = Record<string, unknown>> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

export async function login(username: string, password = 'test'): Promise<string> {
  const response = await fetch(`${GATEWAY}/auth/authenticate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (response.status !== 200) throw new Error(`login of ${username}: HTTP ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

export async function gql<T = Record<string, unknown>>(
  query: string,
  variables: Record<string, unknown>,
  token?: string,
): Promise<GraphQLResult<T>> {
  const response = await fetch(`${GATEWAY}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as GraphQLResult<T>;
}

const CREATED = 'draftId recordId trackingId';

export const MUTATIONS = {
  birth: `mutation($details: BirthRegistrationInput!) { createBirthRegistration(details: $details) { ${CREATED} } }`,
  death: `mutation($details: DeathRegistrationInput!) { createDeathRegistration(details: $details) { ${CREATED} } }`,
  marriage: `mutation($details: MarriageRegistrationInput!) { createMarriageRegistration(details: $details) { ${CREATED} } }`,
  requestCorrection: `mutation($id: ID!, $details: CorrectionInput!) { requestRegistrationCorrection(id: $id, details: $details) }`,
  correctBirth: `mutation($id: ID!, $details: BirthRegistrationInput!) { createBirthRegistrationCorrection(id: $id, details: $details) }`,
  correctDeath: `mutation($id: ID!, $details: DeathRegistrationInput!) { createDeathRegistrationCorrection(id: $id, details: $details) }`,
  correctMarriage: `mutation($id: ID!, $details: MarriageRegistrationInput!) { createMarriageRegistrationCorrection(id: $id, details: $details) }`,
} as const;

export const STATUS_QUERY = `query($draftId: ID!) { fetchRecordStatus(draftId: $draftId) {
  __typename
  ... on RecordProcessing { draftId attempts step lastError }
  ... on RecordProcessed { draftId recordId trackingId hasPotentialDuplicates registrationStatus registrationNumber }
  ... on RecordRejected { draftId reason code }
  ... on RecordUnknown { draftId }
} }`;

export interface Status {
  __typename: 'RecordProcessing' | 'RecordProcessed' | 'RecordRejected' | 'RecordUnknown';
  draftId: string;
  recordId?: string;
  trackingId?: string;
  registrationStatus?: string;
  reason?: string;
  code?: string;
  attempts?: number;
  step?: string;
  lastError?: string | null;
}

export async function fetchStatus(draftId: string, token: string): Promise<Status> {
  const result = await gql<{ fetchRecordStatus: Status }>(STATUS_QUERY, { draftId }, token);
  if (!result.data) throw new Error(`fetchRecordStatus: ${JSON.stringify(result.errors)}`);
  return result.data.fetchRecordStatus;
}

/** Waits until every draft is RecordProcessed, then checks one record, audit entry and search document each. */
export async function expectProcessedOnce(
  view: ReturnType<typeof storesOf>,
  draftIds: string[],
  token: string,
  action: AuditEntry['action'],
  timeoutMs: number,
): Promise<void> {
  await eventually(`all ${draftIds.length} processed`, async () => {
    const statuses = await Promise.all(draftIds.map((id) => fetchStatus(id, token)));
    return statuses.every((s) => s.__typename === 'RecordProcessed');
  }, timeoutMs);
  assert.equal(await view.records.countDocuments({ draftId: { $in: draftIds } }), draftIds.length, 'records');
  assert.equal(await view.audit.countDocuments({ draftId: { $in: draftIds }, action }), draftIds.length, 'audit entries');
  assert.equal(await view.duplicateAuditEntries(), 0, 'repeated audit entries');
  assert.equal(await view.searchCount({ terms: { draftId: draftIds } }), draftIds.length, 'search documents');
}

/** Storage names of one e2e run: its own database, index, buckets and queue. */
export function isolatedStores() {
  const id = randomBytes(4).toString('hex');
  return {
    MONGO_DB: `e2e_${id}`,
    ES_INDEX: `e2e-records-${id}`,
    MINIO_BUCKET: `e2e-attachments-${id}`,
    MINIO_STAGING_BUCKET: `e2e-staging-${id}`,
    RECORD_QUEUE_NAME: `e2e-record-${id}`,
    EVENT_QUEUE_PREFIX: `e2e-events-${id}`,
  };
}

/** Read-only views of the stores for the invariants; `drop()` removes the run's data. */
/**
 * Removes the run's BullMQ queues: every key of a queue whose name holds one of `names` (the
 * record queue and those named after it: notification-, country-validation-, record-outcome-;
 * the event partitions `<prefix>-p<N>`). A local Redis otherwise keeps every run's jobs.
 */
async function dropQueues(redisConfig: ReturnType<typeof storeConfigFrom>['redis'], names: ReadonlyArray<string | undefined>): Promise<void> {
  const redis = createRedis(redisConfig);
  try {
    for (const name of names) {
      if (!name) continue;
      for await (const keys of redis.scanStream({ match: `${QUEUE_PREFIX}:*${name}*`, count: 1_000 }) as AsyncIterable<string[]>) {
        if (keys.length > 0) await redis.unlink(...keys);
      }
    }
  } finally {
    redis.disconnect();
  }
}

export function storesOf(env: Record<string, string>) {
  const config = storeConfigFrom(storeEnvSchema.parse({ ...process.env, ...env }));
  const mongo = createMongo(config.mongo);
  const db = mongo.db(config.mongo.dbName);
  const es = createElasticsearch(config.elasticsearch);
  const minio = createMinio(config.minio);

  async function objects(bucket: string, prefix = ''): Promise<string[]> {
    if (!(await minio.bucketExists(bucket))) return [];
    const names: string[] = [];
    for await (const item of minio.listObjectsV2(bucket, prefix, true) as AsyncIterable<{ name?: string }>) {
      if (item.name) names.push(item.name);
    }
    return names;
  }

  return {
    records: db.collection<RecordDocument>('records'),
    drafts: db.collection<DraftDocument>('drafts'),
    audit: db.collection<AuditEntry>('audit'),
    attachments: (prefix?: string) => objects(config.minio.bucket, prefix),
    staged: (prefix?: string) => objects(config.minio.stagingBucket, prefix),
    /** Audit entries repeating a (draftId, action) pair: the contract allows none. */
    async duplicateAuditEntries(): Promise<number> {
      const groups = await db
        .collection<AuditEntry>('audit')
        .aggregate<{ n: number }>([{ $group: { _id: { d: '$draftId', a: '$action' }, n: { $sum: 1 } } }, { $match: { n: { $gt: 1 } } }])
        .toArray();
      return groups.length;
    },
    async searchCount(query: object = { match_all: {} }): Promise<number> {
      await es.indices.refresh({ index: config.elasticsearch.index });
      return (await es.count({ index: config.elasticsearch.index, query })).count;
    },
    async searchDoc(id: string) {
      const r = await es.get<Record<string, unknown>>({ index: config.elasticsearch.index, id }, { ignore: [404] });
      return r.found ? r._source : undefined;
    },
    async drop(): Promise<void> {
      await db.dropDatabase().catch(() => undefined);
      await es.indices.delete({ index: `${config.elasticsearch.index}-v1` }, { ignore: [404] }).catch(() => undefined);
      for (const bucket of [config.minio.bucket, config.minio.stagingBucket]) {
        const names = await objects(bucket).catch(() => []);
        if (names.length > 0) await minio.removeObjects(bucket, names).catch(() => undefined);
        await minio.removeBucket(bucket).catch(() => undefined);
      }
      await dropQueues(config.redis, [env['RECORD_QUEUE_NAME'], env['EVENT_QUEUE_PREFIX']]).catch(() => undefined);
    },
    async close(): Promise<void> {
      await Promise.all([mongo.close(), es.close()]);
    },
  };
}
