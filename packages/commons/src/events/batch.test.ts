import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UnrecoverableError } from 'bullmq';
import { batchJobId, batchVerdict, eventsOfJob, partitionBatches, type EventOutcome } from './batch.js';
import { oneAtATime, OutOfOrder } from './consumer.js';
import { domainEvent, partitionOf, type DomainEvent } from './domain-event.js';
import { relayPlan } from './relay.js';

const ev = (aggregateId: string, sequence: number): DomainEvent =>
  domainEvent({ source: 'test', aggregate: 'record', type: 'record.corrected', aggregateId, sequence, data: { n: sequence }, at: new Date(0) });

test('a round is cut into jobs per partition, each aggregate in its partition and in sequence order', () => {
  const events = Array.from({ length: 30 }, (_, i) => ev(`r-${i % 10}`, Math.floor(i / 10) + 1));
  const jobs = partitionBatches(events, 4, 100);
  let total = 0;
  for (const [p, batches] of jobs) {
    assert.equal(batches.length, 1, 'one job per partition when the round fits');
    for (const event of batches[0]!) assert.equal(partitionOf(event.aggregateId, 4), p);
    total += batches[0]!.length;
    for (let i = 0; i < 10; i++) {
      const mine = batches[0]!.filter((e) => e.aggregateId === `r-${i}`).map((e) => e.sequence);
      assert.deepEqual(mine, [...mine].sort((a, b) => a - b));
    }
  }
  assert.equal(total, events.length);
});

test('a partition with more events than a job holds gets several jobs, in order', () => {
  const events = Array.from({ length: 7 }, (_, i) => ev('r-same', i + 1));
  const jobs = [...partitionBatches(events, 4, 3).values()];
  assert.equal(jobs.length, 1);
  assert.deepEqual(jobs[0]!.map((b) => b.map((e) => e.sequence)), [[1, 2, 3], [4, 5, 6], [7]]);
  assert.throws(() => partitionBatches(events, 4, 0));
});

test("a batch's job id is derived from all of its events: the same events, the same id; any other, another", () => {
  const a = [ev('r-1', 1), ev('r-2', 1), ev('r-3', 4)];
  assert.equal(batchJobId(a), batchJobId(a.map((e) => ({ ...e }))));
  assert.match(batchJobId(a), /^batch\.record\.r-1\.1\.n3\.[\w-]{16}$/);
  assert.ok(!batchJobId(a).includes(':'), 'BullMQ refuses ":" in job ids');
  // Same first and last event, another middle: another job (a kept job must not swallow it).
  assert.notEqual(batchJobId(a), batchJobId([ev('r-1', 1), ev('r-9', 1), ev('r-3', 4)]));
  assert.notEqual(batchJobId(a), batchJobId(a.slice(0, 2)));
  assert.throws(() => batchJobId([]));
});

test('a job holds a batch, or one event (a split-out event, or a job from before batching); anything else is refused', () => {
  const one = ev('r-1', 1);
  assert.deepEqual(eventsOfJob({ events: [one, ev('r-1', 2)] }), { kind: 'batch', events: [one, ev('r-1', 2)] });
  assert.deepEqual(eventsOfJob(one), { kind: 'single', events: [one] });
  assert.equal(eventsOfJob({ events: [] }).kind, 'invalid');
  assert.equal(eventsOfJob({ events: [{ id: 'x' }] }).kind, 'invalid');
  assert.equal(eventsOfJob({ id: 'x' }).kind, 'invalid');
  assert.equal(eventsOfJob(null).kind, 'invalid');
});

test('a batch verdict: refused events are split out, waiting ones keep the job, the rest are done', () => {
  const boom = new Error('refused');
  const search: Array<EventOutcome | undefined> = ['applied', { failed: boom }, 'waiting', 'duplicate', { failed: boom }];
  const audit: Array<EventOutcome | undefined> = ['applied', 'applied', 'applied', 'duplicate', 'waiting'];
  const users: Array<EventOutcome | undefined> = [undefined, undefined, undefined, undefined, undefined];
  assert.deepEqual(batchVerdict(5, [search, audit, users]), { done: 2, waiting: [2, 4], failed: [{ index: 1, error: boom }] });
  assert.deepEqual(batchVerdict(2, []), { done: 2, waiting: [], failed: [] });
});

test("one at a time: an aggregate's later events wait behind one that waits or is refused; others go on; a store error fails the batch", async () => {
  const applied: string[] = [];
  const projection = oneAtATime({
    name: 'p',
    handles: () => true,
    apply: (event: DomainEvent) => {
      if (event.aggregateId === 'late' && event.sequence === 2) return Promise.reject(new OutOfOrder('p', 1, 2));
      if (event.aggregateId === 'bad') return Promise.reject(new UnrecoverableError('malformed'));
      if (event.aggregateId === 'down') return Promise.reject(new Error('store unreachable'));
      applied.push(event.id);
      return Promise.resolve('applied' as const);
    },
  });
  const outcomes = await projection.applyMany([ev('late', 2), ev('ok', 1), ev('late', 3), ev('bad', 1), ev('bad', 2), ev('ok', 2)]);
  assert.deepEqual(outcomes.slice(0, 3), ['waiting', 'applied', 'waiting']);
  assert.ok(typeof outcomes[3] === 'object' && outcomes[3].failed instanceof UnrecoverableError);
  assert.deepEqual(outcomes.slice(4), ['waiting', 'applied']);
  assert.deepEqual(applied, ['record:ok:1', 'record:ok:2']);
  await assert.rejects(projection.applyMany([ev('down', 1)]), /store unreachable/);
});

test("the relay's plan: every pending event, each aggregate's in sequence, and a clear for each aggregate with something to clear", () => {
  const plan = relayPlan([
    { _id: 'a', version: 3, outbox: [ev('a', 3), ev('a', 2)], outboxPending: true },
    { _id: 'b', version: 5, outbox: [], outboxPending: true },
    { _id: 'c', version: 1 },
    { _id: 'd', version: 1, outbox: [ev('d', 1)] },
  ]);
  assert.deepEqual(plan.events.map((e) => e.id), ['record:a:2', 'record:a:3', 'record:d:1']);
  assert.deepEqual(plan.clears, [
    { _id: 'a', version: 3 },
    { _id: 'b', version: 5 },
    { _id: 'd', version: 1 },
  ]);
});
