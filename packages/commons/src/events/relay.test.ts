import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Redis } from 'ioredis';
import type { Collection } from 'mongodb';
import { createLogger } from '../logger.js';
import type { EventChannel } from './channel.js';
import { clearOps, copiesOf, OutboxRelay, sweepFilter, type OutboxDocument } from './relay.js';

/** A source with nothing pending that counts the sweeps' queries. */
function emptySource() {
  const source = { queries: 0 };
  const collection = {
    dbName: 'test',
    collectionName: 'users',
    find: () => {
      source.queries++;
      return { limit: () => ({ batchSize: () => ({ toArray: () => Promise.resolve([]) }) }) };
    },
  } as unknown as Collection<OutboxDocument>;
  return { source, collection };
}

const relayOf = (collection: Collection<OutboxDocument>, unhintedMs?: number) =>
  new OutboxRelay([{ collection, hinted: false }], {} as EventChannel, {} as Redis, createLogger('relay-test', { level: 'silent' }), {
    pollMs: 10,
    sweepMs: 5_000,
    batch: 100,
    ...(unhintedMs === undefined ? {} : { unhintedMs }),
  });

test('a source without hints is swept once a second, not every round', async () => {
  const { source, collection } = emptySource();
  const relay = relayOf(collection);
  for (let i = 0; i < 5; i++) await relay.round();
  assert.equal(source.queries, 1);
});

test('the unhinted sweep interval can be shortened', async () => {
  const { source, collection } = emptySource();
  const relay = relayOf(collection, 0);
  for (let i = 0; i < 5; i++) await relay.round();
  assert.equal(source.queries, 5);
});

test('a copy is used only when it parses and holds events of its own aggregate up to its version', () => {
  const event = (aggregateId: string, sequence: number) => ({
    id: `record:${aggregateId}:${sequence}`,
    source: 'workflow',
    aggregate: 'record',
    type: 'record.created',
    aggregateId,
    sequence,
    data: {},
    occurredAt: '2026-12-06T00:00:00.000Z',
  });
  const copy = (version: number, events: unknown[]) => JSON.stringify({ version, events });
  const docs = copiesOf(
    ['a', 'b', 'c', 'd', 'e', 'f'],
    [copy(1, [event('a', 1)]), null, copy(1, [event('x', 1)]), copy(1, [event('d', 2)]), 'not json', copy(2, [{ ...event('f', 1), extra: true }])],
  );
  assert.deepEqual(
    docs.map((d) => ({ _id: d._id, version: d.version, sequences: d.outbox?.map((e) => e.sequence), pending: d.outboxPending })),
    [{ _id: 'a', version: 1, sequences: [1], pending: true }],
    'b: none; c: another aggregate; d: past its version; e: not JSON; f: not an event',
  );
});

test('the clears are one updateMany per version read, each document at its own version', () => {
  const ops = clearOps([
    { _id: 'a', version: 1 },
    { _id: 'b', version: 2 },
    { _id: 'c', version: 1 },
  ]);
  assert.deepEqual(
    ops.map((op) => (op as { updateMany: { filter: unknown } }).updateMany.filter),
    [
      { _id: { $in: ['a', 'c'] }, version: 1 },
      { _id: { $in: ['b'] }, version: 2 },
    ],
  );
  for (const op of ops) assert.deepEqual((op as { updateMany: { update: unknown } }).updateMany.update, { $set: { outbox: [] }, $unset: { outboxPending: '' } });
  assert.deepEqual(clearOps([]), []);
});

test('a sweep takes every pending document, or on a source with writtenAt those written before its grace', () => {
  assert.deepEqual(sweepFilter(undefined, 5_000), { outboxPending: true });
  const now = Date.parse('2026-12-06T12:00:00.000Z');
  assert.deepEqual(sweepFilter('updatedAt', 5_000, now), {
    outboxPending: true,
    updatedAt: { $not: { $gte: new Date('2026-12-06T11:59:55.000Z') } },
  });
});
