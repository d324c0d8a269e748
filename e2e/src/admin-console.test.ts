// page.evaluate callbacks run in the browser: its types.
/// <reference lib="dom" />
/**
 * The admin console in a real browser (Debian's Chromium, headless), against the whole system on
 * its own ports and storage names: the 3 a.m. case end to end. Elasticsearch is reached through
 * a proxy the test cuts (the shared Elasticsearch keeps running): a record job exhausts its
 * attempts, the admin logs in, sees it with its error, Elasticsearch comes back, "Retry all" on
 * the page completes it exactly once; the alert is on the alerts page and acknowledged. Around
 * it: who is refused at the login page, a cross-site form post riding on a valid session, every
 * destructive Bull Board route with a sysadmin token, logout, idle and absolute expiry, and the
 * admin audit trail holding one entry per action.
 *
 * Screenshots go to .data/test-results/ (and to ADMIN_CONSOLE_SCREENSHOT, e.g.
 * docs/admin-console.png, when set).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { createMongo, createRedis, QUEUE_PREFIX, recordIdFor, sampleBirth, storeConfigFrom, storeEnvSchema } from '@steadfast/commons';
import { System } from '@steadfast/launcher';
import type { Browser, BrowserContext, Page } from 'puppeteer-core';
import { crossSitePoster, cuttableProxy, launchChromium, logInOnPage } from './admin-support.js';
import { expectProcessedOnce, fetchStatus, GATEWAY, gql, isolatedStores, login, MUTATIONS, storesOf } from './client.js';
import { E2E_PORTS, eventually, REPO_ROOT, startSystem } from './support.js';
import { assertUnchanged } from './unchanged.js';

const stores = isolatedStores();
const view = storesOf(stores);
const config = storeConfigFrom(storeEnvSchema.parse({ ...process.env, ...stores }));
const mongo = createMongo(config.mongo);
const adminAudit = mongo.db(config.mongo.dbName).collection<{ action: string; actor: { userId?: string; username: string }; correlationId: string; at: Date; target?: Record<string, string>; outcome: { status: number; retried?: number } }>('admin-audit');
const alerts = mongo.db(config.mongo.dbName).collection<{ _id: string; draftId?: string; acknowledged?: { username: string } }>('alerts');
const R = stores.RECORD_QUEUE_NAME;
const API = `${GATEWAY}/admin/queues/api/queues`;
const RESULTS = join(REPO_ROOT, '.data', 'test-results');

let es: Awaited<ReturnType<typeof cuttableProxy>>;
let system: System;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const tokens: Record<string, string> = {};
/** The draft whose job exhausts its attempts while Elasticsearch is cut off. */
const exhausted = sampleBirth(randomUUID());
const draftId = exhausted.registration.draftId;

before(async () => {
  es = await cuttableProxy(Number(new URL(config.elasticsearch.url).port || 9200));
  system = startSystem({ ...stores, ES_URL: es.url, RECORD_JOB_ATTEMPTS: '2', RECORD_BACKOFF_MS: '300', RECORD_BACKOFF_MAX_MS: '600', ALERT_SWEEP_MS: '1000' });
  await system.start();
  for (const user of ['registrar', 'sysadmin']) tokens[user] = await login(user);
  // One record all the way through first: the workflow's stores are ready, every queue has run.
  const first = sampleBirth(randomUUID());
  assert.equal((await gql(MUTATIONS.birth, { details: first }, tokens['registrar'])).errors, undefined);
  await expectProcessedOnce(view, [first.registration.draftId], tokens['registrar']!, 'register', 60_000);
  browser = await launchChromium();
  context = await browser.createBrowserContext();
  page = await context.newPage();
  await page.setViewport({ width: 1100, height: 640 });
  mkdirSync(RESULTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  es?.restore();
  await system?.stop();
  await es?.close();
  await view.drop();
  await view.close();
  await mongo.close();
});

async function screenshot(name: string): Promise<void> {
  const path = join(RESULTS, `${name}.png`);
  await page.screenshot({ path });
  const wanted = process.env['ADMIN_CONSOLE_SCREENSHOT'];
  if (wanted && name === 'admin-console') copyFileSync(path, join(REPO_ROOT, wanted));
}

const sessionCookie = async () => (await context.cookies()).find((c) => c.name === 'steadfast-admin');
const text = () => page.evaluate(() => document.body.innerText);

test('a page without a session goes to the login page, which refuses a field agent, a registrar and a wrong password', async () => {
  await page.goto(`${GATEWAY}/admin/queues`);
  assert.equal(page.url(), `${GATEWAY}/admin/login?next=${encodeURIComponent('/admin/queues')}`);
  for (const [username, password, status, message] of [
    ['field.agent', 'test', 403, 'this console is for system administrators only'],
    ['registrar', 'test', 403, 'this console is for system administrators only'],
    ['sysadmin', 'not-the-password', 401, 'wrong username or password'],
  ] as const) {
    const answer = await logInOnPage(page, GATEWAY, username, password);
    assert.equal(answer.status(), status, username);
    assert.match(page.url(), /\/admin\/login$/);
    assert.match(await text(), new RegExp(message));
    assert.equal(await sessionCookie(), undefined, `no session for ${username}`);
  }
});

test('a sysadmin logs in and the board lists every queue Steadfast runs', async () => {
  await page.goto(`${GATEWAY}/admin/login?next=${encodeURIComponent('/admin/queues')}`);
  const answer = await logInOnPage(page, GATEWAY, 'sysadmin', 'test');
  assert.equal(answer.status(), 303);
  assert.equal(page.url(), `${GATEWAY}/admin/queues`);
  const cookie = await sessionCookie();
  assert.ok(cookie, 'a session cookie');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(cookie.path, '/admin');

  const expected = [R, `notification-${R}`, `record-outcome-${R}`, `country-validation-${R}`, ...[0, 1, 2, 3].map((p) => `${stores.EVENT_QUEUE_PREFIX}-p${p}`)];
  await page.waitForFunction((names: string[]) => names.every((n) => document.body.innerText.includes(n)), { timeout: 15_000 }, expected);
  // Every queue this run's services made in Redis is one of them.
  const redis = createRedis(config.redis);
  try {
    const id = R.slice('e2e-record-'.length);
    const inRedis = new Set<string>();
    for await (const keys of redis.scanStream({ match: `${QUEUE_PREFIX}:*${id}*`, count: 1_000 }) as AsyncIterable<string[]>) {
      // A queue's keys are `{steadfast}:<queue>:…`; Steadfast's own keys name their kind there
      // (`outbox-stale:<database>.records:<id>`, which carries this run's database).
      for (const key of keys) if (key.split(':')[1]!.includes(id)) inRedis.add(key.split(':')[1]!);
    }
    assert.ok(inRedis.size >= 6, `queues in Redis: ${[...inRedis].join(', ')}`);
    for (const name of inRedis) assert.ok(expected.includes(name), `${name} is on the board`);
  } finally {
    redis.disconnect();
  }
});

test('a job that exhausted its attempts while Elasticsearch was unreachable is visible with its last error', { timeout: 120_000 }, async () => {
  es.cut();
  assert.equal((await gql(MUTATIONS.birth, { details: exhausted }, tokens['registrar'])).errors, undefined);
  await eventually('the job exhausted its attempts', async () => {
    const job = await fetch(`${API}/${R}/${draftId}`, { headers: { authorization: `Bearer ${tokens['sysadmin']}` } });
    return job.ok && ((await job.json()) as { status?: string }).status === 'failed';
  }, 90_000);
  const status = await fetchStatus(draftId, tokens['registrar']!);
  assert.equal(status.__typename, 'RecordProcessing');
  assert.equal(status.attempts, 2);
  assert.match(status.lastError ?? '', /search step failed/);

  await page.goto(`${GATEWAY}/admin/queues/queue/${R}?status=failed`);
  await page.waitForFunction((id: string) => document.body.innerText.includes(id), { timeout: 15_000 }, draftId);
  // The job's card opens on its error (rendered a moment after the card).
  await page.waitForFunction(() => document.body.innerText.includes('search step failed'), { timeout: 15_000 });
  assert.match(await text(), new RegExp(`${draftId}[\\s\\S]*attempt #2[\\s\\S]*search step failed`), 'the job, its attempts and its last error');
  await screenshot('admin-console');
});

test('a cross-site form post riding on a valid session cookie is refused and changes nothing', { timeout: 60_000 }, async () => {
  const alert = await eventually('the alert is raised', async () => (await alerts.countDocuments({ draftId })) === 1, 30_000).then(() => alerts.findOne({ draftId }));
  assert.ok(alert);
  const cookie = await sessionCookie();
  assert.ok(cookie);
  const evil = await crossSitePoster();
  try {
    await assertUnchanged(view, stores, async () => {
      // In the browser: the admin, logged in, opens a page of another site (same host, another
      // port: same-site, so even the SameSite=Strict cookie goes along) that posts a form.
      for (const action of [`${GATEWAY}/admin/alerts/${encodeURIComponent(alert._id)}/acknowledge`, `${API}/${R}/${draftId}/retry`]) {
        const attack = await context.newPage();
        const answered = attack.waitForResponse((r) => r.url() === action);
        await attack.goto(evil.pageFor(action));
        const response = await answered;
        assert.equal(response.status(), 403, action);
        assert.match(await response.text(), /Sec-Fetch-Site/);
        await attack.close();
      }
      // The same with the cookie sent by hand, as a forging script would: refused too.
      const withCookie = { cookie: `${cookie.name}=${cookie.value}` };
      for (const headers of [
        { ...withCookie, origin: evil.origin, 'sec-fetch-site': 'same-site' },
        { ...withCookie, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
        { ...withCookie, origin: 'http://evil.example' },
        withCookie,
      ]) {
        assert.equal((await fetch(`${API}/${R}/${draftId}/retry`, { method: 'PUT', headers })).status, 403, JSON.stringify(headers));
        assert.equal((await fetch(`${GATEWAY}/admin/alerts/${encodeURIComponent(alert._id)}/acknowledge`, { method: 'POST', headers })).status, 403);
      }
      // The cookie itself is good: a read with it works.
      assert.equal((await fetch(`${API}`, { headers: withCookie })).status, 200);
    });
  } finally {
    await evil.close();
  }
  assert.equal((await alerts.findOne({ draftId }))?.acknowledged, undefined, 'the alert is still open');
  const job = (await (await fetch(`${API}/${R}/${draftId}`, { headers: { authorization: `Bearer ${tokens['sysadmin']}` } })).json()) as { status: string };
  assert.equal(job.status, 'failed', 'the job was not retried');
});

test('with Elasticsearch back, "Retry all" on the page completes the job exactly once', { timeout: 120_000 }, async () => {
  es.restore();
  await page.goto(`${GATEWAY}/admin/queues/queue/${R}?status=failed`);
  await page.waitForFunction((id: string) => document.body.innerText.includes(id), { timeout: 15_000 }, draftId);
  await page.locator('::-p-xpath(//button[normalize-space(.)="Retry all"])').click();
  await page.locator('::-p-xpath(//button[normalize-space(.)="Confirm"])').click();
  await page.waitForFunction(() => document.body.innerText.includes('No failed jobs in this queue'), { timeout: 15_000 });
  await expectProcessedOnce(view, [draftId], tokens['registrar']!, 'register', 90_000);
  assert.equal(await view.records.countDocuments({ draftId }), 1);
  assert.equal(await view.searchCount({ term: { draftId } }), 1);
  assert.equal((await view.attachments(`${recordIdFor(draftId)}/`)).length, 1);
});

test('the alert is on the alerts page, links to its job, and can be acknowledged', async () => {
  const alert = await alerts.findOne({ draftId });
  assert.ok(alert);
  await page.goto(`${GATEWAY}/admin/alerts`);
  assert.equal(await page.$eval('#open-count strong', (e) => e.textContent), '1');
  const row = `tr[data-alert-id="${alert._id}"]`;
  const link = await page.$eval(`${row} a`, (a) => a.getAttribute('href'));
  assert.equal(link, `/admin/queues/queue/${R}/${draftId}`);
  await Promise.all([page.waitForNavigation(), page.click(`${row} a`)]);
  await page.waitForFunction((id: string) => document.body.innerText.includes(id), { timeout: 15_000 }, draftId);
  await page.goto(`${GATEWAY}/admin/alerts`);
  await Promise.all([page.waitForNavigation(), page.click(`${row} button`)]);
  assert.equal(page.url(), `${GATEWAY}/admin/alerts`);
  assert.match(await page.$eval(row, (e) => (e as HTMLElement).innerText), /acknowledged by sysadmin/);
  assert.equal(await page.$eval('#open-count strong', (e) => e.textContent), '0');
  assert.equal((await alerts.findOne({ _id: alert._id }))?.acknowledged?.username, 'sysadmin');
  await page.screenshot({ path: join(RESULTS, 'admin-alerts.png') });
});

test("every destructive Bull Board route is refused with a sysadmin token, and nothing changes", async () => {
  const auth = { authorization: `Bearer ${tokens['sysadmin']}`, 'content-type': 'application/json' };
  const board = async () => (await (await fetch(API, { headers: auth })).json()) as { queues: Array<{ name: string; counts: Record<string, number>; isPaused: boolean }> };
  // Domain events of the earlier tests may still be flowing through the event partitions: wait
  // until nothing is waiting, active or delayed anywhere, so only the probes could change a count.
  const idle = async () => (await board()).queues.every(({ counts }) => (counts['waiting'] ?? 0) + (counts['active'] ?? 0) + (counts['delayed'] ?? 0) === 0);
  await eventually('every queue idle', idle, 30_000);
  const before = (await board()).queues.map(({ name, counts, isPaused }) => ({ name, counts, isPaused }));
  await assertUnchanged(view, stores, async () => {
    for (const [method, path, body] of [
      ['POST', `/${R}/add`, { name: 'create', data: { userId: 'someone-else', operation: 'create' }, options: {} }],
      ['PATCH', `/${R}/${draftId}/update-data`, { data: { userId: 'someone-else' } }],
      ['PUT', `/${R}/clean/completed`],
      ['PUT', `/${R}/clean/failed`],
      ['PUT', `/${R}/${draftId}/clean`],
      ['PUT', `/${R}/empty`],
      ['PUT', `/${R}/obliterate`, { force: true }],
      ['PUT', `/${R}/pause`],
      ['PUT', `/${R}/resume`],
      ['PUT', '/pause'],
      ['PUT', '/resume'],
      ['PUT', `/${R}/concurrency`, { concurrency: 1 }],
      ['PUT', `/${R}/rate-limit`, { max: 1, duration: 60_000 }],
      ['PATCH', `/${R}/${draftId}/priority`, { priority: 1 }],
      ['PUT', `/${R}/retry/completed`],
    ] as Array<[string, string, object?]>) {
      const response = await fetch(`${API}${path}`, { method, headers: auth, ...(body ? { body: JSON.stringify(body) } : {}) });
      assert.equal(response.status, 403, `${method} ${path}`);
    }
    const completed = await fetch(`${API}/${R}/${draftId}/retry`, { method: 'PUT', headers: auth });
    assert.equal(completed.status, 409, 'a completed job is not run again');
  });
  assert.deepEqual((await board()).queues.map(({ name, counts, isPaused }) => ({ name, counts, isPaused })), before);
});

test('logout ends the session: the old cookie no longer works', async () => {
  const cookie = await sessionCookie();
  assert.ok(cookie);
  await page.goto(`${GATEWAY}/admin/alerts`);
  await Promise.all([page.waitForNavigation(), page.click('header form button')]);
  assert.equal(page.url(), `${GATEWAY}/admin/login?ended=logout`);
  assert.match(await text(), /You are logged out/);
  assert.equal(await sessionCookie(), undefined);
  const old = { cookie: `${cookie.name}=${cookie.value}` };
  assert.equal((await fetch(API, { headers: old })).status, 401);
  const pageAgain = await fetch(`${GATEWAY}/admin/alerts`, { headers: old, redirect: 'manual' });
  assert.equal(pageAgain.status, 302);
  assert.match(pageAgain.headers.get('location') ?? '', /^\/admin\/login\?next=/);
});

test('an expired session (idle, or past its absolute end however busy) sends the browser to the login page', { timeout: 90_000 }, async () => {
  // A second gateway on the same stores and services, with short session limits.
  const port = Number(E2E_PORTS.GATEWAY_PORT) + 6;
  const second = new System({
    env: { ...E2E_PORTS, ...stores, ES_URL: es.url, GATEWAY_PORT: String(port), GATEWAY_METRICS_PORT: String(port + 1), ADMIN_SESSION_IDLE_SECONDS: '3', ADMIN_SESSION_ABSOLUTE_SECONDS: '8', LOG_LEVEL: 'info' },
    logs: { dir: join(REPO_ROOT, '.data', 'logs', 'e2e-admin-short-sessions') },
  });
  await second.startService('gateway');
  const gateway = `http://127.0.0.1:${port}`;
  const own = await browser.createBrowserContext();
  try {
    const tab = await own.newPage();
    assert.equal((await logInOnPage(tab, gateway, 'sysadmin', 'test')).status(), 303);
    await tab.goto(`${gateway}/admin/alerts`);
    assert.equal(tab.url(), `${gateway}/admin/alerts`);
    await tab.goto('about:blank');
    await sleep(4_000); // idle longer than 3 s
    await tab.goto(`${gateway}/admin/alerts`);
    assert.equal(tab.url(), `${gateway}/admin/login?next=${encodeURIComponent('/admin/alerts')}`, 'idle session ended');

    assert.equal((await logInOnPage(tab, gateway, 'sysadmin', 'test')).status(), 303);
    const loggedIn = Date.now();
    let lastAlive = 0;
    let endedAfter: number | undefined;
    while (Date.now() - loggedIn < 14_000) {
      await sleep(1_000);
      await tab.goto(`${gateway}/admin/alerts`);
      if (tab.url().startsWith(`${gateway}/admin/login`)) {
        endedAfter = Date.now() - loggedIn;
        break;
      }
      lastAlive = Date.now() - loggedIn;
    }
    assert.ok(lastAlive > 3_500, `in use, the session outlived its 3 s idle time (alive at ${lastAlive} ms)`);
    // The login's answer arrives a little after the session was made: allow for that, not more.
    assert.ok(endedAfter !== undefined && endedAfter >= 6_000, `a busy session ended ${endedAfter} ms after login: at its 8 s absolute end`);
  } finally {
    await own.close();
    await second.stop();
  }
});

test('the admin audit trail holds one entry per action, with who, what, when and the correlation id', async () => {
  const entries = await adminAudit.find({}, { sort: { at: 1 } }).toArray();
  assert.deepEqual(
    entries.map((e) => [e.action, e.actor.username, e.outcome.status]),
    [
      ['login-refused', 'field.agent', 403],
      ['login-refused', 'registrar', 403],
      ['login-refused', 'sysadmin', 401],
      ['login', 'sysadmin', 303],
      ['retry-all', 'sysadmin', 200],
      ['acknowledge', 'sysadmin', 200],
      ['logout', 'sysadmin', 303],
      ['login', 'sysadmin', 303],
      ['login', 'sysadmin', 303],
    ],
  );
  const retry = entries.find((e) => e.action === 'retry-all');
  assert.deepEqual(retry?.target, { queue: R });
  assert.equal(retry?.outcome.retried, 1);
  for (const entry of entries) {
    assert.ok(entry.at instanceof Date);
    assert.ok(entry.correlationId.length > 0);
    // Who: a user id for everyone auth recognised (all but the wrong password).
    if (entry.outcome.status !== 401) assert.ok(entry.actor.userId, `${entry.action} names the user id`);
  }
});
