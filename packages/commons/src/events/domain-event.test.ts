import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventJobId } from './batch.js';
import { outOfOrderWait } from './consumer.js';
import { domainEvent, partitionOf, withEvent } from './domain-event.js';

test('an event id is derived from aggregate and sequence, so a repeat is the same event', () => {
  const input = { source: 'workflow', aggregate: 'record', type: 'record.created', aggregateId: 'r-1', sequence: 3, data: {} } as const;
  const a = domainEvent({ ...input, at: new Date(1) });
  const b = domainEvent({ ...input, at: new Date(2) });
  assert.equal(a.id, 'record:r-1:3');
  assert.equal(a.id, b.id);
  assert.equal(eventJobId(a), 'record.r-1.3', 'BullMQ refuses ":" in job ids');
});

test('an event that is not well formed is refused when it is made', () => {
  assert.throws(() => domainEvent({ source: 'x', aggregate: 'record', type: 'Created', aggregateId: 'r', sequence: 1, data: {} }), /aggregate/);
  assert.throws(() => domainEvent({ source: 'x', aggregate: 'record', type: 'record.created', aggregateId: 'r', sequence: 0, data: {} }));
});

test('every event of an aggregate goes to one partition, and partitions are all used', () => {
  const seen = new Set<number>();
  for (let i = 0; i < 1_000; i++) {
    const p = partitionOf(`record-${i}`, 4);
    assert.ok(p >= 0 && p < 4);
    assert.equal(partitionOf(`record-${i}`, 4), p);
    seen.add(p);
  }
  assert.equal(seen.size, 4);
});

test('withEvent adds the event and the pending flag to an update and keeps its own fields', () => {
  const event = domainEvent({ source: 's', aggregate: 'user', type: 'user.updated', aggregateId: 'u', sequence: 2, data: { name: 'n' } });
  const update = withEvent<{ _id: string; name: string; tags: string[] }>({ $set: { name: 'n' }, $push: { tags: 't' } }, event);
  assert.deepEqual(update, { $set: { name: 'n', outboxPending: true }, $push: { tags: 't', outbox: event } });
});

test('an event waiting for its predecessor looks again sooner when young, at least every 5 s', () => {
  assert.equal(outOfOrderWait(0), 50);
  assert.equal(outOfOrderWait(4_000), 400);
  assert.equal(outOfOrderWait(10 * 60_000), 5_000);
});
