import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../logger.js';
import type { EventOutcome } from './batch.js';
import type { Projection } from './consumer.js';
import { DirectDelivery } from './direct.js';
import { domainEvent, type DomainEvent } from './domain-event.js';

const logger = createLogger('direct-test', { level: 'silent' });

const event = (aggregateId: string, sequence: number): DomainEvent =>
  domainEvent({ source: 'workflow', aggregate: 'record', type: 'record.corrected', aggregateId, sequence, data: {} });

/** What reached the channel: batches published, events published alone. */
function recordingChannel() {
  const seen = { published: [] as string[][], alone: [] as string[][] };
  return {
    seen,
    channel: {
      publish: (events: readonly DomainEvent[]) => {
        seen.published.push(events.map((e) => e.id));
        return Promise.resolve(1);
      },
      publishAlone: (events: readonly DomainEvent[]) => {
        seen.alone.push(events.map((e) => e.id));
        return Promise.resolve();
      },
    },
  };
}

/** A projection answering each event by rule, recording the batches it was given. */
function projection(name: string, answer: (e: DomainEvent) => EventOutcome | 'throw') {
  const batches: string[][] = [];
  const p: Projection & { batches: string[][] } = {
    name,
    batches,
    handles: () => true,
    applyMany(events) {
      batches.push(events.map((e) => e.id));
      if (events.some((e) => answer(e) === 'throw')) return Promise.reject(new Error(`${name} store down`));
      return Promise.resolve(events.map((e) => answer(e) as EventOutcome));
    },
  };
  return p;
}

test('events every projection applies reach no queue', async () => {
  const { seen, channel } = recordingChannel();
  const search = projection('search', () => 'applied');
  const audit = projection('audit', (e) => (e.sequence === 1 ? 'duplicate' : 'applied'));
  const events = [event('a', 1), event('a', 2), event('b', 1)];
  const jobs = await new DirectDelivery([search, audit], channel, { logger }).publish(events);
  assert.equal(jobs, 0);
  assert.deepEqual(seen, { published: [], alone: [] });
  assert.deepEqual(search.batches, [events.map((e) => e.id)], 'one batch, in order');
  assert.deepEqual(audit.batches, [events.map((e) => e.id)]);
});

test('an event refused on its own is queued alone; events that wait are queued as a batch; the rest are done', async () => {
  const { seen, channel } = recordingChannel();
  const search = projection('search', (e) => (e.aggregateId === 'poison' ? { failed: new Error('mapper_parsing_exception') } : 'applied'));
  // The audit trail has not seen b's first event (it is in a queue, retrying): b's second waits.
  const audit = projection('audit', (e) => (e.aggregateId === 'b' ? 'waiting' : 'applied'));
  const events = [event('poison', 3), event('b', 2), event('c', 1)];
  await new DirectDelivery([search, audit], channel, { logger }).publish(events);
  assert.deepEqual(seen.alone, [['record:poison:3']]);
  assert.deepEqual(seen.published, [['record:b:2']]);
});

test('an event both refused and waiting waits (as batchVerdict decides)', async () => {
  const { seen, channel } = recordingChannel();
  const search = projection('search', () => ({ failed: new Error('refused') }));
  const audit = projection('audit', () => 'waiting');
  await new DirectDelivery([search, audit], channel, { logger }).publish([event('a', 2)]);
  assert.deepEqual(seen, { published: [['record:a:2']], alone: [] });
});

test('a store call that failed as a whole queues the whole batch, to retry with backoff', async () => {
  const { seen, channel } = recordingChannel();
  const search = projection('search', () => 'applied');
  const audit = projection('audit', (e) => (e.aggregateId === 'x' ? 'throw' : 'applied'));
  const events = [event('a', 1), event('x', 1)];
  const jobs = await new DirectDelivery([search, audit], channel, { logger }).publish(events);
  assert.equal(jobs, 1);
  assert.deepEqual(seen, { published: [['record:a:1', 'record:x:1']], alone: [] });
});

test('a round larger than the batch size is applied a batch at a time, in order', async () => {
  const { seen, channel } = recordingChannel();
  const search = projection('search', () => 'applied');
  const sizes: number[] = [];
  const events = Array.from({ length: 5 }, (_, i) => event('a', i + 1));
  await new DirectDelivery([search], channel, { logger, batchMax: 2, onBatch: (n) => sizes.push(n) }).publish(events);
  assert.deepEqual(search.batches, [['record:a:1', 'record:a:2'], ['record:a:3', 'record:a:4'], ['record:a:5']]);
  assert.deepEqual(sizes, [2, 2, 1]);
  assert.deepEqual(seen, { published: [], alone: [] });
});

test('a channel that fails fails the delivery: the relay keeps the outboxes and relays them again', async () => {
  const search = projection('search', () => 'throw');
  const channel = { publish: () => Promise.reject(new Error('redis down')), publishAlone: () => Promise.resolve() };
  await assert.rejects(new DirectDelivery([search], channel, { logger }).publish([event('a', 1)]), /redis down/);
});

test('events it does not apply are queued as before, the others applied', async () => {
  const { seen, channel } = recordingChannel();
  const search = projection('search', () => 'applied');
  const user = domainEvent({ source: 'auth', aggregate: 'user', type: 'user.updated', aggregateId: 'u', sequence: 2, data: {} });
  const events = [event('a', 1), user, event('b', 1)];
  const jobs = await new DirectDelivery([search], channel, { logger, applies: (e) => e.aggregate === 'record' }).publish(events);
  assert.equal(jobs, 1);
  assert.deepEqual(seen, { published: [['user:u:2']], alone: [] });
  assert.deepEqual(search.batches, [['record:a:1', 'record:b:1']]);
});
