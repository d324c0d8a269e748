/**
 * The writes a processed record costs, done directly on the stores: the record document and its
 * audit entry in MongoDB, the attachment in MinIO, the search document in Elasticsearch (made
 * visible to search, as the workflow does). Used by the two baselines: one record per call (the
 * naive gateway) and batched (the stores' ceiling).
 */
import {
  createElasticsearch,
  createMinio,
  createMongo,
  ensureBucket,
  newTrackingId,
  recordIdFor,
  sampleBirth,
  SAMPLE_PNG_BASE64,
  type ElasticsearchClient,
  type MinioClient,
  type MongoClient,
  type StoreConfig,
} from '@steadfast/commons';
import type { Collection } from 'mongodb';

const PNG = Buffer.from(SAMPLE_PNG_BASE64, 'base64');

export interface DirectStores {
  mongo: MongoClient;
  records: Collection<{ _id: string } & Record<string, unknown>>;
  audit: Collection<{ _id: string } & Record<string, unknown>>;
  minio: MinioClient;
  bucket: string;
  es: ElasticsearchClient;
  index: string;
  close(): Promise<void>;
}

export async function openDirectStores(config: StoreConfig): Promise<DirectStores> {
  const mongo = createMongo(config.mongo);
  const db = mongo.db(config.mongo.dbName);
  const minio = createMinio(config.minio);
  const es = createElasticsearch(config.elasticsearch);
  await ensureBucket(minio, config.minio.bucket);
  const index = config.elasticsearch.index;
  if (!(await es.indices.exists({ index }))) {
    await es.indices.create({ index }, { ignore: [400] });
  }
  return {
    mongo,
    records: db.collection('records'),
    audit: db.collection('audit'),
    minio,
    bucket: config.minio.bucket,
    es,
    index,
    async close() {
      await Promise.all([mongo.close(), es.close()]);
    },
  };
}

/** What one record writes, in the workflow's shapes (trimmed of its step bookkeeping). */
export function recordWrites(draftId: string, details: object = sampleBirth(draftId)) {
  const recordId = recordIdFor(draftId);
  const now = new Date();
  const fields: Record<string, unknown> = { ...details };
  delete fields['attachments'];
  const key = `${recordId}/${draftId}-0`;
  const record = {
    _id: recordId,
    draftId,
    event: 'birth',
    status: 'DECLARED',
    trackingId: newTrackingId('birth'),
    details: fields,
    attachments: [{ key, type: 'BIRTH_NOTIFICATION', subject: 'CHILD', contentType: 'image/png', size: PNG.length }],
    createdAt: now,
    updatedAt: now,
  };
  const audit = { _id: `${draftId}:declare`, draftId, action: 'declare', recordId, status: 'DECLARED', at: now };
  const search = { recordId, draftId, event: 'birth', status: 'DECLARED', trackingId: record.trackingId, ...fields };
  return { recordId, record, audit, attachment: { key, bytes: PNG }, search };
}

/** One record, each store in turn, inside the caller's request. */
export async function writeOne(stores: DirectStores, draftId: string, details?: Record<string, unknown>): Promise<string> {
  const w = recordWrites(draftId, details);
  await stores.records.insertOne(w.record);
  await stores.minio.putObject(stores.bucket, w.attachment.key, w.attachment.bytes, w.attachment.bytes.length, {
    'Content-Type': 'image/png',
  });
  await stores.es.index({ index: stores.index, id: w.recordId, document: w.search, refresh: 'wait_for' });
  await stores.audit.insertOne(w.audit);
  return w.recordId;
}

/** Many records at once: unordered bulk inserts, concurrent object puts, one `_bulk`. */
export async function writeBatch(stores: DirectStores, draftIds: readonly string[]): Promise<void> {
  const writes = draftIds.map((id) => recordWrites(id));
  await Promise.all([
    stores.records.insertMany(writes.map((w) => w.record), { ordered: false }),
    Promise.all(
      writes.map((w) =>
        stores.minio.putObject(stores.bucket, w.attachment.key, w.attachment.bytes, w.attachment.bytes.length, {
          'Content-Type': 'image/png',
        }),
      ),
    ),
    stores.es
      .bulk({ refresh: 'wait_for', operations: writes.flatMap((w) => [{ index: { _index: stores.index, _id: w.recordId } }, w.search]) })
      .then((r) => {
        if (r.errors) throw new Error('Elasticsearch _bulk reported item errors');
      }),
  ]);
  await stores.audit.insertMany(writes.map((w) => w.audit), { ordered: false });
}
