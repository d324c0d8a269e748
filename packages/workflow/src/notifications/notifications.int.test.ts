/** At most once per record, kind and recipient, against the real MongoDB (a database of its own). */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { createLogger, createMongo, redisOptions, storeConfigFrom, storeEnvSchema, type AlertDocument, type RecordDocument } from '@steadfast/commons';
import type { Notification, NotificationAdapter } from './adapters.js';
import { notificationFor, Notifications } from './notifications.js';

const config = storeConfigFrom(storeEnvSchema.parse(process.env));
const mongo = createMongo(config.mongo);
const db = mongo.db(`notify_test_${randomBytes(4).toString('hex')}`);
const opened: Notifications[] = [];

after(async () => {
  await Promise.all(opened.map((n) => n.close()));
  await db.dropDatabase();
  await mongo.close();
});

function notifier(adapter: NotificationAdapter): Notifications {
  const n = new Notifications(redisOptions(config.redis), `notify-test-${randomUUID()}`, db, adapter, createLogger('t', { level: 'silent' }));
  opened.push(n);
  return n;
}

const record = { _id: randomUUID(), event: 'birth', trackingId: 'B123456789', data: { registration: { contact: { phone: '+254700000001' } } } } as unknown as RecordDocument;

test('a notification delivered twice is sent once', async () => {
  const sent: Notification[] = [];
  const n = notifier({ send: (x) => Promise.resolve(void sent.push(x)) });
  const message = notificationFor(record, 'declared')!;
  assert.equal(await n.deliver(message), 'sent');
  assert.equal(await n.deliver(message), 'skipped');
  assert.equal(sent.length, 1);
  assert.equal(sent[0]?.channel, 'sms');
  assert.match(sent[0]?.text ?? '', /B123456789/);
});

test('a failed send is retried; a send cut short is never repeated', async () => {
  let fail = true;
  const sent: Notification[] = [];
  const n = notifier({ send: (x) => (fail ? Promise.reject(new Error('provider down')) : Promise.resolve(void sent.push(x))) });
  const message = notificationFor(record, 'registered')!;
  await assert.rejects(n.deliver(message), /provider down/);
  fail = false;
  assert.equal(await n.deliver(message), 'sent');
  assert.equal(sent.length, 1);

  const other = { ...message, id: randomUUID() };
  await db.collection('notifications').insertOne({ _id: other.id as never, status: 'sending', createdAt: new Date() });
  assert.equal(await n.deliver(other, 1), 'skipped', 'outcome unknown: at most once wins');
  assert.equal(await n.deliver(other, 2), 'skipped');
  const alerts = await db.collection<AlertDocument>('alerts').find({ kind: 'notification-unknown' }).toArray();
  assert.equal(alerts.length, 1, 'one alert however often the unknown send is met');
  assert.ok(alerts[0]?.kind === 'notification-unknown');
  assert.equal(alerts[0].notificationId, other.id);
  assert.equal(alerts[0].recordId, record._id);
  assert.equal(alerts[0].channel, 'sms');
  assert.doesNotMatch(JSON.stringify(alerts[0]), /\+254/, 'the alert holds no phone number');
  assert.equal(alerts.filter((a) => a._id === `notification:${message.id}`).length, 0, 'a send that failed and was retried raises none');
});
