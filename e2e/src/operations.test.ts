/**
 * Operations end to end: a store down until a job exhausts its attempts (the client sees the
 * error, Sentry gets one event, the webhook one call), an admin retry through Bull Board's API
 * that completes it, dashboard access by role, and a Redis restart under load.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { recordIdFor, sampleBirth } from '@steadfast/commons';
import type { System } from '@steadfast/launcher';
import { expectProcessedOnce, fetchStatus, GATEWAY, gql, isolatedStores, login, MUTATIONS, storesOf } from './client.js';
import { E2E_PORTS, eventually, infra, startSystem } from './support.js';

/** A local HTTP endpoint that keeps every request body: Sentry's envelopes, webhook calls. */
async function receiver(): Promise<{ url: string; bodies: (path: RegExp) => string[]; close: () => Promise<void> }> {
  const received: Array<{ path: string; body: string }> = [];
  const read = async (request: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const server: Server = createServer((request, response) => {
    void read(request).then((body) => {
      received.push({ path: request.url ?? '', body });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    bodies: (path) => received.filter((r) => path.test(r.path)).map((r) => r.body),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const stores = isolatedStores();
const view = storesOf(stores);
let system: System;
let sink: Awaited<ReturnType<typeof receiver>>;
const tokens: Record<string, string> = {};

before(async () => {
  sink = await receiver();
  system = startSystem({
    ...stores,
    RECORD_JOB_ATTEMPTS: '3',
    RECORD_BACKOFF_MS: '300',
    RECORD_BACKOFF_MAX_MS: '1000',
    SENTRY_DSN: `${sink.url.replace('http://', 'http://publickey@')}/1`,
    ALERT_WEBHOOK_URL: `${sink.url}/alert`,
    ALERT_SWEEP_MS: '1500',
    LOGIN_MAX_FAILURES: '3',
  });
  await system.start();
  for (const user of ['field.agent', 'registration.agent', 'registrar', 'sysadmin']) tokens[user] = await login(user);
});

after(async () => {
  await infra('start', 'elasticsearch');
  await infra('start', 'redis');
  await system?.stop();
  await sink?.close();
  await view.drop();
  await view.close();
});

/** A script's request to the admin routes: JSON, with its token if any, redirects not followed. */
const admin = (path: string, token?: string, method = 'GET') =>
  fetch(`${GATEWAY}${path}`, { method, redirect: 'manual', headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });

/** Sentry envelopes that carry an error event (not sessions or client reports). */
const sentryEvents = () => sink.bodies(/\/api\/1\/envelope/).filter((body) => /"type":"event"/.test(body));

test('the dashboard is for sysadmins only', async () => {
  assert.equal((await admin('/admin/queues', tokens['sysadmin'])).status, 200);
  assert.equal((await admin('/admin/queues/api/queues', tokens['sysadmin'])).status, 200);
  assert.equal((await admin('/admin/alerts', tokens['sysadmin'])).status, 200);
  for (const role of ['field.agent', 'registration.agent', 'registrar']) {
    assert.equal((await admin('/admin/queues', tokens[role])).status, 403, role);
    assert.equal((await admin('/admin/queues/api/queues', tokens[role])).status, 403, role);
  }
  assert.equal((await admin('/admin/queues')).status, 401);
  assert.equal((await admin('/admin/queues', 'forged.token.value')).status, 401);
  // A browser (asking for a page) without a session is sent to the login page instead.
  const page = await fetch(`${GATEWAY}/admin/queues`, { redirect: 'manual', headers: { accept: 'text/html' } });
  assert.equal(page.status, 302);
  assert.equal(page.headers.get('location'), `/admin/login?next=${encodeURIComponent('/admin/queues')}`);
});

test('repeated failed logins of a username are refused for a while; other users still log in', async () => {
  const attempt = (username: string, password: string) =>
    fetch(`${GATEWAY}/auth/authenticate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  const guessed = `nobody-${randomUUID()}`;
  for (let i = 0; i < 3; i++) assert.equal((await attempt(guessed, 'guess')).status, 401, `failure ${i + 1}`);
  const refused = await attempt(guessed, 'guess');
  assert.equal(refused.status, 429);
  const retryAfter = Number(refused.headers.get('retry-after'));
  assert.ok(retryAfter > 0 && retryAfter <= 900, `Retry-After ${retryAfter}`);
  assert.match(((await refused.json()) as { error: string }).error, /too many failed logins for this username; try again in 15 minutes/);
  assert.ok((await login('registrar')).length > 0, 'a real user from the same address is unaffected');
});

test('drill: a job exhausted while Elasticsearch is down alerts once; an admin retry completes it', { timeout: 240_000 }, async () => {
  const details = sampleBirth(randomUUID());
  const draftId = details.registration.draftId;
  assert.equal((await infra('stop', 'elasticsearch')).code, 0);
  try {
    assert.equal((await gql(MUTATIONS.birth, { details }, tokens['registrar'])).errors, undefined);
    await eventually('the client sees attempts and the error', async () => {
      const status = await fetchStatus(draftId, tokens['registrar']!);
      return status.__typename === 'RecordProcessing' && (status.attempts ?? 0) >= 1 && /search step failed/.test(status.lastError ?? '');
    }, 60_000);
    await eventually('Sentry and the webhook are told', () => Promise.resolve(sentryEvents().length >= 1 && sink.bodies(/\/alert/).length >= 1), 60_000);
    await sleep(4_000); // two more sweeps: nothing is reported again
    assert.equal(sentryEvents().length, 1, 'exactly one Sentry event');
    assert.equal(sink.bodies(/\/alert/).length, 1, 'exactly one webhook call');
    const event = sentryEvents()[0]!;
    assert.match(event, new RegExp(draftId));
    assert.match(event, /"step":"search"/);
    for (const personal of [details.child.firstNames, details.child.familyName, details.registration.contact.phone!]) {
      assert.ok(!event.includes(personal), 'no personal data in the Sentry event');
    }
    const status = await fetchStatus(draftId, tokens['registrar']!);
    assert.equal(status.__typename, 'RecordProcessing', 'never a false success');
    assert.equal(status.attempts, 3);
    const alerts = (await (await admin('/admin/alerts', tokens['sysadmin'])).json()) as { alerts: Array<{ draftId: string }> };
    assert.equal(alerts.alerts.filter((a) => a.draftId === draftId).length, 1);
  } finally {
    assert.equal((await infra('start', 'elasticsearch')).code, 0);
  }

  const retried = await admin(`/admin/queues/api/queues/${stores.RECORD_QUEUE_NAME}/${draftId}/retry`, tokens['sysadmin'], 'PUT');
  assert.ok(retried.status < 300, `retry answered ${retried.status}`);
  await eventually('processed after the admin retry', async () =>
    (await fetchStatus(draftId, tokens['registrar']!)).__typename === 'RecordProcessed', 60_000);
  assert.equal(await view.records.countDocuments({ draftId }), 1);
  assert.equal(await view.searchCount({ term: { draftId } }), 1);
  assert.equal(await view.audit.countDocuments({ draftId, action: 'register' }), 1);
  assert.equal((await view.attachments(`${recordIdFor(draftId)}/`)).length, 1);
  assert.equal(sentryEvents().length, 1, 'the successful retry reports nothing');
});

test('Redis restarted during 100 submissions: the workers carry on and all complete once', { timeout: 300_000 }, async () => {
  const drafts = Array.from({ length: 100 }, (_, i) => sampleBirth(randomUUID(), {}, `redis-${i}`));
  let refused = 0;
  const sending = Promise.all(
    drafts.map(async (details, i) => {
      await sleep(i * 40);
      for (let attempt = 0; attempt < 120; attempt++) {
        const result = await gql(MUTATIONS.birth, { details }, tokens['registrar']).catch((error: Error) => ({ errors: [{ message: error.message }] }));
        if (!result.errors) return;
        refused++;
        await sleep(500);
      }
      throw new Error(`${details.registration.draftId} never accepted`);
    }),
  );
  await sleep(1_500);
  assert.equal((await infra('stop', 'redis')).code, 0);
  await sleep(3_000);
  assert.equal((await infra('start', 'redis')).code, 0);
  await sending;

  const draftIds = drafts.map((d) => d.registration.draftId);
  await expectProcessedOnce(view, draftIds, tokens['registrar']!, 'register', 180_000);
  console.log(`# ${refused} submissions refused while Redis was down, and retried by their clients`);
});

test('metrics: queue depths, step failures and submissions, on internal addresses only', async () => {
  const workflow = await (await fetch(`${system.urls()['workflow']}/metrics`)).text();
  assert.match(workflow, new RegExp(`steadfast_queue_jobs\\{[^}]*queue="${stores.RECORD_QUEUE_NAME}"[^}]*state="failed"[^}]*\\} \\d+`));
  assert.match(workflow, /steadfast_step_failures_total\{[^}]*step="search"[^}]*\} [1-9]/);
  assert.match(workflow, /steadfast_step_duration_seconds_count\{[^}]*step="audit"[^}]*\} [1-9]/);
  assert.match(workflow, /steadfast_jobs_total\{[^}]*outcome="exhausted"[^}]*\} 1/);
  const gateway = await (await fetch(`http://127.0.0.1:${E2E_PORTS.GATEWAY_METRICS_PORT}/metrics`)).text();
  assert.match(gateway, /steadfast_submissions_total\{[^}]*operation="create"[^}]*outcome="queued"[^}]*\} [1-9]/);
  assert.equal((await fetch(`${GATEWAY}/metrics`)).status, 404, 'not on the public URL');
});
