import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AlertDocument } from '@steadfast/commons';
import { jobLink, jobOf } from './alerts.js';

const base = { attempts: 3, error: 'boom', failedAt: new Date(0), createdAt: new Date(0), delivered: {} };

test('an exhausted record job links to its job (the draftId) in its queue', () => {
  const alert: AlertDocument = { ...base, _id: 'record:3f2b8c1e-6d4a:1700000000000', kind: 'job-exhausted', queue: 'record', draftId: '3f2b8c1e-6d4a', step: 'search' };
  assert.deepEqual(jobOf(alert), { queue: 'record', jobId: '3f2b8c1e-6d4a' });
  assert.equal(jobLink(alert), '/admin/queues/queue/record/3f2b8c1e-6d4a');
});

test('a dead-lettered event links to its job (the event id, colons made dots)', () => {
  const alert: AlertDocument = {
    ...base, _id: 'events-p2:record.r1.7:1700000000000', kind: 'event-dead-lettered', queue: 'events-p2',
    eventId: 'e', eventType: 'record.created', aggregate: 'record', aggregateId: 'r',
  };
  assert.deepEqual(jobOf(alert), { queue: 'events-p2', jobId: 'record.r1.7' });
});

test('a notification alert links to the notification job; an unreadable id to the queue', () => {
  const unknown: AlertDocument = {
    ...base, _id: 'notification:n1', kind: 'notification-unknown', queue: 'notification-record',
    notificationId: 'n1', recordId: 'r', notificationKind: 'registered', channel: 'sms',
  };
  assert.equal(jobLink(unknown), '/admin/queues/queue/notification-record/n1', 'an alert from before batches: the job id was the notification id');
  assert.equal(jobLink({ ...unknown, jobId: 'batch-ab12' }), '/admin/queues/queue/notification-record/batch-ab12', 'the batch job that held the claim');
  const odd: AlertDocument = { ...base, _id: 'something-else', kind: 'job-exhausted', queue: 'record', draftId: 'd', step: 's' };
  assert.equal(jobLink(odd), '/admin/queues/queue/record');
});

test('queue names and ids are URL-encoded in links', () => {
  const alert: AlertDocument = { ...base, _id: 'a b:x/y:1', kind: 'job-exhausted', queue: 'a b', draftId: 'x/y', step: 's' };
  assert.equal(jobLink(alert), '/admin/queues/queue/a%20b/x%2Fy');
});

test('a stalled queue links to its oldest waiting job; a stalled outbox (a MongoDB collection, not a queue) links nowhere', () => {
  const queue: AlertDocument = { ...base, _id: 'stalled:record:d1', kind: 'queue-stalled', queue: 'record', oldestJobId: 'd1', waiting: 3 };
  assert.deepEqual(jobOf(queue), { queue: 'record', jobId: 'd1' });
  assert.equal(jobLink(queue), '/admin/queues/queue/record/d1');
  const outbox: AlertDocument = { ...base, _id: 'stalled:outbox steadfast.records:r1', kind: 'outbox-stalled', queue: 'outbox steadfast.records', aggregateId: 'r1', waiting: 1 };
  assert.deepEqual(jobOf(outbox), { queue: 'outbox steadfast.records', jobId: 'r1' });
  assert.equal(jobLink(outbox), undefined);
});

test('a hung job links to that job, not to the one its alert id would suggest', () => {
  const hung: AlertDocument = { ...base, _id: 'hung:record:d7:1700000000000', kind: 'job-hung', queue: 'record', jobId: 'd7', worker: 'workflow@h:1', running: 2 };
  assert.deepEqual(jobOf(hung), { queue: 'record', jobId: 'd7' });
  assert.equal(jobLink(hung), '/admin/queues/queue/record/d7');
});
