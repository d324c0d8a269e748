/**
 * Drill: work that stops moving is reported, though nothing fails. The workflow process is
 * frozen (SIGSTOP: alive, connected, holding its place, taking nothing), then the events
 * service, then the workflow again while it runs a job; submissions go on being accepted. The gateway's stall watch must raise one alert for
 * each (the console, the webhook, Sentry), holding no personal data, and mark it resolved once
 * the process is let go; every record then ends exactly once, its projections caught up.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { collections, createRedis, outboxHintKey, recordIdFor, redisKey, sampleBirth, storeConfigFrom, storeEnvSchema } from '@steadfast/commons';
import type { System } from '@steadfast/launcher';
import { expectProcessedOnce, fetchStatus, GATEWAY, gql, isolatedStores, login, MUTATIONS, storesOf } from './client.js';
import { E2E_PORTS, eventually, startSystem } from './support.js';

const stores = isolatedStores();
const view = storesOf(stores);
let system: System;
let sink: Server;
let sinkUrl: string;
const received: Array<{ path: string; body: string }> = [];
const tokens: Record<string, string> = {};

async function read(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

before(async () => {
  sink = createServer((request, response) => {
    void read(request).then((body) => {
      received.push({ path: request.url ?? '', body });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  sinkUrl = `http://127.0.0.1:${(sink.address() as { port: number }).port}`;
  system = startSystem({
    ...stores,
    GATEWAY_STALL_ALERT_SECONDS: '4',
    GATEWAY_STALL_CHECK_SECONDS: '1',
    SENTRY_DSN: `${sinkUrl.replace('http://', 'http://publickey@')}/1`,
    ALERT_WEBHOOK_URL: `${sinkUrl}/alert`,
  });
  await system.start();
  for (const user of ['registrar', 'sysadmin']) tokens[user] = await login(user);
});

after(async () => {
  for (const name of ['workflow', 'events']) system?.signalService(name, 'SIGCONT');
  await system?.stop();
  sink?.close();
  await view.drop();
  await view.close();
});

interface Alert {
  _id: string;
  kind: string;
  queue: string;
  oldestJobId?: string;
  aggregateId?: string;
  jobId?: string;
  worker?: string;
  startedAt?: string;
  waiting: number;
  resolvedAt?: string;
}

async function alertsOf(kind: string): Promise<Alert[]> {
  const response = await fetch(`${GATEWAY}/admin/alerts`, { headers: { accept: 'application/json', authorization: `Bearer ${tokens['sysadmin']}` } });
  assert.equal(response.status, 200);
  return ((await response.json()) as { alerts: Alert[] }).alerts.filter((a) => a.kind === kind);
}

const webhookCalls = (kind: string) => received.filter((r) => r.path === '/alert' && r.body.includes(`"kind":"${kind}"`)).map((r) => r.body);
const sentryEvents = (name: string) => received.filter((r) => /\/api\/1\/envelope/.test(r.path) && /"type":"event"/.test(r.body) && r.body.includes(name)).map((r) => r.body);

async function submit(): Promise<{ draftId: string; personal: string[] }> {
  const details = sampleBirth(randomUUID());
  const result = await gql(MUTATIONS.birth, { details }, tokens['registrar']);
  assert.equal(result.errors, undefined);
  return { draftId: details.registration.draftId, personal: [details.child.firstNames, details.child.familyName, details.registration.contact.phone!] };
}

function assertNoPersonalData(bodies: string[], personal: string[]): void {
  for (const body of bodies) for (const value of personal) assert.ok(!body.includes(value), 'no personal data in an alert');
}

test('drill: the workflow frozen, records wait: one queue-stalled alert, resolved when it runs again; each record once', { timeout: 180_000 }, async () => {
  assert.ok(system.signalService('workflow', 'SIGSTOP'));
  const submitted = [await submit(), await submit(), await submit()];
  const draftIds = submitted.map((s) => s.draftId);
  try {
    await eventually('the stall is alerted', async () => (await alertsOf('queue-stalled')).length > 0 && webhookCalls('queue-stalled').length > 0 && sentryEvents('QueueStalled').length > 0, 30_000);
    const [alert, ...more] = await alertsOf('queue-stalled');
    assert.equal(more.length, 0, 'one alert');
    assert.equal(alert!.queue, stores.RECORD_QUEUE_NAME);
    assert.equal(alert!.oldestJobId, draftIds[0], 'the oldest waiting job: the first draft');
    assert.equal(alert!.waiting, 3);
    assert.equal(alert!.resolvedAt, undefined);
    for (const draftId of draftIds) assert.equal((await fetchStatus(draftId, tokens['registrar']!)).__typename, 'RecordProcessing');
    const metrics = await (await fetch(`http://127.0.0.1:${E2E_PORTS.GATEWAY_METRICS_PORT}/metrics`)).text();
    const stalled = new RegExp(`steadfast_stalled_seconds\\{queue="${stores.RECORD_QUEUE_NAME}"[^}]*\\} ([\\d.]+)`).exec(metrics);
    assert.ok(stalled && Number(stalled[1]) >= 4, `the gauge shows the stall: ${stalled?.[0] ?? 'absent'}`);
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // three more checks: not raised again
    assert.equal(webhookCalls('queue-stalled').length, 1, 'one webhook call');
    assert.equal(sentryEvents('QueueStalled').length, 1, 'one Sentry event');
    assertNoPersonalData([...webhookCalls('queue-stalled'), ...sentryEvents('QueueStalled')], submitted.flatMap((s) => s.personal));
  } finally {
    assert.ok(system.signalService('workflow', 'SIGCONT'));
  }
  await expectProcessedOnce(view, draftIds, tokens['registrar']!, 'register', 60_000);
  await eventually('the alert is resolved', async () => (await alertsOf('queue-stalled'))[0]?.resolvedAt !== undefined, 15_000);
  const metrics = await (await fetch(`http://127.0.0.1:${E2E_PORTS.GATEWAY_METRICS_PORT}/metrics`)).text();
  assert.match(metrics, new RegExp(`steadfast_stalled_seconds\\{queue="${stores.RECORD_QUEUE_NAME}"[^}]*\\} 0\\n`), 'back to 0 once nothing waits');
});

test('drill: the events service frozen, events wait in the outbox: one outbox-stalled alert, resolved when it runs again; the projections catch up', { timeout: 180_000 }, async () => {
  // The earlier drill's records relayed first, so that the one submitted here is the oldest waiting.
  const redis = createRedis(storeConfigFrom(storeEnvSchema.parse({ ...process.env, ...stores })).redis);
  try {
    const hints = outboxHintKey({ dbName: stores.MONGO_DB, collectionName: 'records' });
    await eventually('no outbox waits', async () => (await redis.zcard(hints)) === 0, 30_000);
  } finally {
    redis.disconnect();
  }
  assert.ok(system.signalService('events', 'SIGSTOP'));
  let submitted: { draftId: string; personal: string[] };
  try {
    submitted = await submit();
    // The workflow does not wait for the events: the record is processed, its events wait.
    await expectProcessedOnce(view, [submitted.draftId], tokens['registrar']!, 'register', 60_000);
    await eventually('the stall is alerted', async () => (await alertsOf('outbox-stalled')).length > 0 && webhookCalls('outbox-stalled').length > 0, 30_000);
    const [alert, ...more] = await alertsOf('outbox-stalled');
    assert.equal(more.length, 0, 'one alert');
    // The oldest waiting: this record, or an earlier one whose events this one's processing
    // added (a potential duplicate it flagged, hinted before this record's own events).
    const waiting = await view.records.findOne({ _id: alert!.aggregateId, outboxPending: true } as object);
    assert.ok(waiting, `the alert names a record whose events wait: ${alert!.aggregateId}`);
    assert.equal(alert!.queue, `outbox ${stores.MONGO_DB}.records`);
    assertNoPersonalData(webhookCalls('outbox-stalled'), submitted.personal);
  } finally {
    assert.ok(system.signalService('events', 'SIGCONT'));
  }
  const db = collections(view.records.db);
  await eventually('the audit trail has the record', async () => (await db.auditTrail.countDocuments({ recordId: recordIdFor(submitted.draftId) })) > 0, 60_000);
  await eventually('the alert is resolved', async () => (await alertsOf('outbox-stalled'))[0]?.resolvedAt !== undefined, 15_000);
  assert.equal(webhookCalls('outbox-stalled').length, 1, 'one webhook call');
});

test('drill: the workflow frozen holding a job: one job-hung alert naming the job and the process, resolved when it runs again; each record once', { timeout: 180_000 }, async () => {
  const redis = createRedis(storeConfigFrom(storeEnvSchema.parse({ ...process.env, ...stores })).redis);
  const active = redisKey(stores.RECORD_QUEUE_NAME, 'active');
  const submitted: Array<{ draftId: string; personal: string[] }> = [];
  let held: string | undefined;
  try {
    // Freeze the workflow while it runs a record job: a job it holds and nobody else can take
    // (its lock outlives the drill), as a call that never returns holds one in a live process.
    for (let attempt = 0; attempt < 5 && !held; attempt++) {
      submitted.push(await submit());
      for (let i = 0; i < 400 && !held; i++) {
        const oldest = await redis.lindex(active, -1);
        if (oldest) {
          assert.ok(system.signalService('workflow', 'SIGSTOP'));
          held = (await redis.lindex(active, -1)) ?? undefined;
          if (!held) assert.ok(system.signalService('workflow', 'SIGCONT')); // it ended just before
        } else await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    assert.ok(held, 'the workflow was frozen while running a job');
    await eventually('the hung job is alerted', async () => (await alertsOf('job-hung')).length > 0 && webhookCalls('job-hung').length > 0 && sentryEvents('JobHung').length > 0, 30_000);
    const [alert, ...more] = (await alertsOf('job-hung')).filter((a) => a.queue === stores.RECORD_QUEUE_NAME);
    assert.equal(more.length, 0, 'one alert');
    assert.equal(alert!.jobId, held, 'the job it holds');
    assert.match(alert!.worker ?? '', /^workflow@.+:\d+$/, 'the process running it');
    assert.equal(alert!.worker!.split(':').pop(), String(system.pidOf('workflow')));
    assert.ok(alert!.startedAt, 'when it started');
    const metrics = await (await fetch(`http://127.0.0.1:${E2E_PORTS.GATEWAY_METRICS_PORT}/metrics`)).text();
    const running = new RegExp(`steadfast_longest_running_seconds\\{queue="${stores.RECORD_QUEUE_NAME}"[^}]*\\} ([\\d.]+)`).exec(metrics);
    assert.ok(running && Number(running[1]) >= 4, `the gauge shows it: ${running?.[0] ?? 'absent'}`);
    assertNoPersonalData([...webhookCalls('job-hung'), ...sentryEvents('JobHung')], submitted.flatMap((s) => s.personal));
  } finally {
    system.signalService('workflow', 'SIGCONT');
    redis.disconnect();
  }
  await expectProcessedOnce(view, submitted.map((s) => s.draftId), tokens['registrar']!, 'register', 60_000);
  await eventually('the alert is resolved', async () => (await alertsOf('job-hung')).every((a) => a.resolvedAt !== undefined), 15_000);
  assert.equal(webhookCalls('job-hung').length, 1, 'one webhook call');
});
