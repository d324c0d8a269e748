import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Redis } from 'ioredis';
import type { Collection } from 'mongodb';
import { createLogger } from '../logger.js';
import type { EventChannel } from './channel.js';
import { OutboxRelay, type OutboxDocument } from './relay.js';

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
