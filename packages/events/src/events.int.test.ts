/**
 * The relay, the channel and the projections against the real Redis, MongoDB and Elasticsearch,
 * under names of their own: every change reaches every projection once and in order, a relay
 * round goes out as one job per partition and a round published again adds nothing, repeats
 * change nothing, a job from before batching is still applied, a lost hint is found by the
 * sweep, a poison event is dead-lettered alone (raising one alert) while its batch-mates are
 * applied and applies once when replayed after the fix, and a renamed user's copies follow.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, mock, test } from 'node:test';
import {
  queueBase,
  collections,
  createLogger,
  domainEvent,
  EventChannel,
  eventJobId,
  eventQueueName,
  eventsOfJob,
  eventId,
  hintOutbox,
  outboxCopyKey,
  openStores,
  outboxHintKey,
  OutboxRelay,
  partitionOf,
  recordEvent,
  storeConfigFrom,
  withEvent,
  type Collection,
  type Collections,
  type DomainEvent,
  type OutboxDocument,
  type RecordDocument,
  type RelayOptions,
  type StoreClients,
} from '@steadfast/commons';
import { SearchIndex, toSearchDocument } from '@steadfast/records';
import { Queue } from 'bullmq';
import { readEnvironment, type Environment } from './environment.js';
import { createEventsService, type EventsService } from './service.js';
import { userCopiesProjection } from './projections.js';
import { changeRecord, insertRecord, newRecord, renameChild } from './testing.js';

const id = randomBytes(4).toString('hex');
let env: Environment;
let service: EventsService;
let stores: StoreClients;
let db: Collections;
let search: SearchIndex;

before(async () => {
  env = readEnvironment({
    ...process.env,
    EVENTS_PORT: '0',
    MONGO_DB: `ev_test_${id}`,
    ES_INDEX: `ev-test-${id}`,
    EVENT_QUEUE_PREFIX: `ev-test-${id}`,
    EVENT_ATTEMPTS: '3',
    EVENT_BACKOFF_MS: '100',
    RELAY_POLL_MS: '50',
    RELAY_SWEEP_MS: '300',
  });
  const logger = createLogger('events', { level: 'silent' });
  stores = openStores(storeConfigFrom(env), logger);
  db = collections(stores.mongo.db(env.MONGO_DB));
  search = new SearchIndex(stores.es, env.ES_INDEX);
  service = await createEventsService(env, logger);
  // The service makes the index before its first projection; the probes below read it before
  // then, and a shard still starting refuses them: wait for it here, as the service does.
  await search.ensure();
});

after(async () => {
  await service.close();
  await stores.es.indices.delete({ index: `${env.ES_INDEX}-*` }, { ignore: [404] });
  await stores.mongo.db(env.MONGO_DB).dropDatabase();
  for (let p = 0; p < env.EVENT_PARTITIONS; p++) {
    const q = new Queue(eventQueueName(env.EVENT_QUEUE_PREFIX, p), queueBase(stores.redis));
    await q.obliterate({ force: true });
    await q.close();
  }
  await stores.close();
});

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await probe()) return Date.now() - started;
    await sleep(50);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

/** Every record's search document equals the one derived from MongoDB, and its trail is whole. */
async function projectionsMatch(ids: readonly string[]): Promise<boolean> {
  for (const recordId of ids) {
    const record = await db.records.findOne({ _id: recordId });
    const doc = await search.getVersioned(recordId);
    if (!record || !doc || doc.version !== record.version) return false;
    assert.deepEqual(doc.doc, toSearchDocument(record));
    const trail = await db.auditTrail.find({ recordId }).sort({ sequence: 1 }).toArray();
    if (trail.length !== record.version) return false;
    assert.deepEqual(trail.map((e) => e.sequence), Array.from({ length: record.version }, (_, i) => i + 1));
  }
  return true;
}

test('every change of every record reaches both projections, once and in order', async () => {
  const ids = Array.from({ length: 20 }, (_, i) => `r-${id}-${i}`);
  await Promise.all(ids.map((recordId, i) => insertRecord(db, stores.redis, newRecord(recordId, 'u-1', i))));
  for (let round = 0; round < 4; round++) {
    await Promise.all(ids.map((recordId) => renameChild(db, stores.redis, recordId, `Name${round}`)));
  }
  await until('projections equal the source', () => projectionsMatch(ids));
  const trail = await db.auditTrail.find({ recordId: ids[0]! }).sort({ sequence: 1 }).toArray();
  for (let i = 1; i < trail.length; i++) assert.ok(trail[i]!.appliedAt >= trail[i - 1]!.appliedAt, 'applied in sequence order');
  // The relay applies a round's events before it clears their outboxes (a crash between the two
  // applies them again, idempotently): the projections can match a moment before the clear lands.
  await until('every outbox emptied', async () => (await db.records.countDocuments({ outboxPending: true })) === 0);
});

test('with the consumers in its process, the relay applies the events itself and queues no job', async () => {
  const queues = Array.from({ length: env.EVENT_PARTITIONS }, (_, p) => new Queue(eventQueueName(env.EVENT_QUEUE_PREFIX, p), queueBase(stores.redis)));
  const jobs = async () => {
    let n = 0;
    for (const queue of queues) {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed');
      n += Object.values(counts).reduce((a, b) => a + b, 0);
    }
    return n;
  };
  try {
    const before = await jobs();
    const ids = Array.from({ length: 10 }, (_, i) => `r-${id}-direct-${i}`);
    await Promise.all(ids.map((recordId, i) => insertRecord(db, stores.redis, newRecord(recordId, 'u-1', 100 + i))));
    await Promise.all(ids.map((recordId) => renameChild(db, stores.redis, recordId, 'Direct')));
    await until('projections equal the source', () => projectionsMatch(ids));
    assert.equal(await jobs(), before, 'no event job added to any partition');
  } finally {
    for (const queue of queues) await queue.close();
  }
});

/** The jobs in a queue (any state), with what they carry. */
async function jobsOf(queue: Queue): Promise<Array<{ id: string; events: DomainEvent[]; state: string }>> {
  const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized']);
  return Promise.all(
    jobs.map(async (job) => {
      const read = eventsOfJob(job.data);
      return { id: String(job.id), events: read.kind === 'invalid' ? [] : read.events, state: await job.getState() };
    }),
  );
}

/**
 * A relay of its own, not started, on a database and queues of its own (`name`): its rounds are
 * the test's. `onBatch` sees its MongoDB batches.
 */
function ownRelay(name: string, onBatch?: RelayOptions['onBatch'], writtenAt?: string) {
  const dbName = `${env.MONGO_DB}_${name}`;
  const own = collections(stores.mongo.db(dbName));
  const channel = new EventChannel({ prefix: `${env.EVENT_QUEUE_PREFIX}-${name}`, partitions: 4, attempts: 3, backoffMs: 100, backoffMaxMs: 1_000, batchMax: 100 }, stores.redis);
  const source = own.records as unknown as Collection<OutboxDocument>;
  const relay = new OutboxRelay([{ collection: source, hinted: true, ...(writtenAt ? { writtenAt } : {}) }], channel, stores.redis, createLogger('relay', { level: 'silent' }), {
    pollMs: 50,
    sweepMs: 60_000,
    batch: 200,
    ...(onBatch ? { onBatch } : {}),
  });
  return { dbName, own, channel, relay };
}

test('a relay round goes out as one job per partition, in sequence per record, and the same round published again adds nothing', async () => {
  const { dbName, own, channel, relay } = ownRelay('relay');
  try {
    const ids = Array.from({ length: 150 }, (_, i) => `rr-${id}-${i}`);
    for (let i = 0; i < ids.length; i += 50) await own.records.insertMany(ids.slice(i, i + 50).map((recordId, k) => newRecord(recordId, 'u-1', i + k)));
    await stores.redis.zadd(outboxHintKey(own.records), ...ids.flatMap((recordId) => [0, recordId]));
    for (const recordId of ids.slice(0, 40)) await renameChild(own, stores.redis, recordId, 'Second');
    for (const recordId of ids.slice(0, 10)) await renameChild(own, stores.redis, recordId, 'Third');

    const published = await relay.round();
    assert.equal(published, 150 + 40 + 10, 'every pending event of the round');
    assert.equal(await own.records.countDocuments({ outboxPending: true }), 0, 'every outbox cleared');
    assert.equal(await stores.redis.zcard(outboxHintKey(own.records)), 0, 'every hint taken');
    const jobs = (await Promise.all(channel.queues.map((q) => jobsOf(q)))).flat();
    // 150 records in chunks of 100: at most one job per partition per chunk.
    assert.ok(jobs.length <= 8, `${jobs.length} jobs for 200 events`);
    assert.equal(jobs.reduce((n, j) => n + j.events.length, 0), 200);
    for (const [p, queue] of channel.queues.entries()) {
      const events = (await jobsOf(queue)).sort((a, b) => a.id.localeCompare(b.id)).flatMap((j) => j.events);
      for (const event of events) assert.equal(partitionOf(event.aggregateId, 4), p);
    }
    for (const job of jobs) {
      const last = new Map<string, number>();
      for (const event of job.events) {
        assert.ok((last.get(event.aggregateId) ?? 0) < event.sequence, 'a record\'s events in sequence within a job');
        last.set(event.aggregateId, event.sequence);
      }
    }
    assert.equal(await relay.round(), 0, 'nothing left for the next round');

    // The relay died after publishing, before clearing: the same round is published again.
    for (const job of jobs) await channel.publish(job.events);
    const after = (await Promise.all(channel.queues.map((q) => jobsOf(q)))).flat();
    assert.deepEqual(after.map((j) => j.id).sort(), jobs.map((j) => j.id).sort(), 'the same jobs, none added');
  } finally {
    for (const queue of channel.queues) await queue.obliterate({ force: true });
    await channel.close();
    await stores.mongo.db(dbName).dropDatabase();
  }
});

test('aggregates hinted with a copy of their outbox are relayed without a read; those changed since are read, and no event is lost', async () => {
  const reads: number[] = [];
  const { dbName, own, channel, relay } = ownRelay('copies', (op, size) => {
    if (op === 'find-outboxes') reads.push(size);
  });
  const readCount = () => reads.reduce((n, size) => n + size, 0);
  const inserted = async (prefixOf: string, n: number, { hint = true } = {}) => {
    const records = Array.from({ length: n }, (_, i) => newRecord(`${prefixOf}-${id}-${i}`, 'u-1', i));
    await own.records.insertMany(records);
    if (hint) for (const record of records) await hintOutbox(stores.redis, own.records, record._id, undefined, { version: 1, events: record.outbox! });
    return records.map((r) => r._id);
  };
  const published = async () => new Set((await Promise.all(channel.queues.map((q) => jobsOf(q)))).flat().flatMap((j) => j.events.map((e) => e.id)));
  try {
    const fresh = await inserted('fresh', 20);
    assert.equal(await relay.round(), 20);
    assert.deepEqual(reads, [], 'no record read: each was relayed from its copy');
    assert.equal(await own.records.countDocuments({ outboxPending: true }), 0, 'every outbox cleared');

    // Three change after their hint (a second event, version 2): their copies are stale.
    const later = await inserted('later', 10);
    for (const recordId of later.slice(0, 3)) await renameChild(own, stores.redis, recordId, 'Second');
    await relay.round();
    // Their later writes' hints dropped their stale copies: only those three are read, not the
    // chunk (a clear by a stale copy misses, and a miss reads every copy of its chunk).
    assert.equal(readCount(), 3, 'the three changed records read, and only they');
    assert.equal(await own.records.countDocuments({ outboxPending: true }), 0, 'every outbox cleared');
    assert.equal(await stores.redis.zcard(outboxHintKey(own.records)), 0, 'every hint taken');
    assert.equal(await stores.redis.hlen(outboxCopyKey(own.records)), 0, 'every copy used');

    // Three changed by another writer before their creator's hint and copy arrive (a near-twin
    // flagged while its creator's job still runs): those late copies are refused, and only the
    // three are read.
    reads.length = 0;
    const lateRecords = Array.from({ length: 10 }, (_, i) => newRecord(`late-${id}-${i}`, 'u-1', i));
    await own.records.insertMany(lateRecords);
    const late = lateRecords.map((r) => r._id);
    for (const recordId of late.slice(0, 3)) await renameChild(own, stores.redis, recordId, 'Second');
    for (const record of lateRecords) await hintOutbox(stores.redis, own.records, record._id, undefined, { version: 1, events: record.outbox! });
    assert.equal(await stores.redis.hlen(outboxCopyKey(own.records)), 7, 'the changed records\' late copies refused');
    await relay.round();
    assert.equal(readCount(), 3, 'the three changed records read, and only they');
    assert.equal(await own.records.countDocuments({ outboxPending: true }), 0, 'every outbox cleared');

    // A record hinted by another writer first (no copy), whose creator's hint and copy arrive
    // while the relay reads it: the copy does not outlive the hint.
    const [raced] = await inserted('raced', 1, { hint: false });
    await stores.redis.zadd(outboxHintKey(own.records), 0, raced!);
    const hmget = stores.redis.hmget.bind(stores.redis);
    const racing = mock.method(stores.redis, 'hmget', async (...args: Parameters<typeof hmget>) => {
      const answer = await hmget(...args);
      const record = await own.records.findOne({ _id: raced! });
      await hintOutbox(stores.redis, own.records, raced!, undefined, { version: 1, events: record!.outbox ?? [] });
      return answer;
    });
    try {
      await relay.round();
    } finally {
      racing.mock.restore();
    }
    assert.equal(await stores.redis.zcard(outboxHintKey(own.records)), 0, 'the hint taken');
    assert.equal(await stores.redis.hlen(outboxCopyKey(own.records)), 0, 'its copy with it');

    const events = await published();
    for (const recordId of [...fresh, ...later, raced!]) assert.ok(events.has(eventId('record', recordId, 1)), `${recordId} created`);
    for (const recordId of late) assert.ok(events.has(eventId('record', recordId, 1)), `${recordId} created`);
    for (const recordId of [...later.slice(0, 3), ...late.slice(0, 3)]) assert.ok(events.has(eventId('record', recordId, 2)), `${recordId} renamed`);
  } finally {
    for (const queue of channel.queues) await queue.obliterate({ force: true });
    await channel.close();
    await stores.mongo.db(dbName).dropDatabase();
  }
});

test('events published twice change nothing, and a job of one event from before batching is applied', async () => {
  const recordId = `r-${id}-repeat`;
  await insertRecord(db, stores.redis, newRecord(recordId, 'u-1', 7));
  await renameChild(db, stores.redis, recordId, 'Once');
  await until('projected', () => projectionsMatch([recordId]));
  const trailBefore = await db.auditTrail.find({ recordId }).toArray();
  const docBefore = await search.getVersioned(recordId);

  // The record's events again, as a batch of another cut (a new job id): all duplicates.
  const events = trailBefore.map((entry) => ({ id: entry._id, sequence: entry.sequence }));
  const channel = new EventChannel({ prefix: env.EVENT_QUEUE_PREFIX, partitions: env.EVENT_PARTITIONS, attempts: 3, backoffMs: 100, backoffMaxMs: 1_000 }, stores.redis);
  const queue = channel.queues[partitionOf(recordId, env.EVENT_PARTITIONS)]!;
  try {
    const record = (await db.records.findOne({ _id: recordId }))!;
    const replay = events.map(({ sequence }) =>
      recordEvent({ recordId, sequence, type: sequence === 1 ? 'record.created' : 'record.corrected', changes: { status: 'REJECTED' }, at: new Date() }),
    );
    await channel.publish([...replay, ...replay]);
    await until('the repeats were taken', async () => (await queue.getWaitingCount()) + (await queue.getActiveCount()) + (await queue.getDelayedCount()) === 0);
    assert.deepEqual(await db.auditTrail.find({ recordId }).toArray(), trailBefore, 'no entry added or changed');
    assert.deepEqual(await search.getVersioned(recordId), docBefore, 'the search document unchanged');

    // A job written before batching: its data is the event itself. A change of the record
    // whose event travels that way only (no outbox, as if relayed by the previous release).
    const sequence = record.version + 1;
    const event = recordEvent({ recordId, sequence, type: 'record.corrected', changes: { status: 'CORRECTED' }, at: new Date() });
    await db.records.updateOne({ _id: recordId, version: record.version }, { $set: { status: 'CORRECTED' }, $inc: { version: 1 } });
    await queue.add(event.type, event, { jobId: eventJobId(event), attempts: 3 });
    // Done when its job is: the search document can be current before the audit trail's entry is in.
    await until('the old job applied', async () => (await queue.getJobState(eventJobId(event))) === 'completed');
    assert.equal((await search.getVersioned(recordId))?.version, sequence);
    assert.equal((await search.getVersioned(recordId))?.doc.status, 'CORRECTED');
    assert.equal(await db.auditTrail.countDocuments({ _id: event.id }), 1);
    assert.equal(await queue.getJobState(eventJobId(event)), 'completed');
  } finally {
    await channel.close();
  }
});

test('the sweep leaves a record written within its interval to its writer\'s hint, and takes an older one', async () => {
  const { dbName, own, channel, relay } = ownRelay('grace', undefined, 'updatedAt');
  try {
    const young = newRecord(`young-${id}`, 'u-1', 1);
    const old = { ...newRecord(`old-${id}`, 'u-1', 2), updatedAt: new Date(Date.now() - 10 * 60_000) };
    const { updatedAt: _unused, ...undated } = newRecord(`undated-${id}`, 'u-1', 3);
    await own.records.insertMany([young, old, undated as RecordDocument]);
    await relay.round();
    const pending = await own.records.find({ outboxPending: true }, { projection: { _id: 1 } }).toArray();
    assert.deepEqual(pending.map((d) => d._id), [young._id], 'the young record left to its hint; the old and the undated one swept');
  } finally {
    for (const queue of channel.queues) await queue.obliterate({ force: true });
    await channel.close();
    await stores.mongo.db(dbName).dropDatabase();
  }
});

test('a change whose writer died before leaving a hint is found by the sweep', async () => {
  const recordId = `r-${id}-nohint`;
  await insertRecord(db, stores.redis, newRecord(recordId, 'u-1', 1), { hint: false });
  await renameChild(db, stores.redis, recordId, 'Unhinted', { hint: false });
  await until('the sweep relayed it', () => projectionsMatch([recordId]), 10_000);
});

test('a poison event is dead-lettered alone, its batch-mates are applied, and a replay after the fix applies it once', async () => {
  const poisoned = `r-${id}-poison`;
  // A record of the same partition, so its change travels in the poison's batch.
  let n = 0;
  while (partitionOf(`r-${id}-healthy${n}`, env.EVENT_PARTITIONS) !== partitionOf(poisoned, env.EVENT_PARTITIONS)) n++;
  const healthy = `r-${id}-healthy${n}`;
  await insertRecord(db, stores.redis, newRecord(poisoned, 'u-1', 5));
  await insertRecord(db, stores.redis, newRecord(healthy, 'u-1', 6));
  await until('both created', () => projectionsMatch([poisoned, healthy]));

  // An import script writes a district longer than Elasticsearch takes in a keyword (32 766
  // bytes): the search document of that change is refused (400), attempt after attempt.
  const huge = 'D'.repeat(40_000);
  await renameChild(db, stores.redis, poisoned, 'Poisoned');
  // The poison, the change after it and the healthy record's change hinted at once: one round.
  const poisonSequence = await changeRecord(
    db,
    stores.redis,
    poisoned,
    'record.corrected',
    (r) => ({ data: { ...r.data, eventLocation: { country: 'ZMB', district: huge } } }),
    { hint: false },
  );
  const after = await renameChild(db, stores.redis, poisoned, 'AfterPoison', { hint: false });
  await renameChild(db, stores.redis, healthy, 'StillFlowing', { hint: false });
  await stores.redis.zadd(outboxHintKey(db.records), 0, poisoned, 0, healthy);

  const queue = new Queue(eventQueueName(env.EVENT_QUEUE_PREFIX, partitionOf(poisoned, env.EVENT_PARTITIONS)), queueBase(stores.redis));
  try {
    const deadId = `record.${poisoned}.${poisonSequence}`;
    await until('the poison event is in the failed set', async () => (await queue.getJob(deadId))?.finishedOn !== undefined && (await queue.getJobState(deadId)) === 'failed');
    await until('the dead letter raised its alert', async () => (await db.alerts.countDocuments({ kind: 'event-dead-lettered' })) > 0);
    const alerts = await db.alerts.find({ kind: 'event-dead-lettered' }).toArray();
    assert.equal(alerts.length, 1, 'one alert for the one dead letter');
    const alert = alerts[0]!;
    assert.ok(alert.kind === 'event-dead-lettered');
    assert.deepEqual(
      { eventId: alert.eventId, eventType: alert.eventType, aggregateId: alert.aggregateId, attempts: alert.attempts, delivered: alert.delivered },
      { eventId: `record:${poisoned}:${poisonSequence}`, eventType: 'record.corrected', aggregateId: poisoned, attempts: 3, delivered: {} },
    );
    assert.ok(!alert.error.includes('DDDD'), 'the alert holds no record content');
    await until('the healthy record moved on', () => projectionsMatch([healthy]));
    const failed = await queue.getFailed();
    assert.deepEqual(failed.map((j) => j.id), [deadId], 'the poison event alone in the dead-letter queue, not its batch');
    assert.equal(eventsOfJob(failed[0]!.data).kind, 'single');
    const stuck = await search.getVersioned(poisoned);
    assert.equal(stuck?.version, poisonSequence - 1, 'the poisoned record waits at the event before the poison');

    // The fix: keyword values that long are kept in _source but not indexed.
    await stores.es.indices.putMapping({ index: env.ES_INDEX, properties: { district: { type: 'keyword', ignore_above: 256 } } });
    const dead = await queue.getJob(deadId);
    assert.ok(dead);
    await dead.retry('failed'); // what "retry" in the dashboard does
    await until('the replayed poison event and the one behind it applied', () => projectionsMatch([poisoned]));
    const doc = await search.getVersioned(poisoned);
    assert.equal(doc?.version, after);
    assert.equal(await db.auditTrail.countDocuments({ _id: `record:${poisoned}:${poisonSequence}` }), 1);
  } finally {
    await queue.close();
  }
});

test("a user's new name reaches every record and search document that copies it", async () => {
  const userId = `user-${id}`;
  const ids = Array.from({ length: 5 }, (_, i) => `r-${id}-u${i}`);
  const users = stores.mongo.db(env.MONGO_DB).collection<{ _id: string; name: string; office: string; version: number }>('users');
  const created = domainEvent({ source: 'auth', aggregate: 'user', type: 'user.created', aggregateId: userId, sequence: 1, data: { name: 'Old Name', office: 'Old Office' } });
  await users.insertOne({ _id: userId, name: 'Old Name', office: 'Old Office', version: 1, outbox: [created], outboxPending: true } as never);
  await Promise.all(ids.map((recordId, i) => insertRecord(db, stores.redis, newRecord(recordId, userId, i))));
  await until('records projected', () => projectionsMatch(ids));

  // What auth's user change writes: the new name and its event, in one write.
  const renamedAt = Date.now();
  const renamed = domainEvent({ source: 'auth', aggregate: 'user', type: 'user.updated', aggregateId: userId, sequence: 2, data: { name: 'New Name', office: 'New Office' } });
  await users.updateOne({ _id: userId, version: 1 }, withEvent({ $set: { name: 'New Name', office: 'New Office' }, $inc: { version: 1 } }, renamed));
  await until('every copy follows', async () => {
    for (const recordId of ids) {
      const doc = await search.getVersioned(recordId);
      const record = await db.records.findOne({ _id: recordId });
      if (record?.actors?.[userId]?.name !== 'New Name') return false;
      if (!doc?.doc.actors.some((a) => a.userId === userId && a.name === 'New Name' && a.office === 'New Office')) return false;
    }
    return projectionsMatch(ids);
  });
  const delay = Date.now() - renamedAt;
  console.log(`# rename propagated to ${ids.length} records and their search documents in ${delay} ms`);
  assert.equal((await db.directory.findOne({ _id: userId }))?.version, 2);
  // A repeat of the old event changes nothing.
  const before = await db.records.findOne({ _id: ids[0]! });
  const projection = userCopiesProjection(db, stores.redis, createLogger('events', { level: 'silent' }));
  assert.equal(await projection.apply(created), 'duplicate');
  assert.equal((await db.records.findOne({ _id: ids[0]! }))?.version, before?.version);
});

test("a user's disabling reaches the directory (the gateway's list), and rewrites none of the records that copy the user", async () => {
  const userId = `user-off-${id}`;
  const ids = Array.from({ length: 3 }, (_, i) => `r-${id}-off${i}`);
  // The name and office the test records copy (testing.ts), at the user's version 1.
  const [name, office] = [`User ${userId}`, 'Test Office'];
  const users = stores.mongo.db(env.MONGO_DB).collection<{ _id: string; name: string; office: string; version: number }>('users');
  const created = domainEvent({ source: 'auth', aggregate: 'user', type: 'user.created', aggregateId: userId, sequence: 1, data: { name, office } });
  await users.insertOne({ _id: userId, name, office, version: 1, outbox: [created], outboxPending: true } as never);
  await Promise.all(ids.map((recordId, i) => insertRecord(db, stores.redis, newRecord(recordId, userId, i))));
  await until('records projected', () => projectionsMatch(ids));
  const versions = await Promise.all(ids.map(async (recordId) => (await db.records.findOne({ _id: recordId }))?.version));

  // What `users disable` writes: the date and its event, in one write.
  const disabledAt = '2026-12-05T06:00:00.000Z';
  const disabled = domainEvent({ source: 'auth', aggregate: 'user', type: 'user.disabled', aggregateId: userId, sequence: 2, data: { name, office, disabledAt } });
  await users.updateOne({ _id: userId, version: 1 }, withEvent({ $set: { disabledAt: new Date(disabledAt) }, $inc: { version: 1 } }, disabled));
  await until('the directory lists the user as disabled', async () => (await db.directory.findOne({ _id: userId, disabled: true }))?.version === 2);
  const entry = await db.directory.findOne({ _id: userId });
  assert.equal(entry?.disabledAt?.toISOString(), disabledAt);
  assert.deepEqual((await db.directory.find({ disabled: true }, { projection: { _id: 1 } }).toArray()).map((d) => d._id), [userId]);
  // Neither name nor office changed: no record was rewritten for it.
  await sleep(500);
  assert.deepEqual(await Promise.all(ids.map(async (recordId) => (await db.records.findOne({ _id: recordId }))?.version)), versions);

  // Each user event carries the whole state: one without disabledAt means not disabled.
  const projection = userCopiesProjection(db, stores.redis, createLogger('events', { level: 'silent' }));
  const enabled = domainEvent({ source: 'auth', aggregate: 'user', type: 'user.updated', aggregateId: userId, sequence: 3, data: { name, office } });
  assert.equal(await projection.apply(enabled), 'applied');
  const after = await db.directory.findOne({ _id: userId });
  assert.equal(after?.version, 3);
  assert.equal(after?.disabled, undefined);
  assert.equal(after?.disabledAt, undefined);
  assert.equal(await projection.apply(disabled), 'duplicate', 'an older event changes nothing');
});
