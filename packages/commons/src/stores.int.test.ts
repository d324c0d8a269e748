/**
 * Round trips through each real store with its official client. Every test uses names of its
 * own (key prefix, database, bucket, index) and removes them afterwards.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { readEnv, storeConfigFrom, storeEnvSchema } from './config.js';
import {
  checkDependencies,
  elasticsearchCheck,
  minioCheck,
  mongoCheck,
  redisCheck,
} from './health.js';
import { createElasticsearch, createMinio, createMongo, createRedis, ensureBucket } from './stores.js';

const config = storeConfigFrom(readEnv(storeEnvSchema));
const unique = `it-${randomUUID().slice(0, 8)}`;

describe('Redis', () => {
  const redis = createRedis(config.redis);
  after(() => redis.quit());

  test('a hash written is read back, and the server keeps jobs safe', async () => {
    const key = `${unique}:hash`;
    await redis.hset(key, { draftId: 'd-1', attempts: '2' });
    assert.deepEqual(await redis.hgetall(key), { draftId: 'd-1', attempts: '2' });
    await redis.del(key);
    assert.equal(await redis.exists(key), 0);
    const [, policy] = (await redis.config('GET', 'maxmemory-policy')) as [string, string];
    assert.equal(policy, 'noeviction');
  });
});

describe('MongoDB (FerretDB)', () => {
  const mongo = createMongo(config.mongo);
  const db = mongo.db(`steadfast_${unique.replace(/-/g, '_')}`);
  after(async () => {
    await db.dropDatabase();
    await mongo.close();
  });

  test('a document inserted is found, and a unique index refuses a second copy', async () => {
    const records = db.collection<{ draftId: string; name: string }>('records');
    await records.createIndex({ draftId: 1 }, { unique: true });
    await records.insertOne({ draftId: 'd-1', name: 'Ada' });
    const found = await records.findOne({ draftId: 'd-1' }, { projection: { _id: 0 } });
    assert.deepEqual(found, { draftId: 'd-1', name: 'Ada' });
    await assert.rejects(records.insertOne({ draftId: 'd-1', name: 'Ada again' }), {
      code: 11000,
    });
    assert.equal(await records.countDocuments({ draftId: 'd-1' }), 1);
  });

  // FerretDB's update command kept every statement's query open until the command ended, each
  // holding one of SQLite's 100 pooled connections: 100 statements waited forever for one more
  // (patches/0003), and with them every later write. And a find by `_id: {$in}` scanned the
  // collection (patches/0002). Batches of that size are what the event relay sends.
  test('a bulk write of 300 compare-and-set updates completes, and a find by 300 ids answers them all', { timeout: 120_000 }, async () => {
    const outboxes = db.collection<{ _id: string; version: number; pending?: boolean }>('outboxes');
    const ids = Array.from({ length: 300 }, (_, i) => `a-${i}`);
    await outboxes.insertMany(ids.map((_id) => ({ _id, version: 1, pending: true })));
    const result = await outboxes.bulkWrite(
      ids.map((_id, i) => ({ updateOne: { filter: { _id, version: i % 10 === 0 ? 2 : 1 }, update: { $unset: { pending: '' } } } })),
      { ordered: false },
    );
    assert.equal(result.matchedCount, 270, 'every compare-and-set but the missed ones');
    const found = await outboxes.find({ _id: { $in: ids } }, { projection: { pending: 1 } }).toArray();
    assert.equal(found.length, 300);
    assert.deepEqual(found.filter((d) => d.pending).map((d) => d._id).sort(), ids.filter((_, i) => i % 10 === 0).sort());
    // The store still takes writes afterwards.
    await outboxes.insertOne({ _id: 'after', version: 1 });
  });

  // FerretDB hands SQLite a filter's first equality on a string or boolean as a pre-filter
  // (patches/0004): what it lets through must still be every document MongoDB's equality
  // matches, arrays holding the value and strings JSON escapes included.
  test('equality on a string or boolean field finds what MongoDB finds: plain values, array elements, escaped strings', async () => {
    type Doc = { _id: string; flag?: unknown; tag?: unknown; n?: number };
    const docs = db.collection<Doc>('equality');
    // Indexed, as records.outboxPending is: a boolean's condition is then answered by the index.
    await docs.createIndex({ flag: 1 });
    const tricky = 'a "quoted" <b> & \\ back\\slash, ünïcödé, tab\t, newline\n 🎉';
    await docs.insertMany([
      { _id: 't', flag: true, tag: 'x' },
      { _id: 'f', flag: false, tag: 'y' },
      { _id: 'one', flag: 1, tag: 1 },
      { _id: 'arr', flag: [false, true], tag: ['z', 'x'] },
      { _id: 'nested', flag: { v: true }, tag: { v: 'x' } },
      { _id: 'str', flag: 'true', tag: tricky },
      { _id: 'none' },
      { _id: 'n1', flag: true, tag: 'x', n: 1 },
      { _id: 'n2', flag: true, tag: 'x', n: 2 },
    ]);
    const ids = async (filter: Record<string, unknown>, limit = 0) =>
      (await docs.find(filter as never, { projection: { _id: 1 }, limit }).toArray()).map((d) => d._id).sort();
    assert.deepEqual(await ids({ flag: true }), ['arr', 'n1', 'n2', 't']);
    assert.deepEqual(await ids({ flag: false }), ['arr', 'f']);
    assert.deepEqual(await ids({ tag: 'x' }), ['arr', 'n1', 'n2', 't']);
    assert.deepEqual(await ids({ tag: tricky }), ['str']);
    assert.deepEqual(await ids({ flag: 'true' }), ['str']);
    assert.deepEqual(await ids({ tag: 'x', n: 2 }), ['n2']);
    assert.deepEqual(await ids({ flag: true, tag: 'y' }), []);
    assert.equal((await ids({ flag: true }, 2)).length, 2);
    assert.equal(await docs.countDocuments({ tag: 'x' }), 4);
    // Writes filtered the same way touch exactly the matching documents.
    const updated = await docs.updateMany({ flag: false }, { $set: { n: 7 } });
    assert.equal(updated.modifiedCount, 2);
    assert.deepEqual(await ids({ n: 7 }), ['arr', 'f']);
    const deleted = await docs.deleteMany({ tag: 'x' });
    assert.equal(deleted.deletedCount, 4);
    assert.deepEqual(await ids({}), ['f', 'nested', 'none', 'one', 'str']);
  });
});

describe('MinIO', () => {
  const minio = createMinio(config.minio);
  const bucket = unique;
  after(async () => {
    const names: string[] = [];
    const listing = minio.listObjectsV2(bucket, '', true) as AsyncIterable<{ name?: string }>;
    for await (const item of listing) {
      if (item.name) names.push(item.name);
    }
    await minio.removeObjects(bucket, names);
    await minio.removeBucket(bucket);
  });

  test('an object put is read back byte for byte', async () => {
    await minio.makeBucket(bucket);
    const body = Buffer.from('%PDF-1.7 birth certificate scan');
    await minio.putObject(bucket, 'record-1/proof.pdf', body, body.length, {
      'Content-Type': 'application/pdf',
    });
    const stream = await minio.getObject(bucket, 'record-1/proof.pdf');
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    assert.deepEqual(Buffer.concat(chunks), body);
    const stat = await minio.statObject(bucket, 'record-1/proof.pdf');
    assert.equal(stat.metaData['content-type'], 'application/pdf');
  });

  test('an upload that keeps moving is never cut, however long it takes in all', async () => {
    await ensureBucket(minio, bucket);
    const patient = createMinio({ ...config.minio, requestTimeoutMs: 400 });
    const chunks = Array.from({ length: 6 }, (_, i) => Buffer.alloc(1_000, 65 + i));
    async function* trickle() {
      for (const chunk of chunks) {
        await sleep(150);
        yield chunk;
      }
    }
    const started = Date.now();
    await patient.putObject(bucket, 'record-1/slow.bin', Readable.from(trickle()), 6_000);
    assert.ok(Date.now() - started > 800, 'took longer than the idle time in all');
    assert.equal((await minio.statObject(bucket, 'record-1/slow.bin')).size, 6_000);
  });
});

describe('MinIO that stops answering (a lost host, a partition: the connection stays open, silent)', () => {
  const held: Socket[] = [];
  /** Accepts connections; with `partial`, answers the start of a response, then nothing. */
  async function silentServer(partial?: string): Promise<{ port: number; close: () => void }> {
    const server = createServer((socket) => {
      held.push(socket);
      socket.on('error', () => undefined);
      if (partial) socket.once('data', () => socket.write(partial));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as AddressInfo).port, close: () => server.close() };
  }
  after(() => {
    for (const socket of held) socket.destroy();
  });

  test('a request with no answer fails after the idle time instead of waiting for TCP to give up', { timeout: 15_000 }, async () => {
    const silent = await silentServer();
    const minio = createMinio({ ...config.minio, port: silent.port, requestTimeoutMs: 300 });
    const started = Date.now();
    await assert.rejects(minio.statObject('attachments', 'r/a.pdf'), { name: 'MinioRequestTimeout' });
    assert.ok(Date.now() - started < 5_000, `failed after ${Date.now() - started} ms`);
    silent.close();
  });

  test('a download whose bytes stop coming fails instead of hanging its reader', { timeout: 15_000 }, async () => {
    const silent = await silentServer('HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\nContent-Length: 100000\r\n\r\n%PDF-1.7 the first bytes');
    const minio = createMinio({ ...config.minio, port: silent.port, requestTimeoutMs: 300 });
    // The client asks the bucket's region first: whichever response stalls, the call must fail.
    await assert.rejects(async () => {
      const stream = await minio.getObject('attachments', 'r/a.pdf');
      for await (const chunk of stream) void chunk;
    });
    silent.close();
  });
});

describe('Elasticsearch', () => {
  const es = createElasticsearch(config.elasticsearch);
  const index = unique;
  after(async () => {
    await es.indices.delete({ index, ignore_unavailable: true });
    await es.close();
  });

  test('a document indexed is found by id and by search', async () => {
    await es.indices.create({
      index,
      mappings: { properties: { name: { type: 'text' }, birthDate: { type: 'date' } } },
    });
    await es.index({ index, id: 'record-1', document: { name: 'Ada Lovelace', birthDate: '1815-12-10' } });
    const byId = await es.get<{ name: string }>({ index, id: 'record-1' });
    assert.equal(byId._source?.name, 'Ada Lovelace');
    await es.indices.refresh({ index });
    const found = await es.search({ index, query: { match: { name: 'lovelace' } } });
    assert.deepEqual(found.hits.hits.map((h) => h._id), ['record-1']);
  });

  test('an external version refuses an older write', async () => {
    await es.index({ index, id: 'record-2', version: 5, version_type: 'external', document: { name: 'new' } });
    await assert.rejects(
      es.index({ index, id: 'record-2', version: 4, version_type: 'external', document: { name: 'old' } }),
      (error: { meta?: { statusCode?: number } }) => error.meta?.statusCode === 409,
    );
    const current = await es.get<{ name: string }>({ index, id: 'record-2' });
    assert.equal(current._source?.name, 'new');
  });
});

test('the health report shows every store up', async () => {
  const redis = createRedis(config.redis);
  const mongo = createMongo(config.mongo);
  const es = createElasticsearch(config.elasticsearch);
  try {
    await redis.ping();
    const report = await checkDependencies({
      redis: redisCheck(redis),
      mongo: mongoCheck(mongo, config.mongo.dbName),
      minio: minioCheck(createMinio(config.minio), config.minio.bucket),
      elasticsearch: elasticsearchCheck(es),
    });
    assert.deepEqual(report, {
      status: 'ok',
      dependencies: Object.fromEntries(
        Object.entries(report.dependencies).map(([name, state]) => [
          name,
          { status: 'up', latencyMs: state.latencyMs },
        ]),
      ),
    });
  } finally {
    await Promise.all([redis.quit(), mongo.close(), es.close()]);
  }
});
