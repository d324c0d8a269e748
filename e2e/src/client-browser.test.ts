/**
 * The offline-first client in a real browser (Debian's chromium, driven by puppeteer-core): a
 * page bundles @steadfast/client (its "browser" entry, with esbuild), goes offline (network
 * emulation), stores 50 drafts with attachments in IndexedDB and one whose draftId another
 * device already used with another payload, fails to sync, comes back online, is reloaded (the
 * drafts survive in IndexedDB), and syncs: the 50 processed once in every store, the other one
 * a `conflict`, still stored with its payload. The page is served by a small server of the test
 * that also passes /graphql and /auth to the gateway: one origin, as a deployment serves it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { build } from 'esbuild';
import puppeteer, { type Browser } from 'puppeteer-core';
import { sampleBirth } from '@steadfast/commons';
import type { System } from '@steadfast/launcher';
import { expectProcessedOnce, GATEWAY, gql, isolatedStores, login, MUTATIONS, storesOf } from './client.js';
import { REPO_ROOT, startSystem } from './support.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const DRAFTS = 50;
const env = isolatedStores();
const stores = storesOf(env);
let system: System;
let token: string;
let site: Server;
let origin: string;
let browser: Browser;
let profile: string;

/** The page's script: the client over IndexedDB, and a few calls the test drives. */
const PAGE_SCRIPT = `
import { SteadfastClient, IndexedDbDraftStore } from '@steadfast/client';
const events = [];
const client = new SteadfastClient({
  url: location.origin,
  token: async () => {
    const r = await fetch('/auth/authenticate', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'field.agent', password: 'test' }) });
    if (r.status !== 200) throw new Error('login: HTTP ' + r.status);
    return (await r.json()).token;
  },
  store: new IndexedDbDraftStore('office-drafts'),
  retry: { baseMs: 200, capMs: 2000 },
  onEvent: (e) => events.push(e),
});
globalThis.office = {
  submitAll: async (all) => { const ids = []; for (const d of all) ids.push(await client.submit('createBirthRegistration', d)); return ids; },
  sync: (timeoutMs) => client.sync({ timeoutMs }),
  drafts: () => client.drafts(),
  draft: (id) => client.draft(id),
  events: () => events,
};
document.body.dataset.ready = 'yes';
`;

async function pageBundle(): Promise<string> {
  const result = await build({
    stdin: { contents: PAGE_SCRIPT, resolveDir: join(REPO_ROOT, 'e2e'), loader: 'js', sourcefile: 'office.js' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** The site: the page, its script, and /graphql and /auth/* passed to the gateway. */
async function serveSite(script: string): Promise<Server> {
  const html = '<!doctype html><meta charset="utf-8"><title>Field office</title><body><script type="module" src="/office.js"></script></body>';
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      const url = request.url ?? '/';
      if (url === '/') return void response.writeHead(200, { 'content-type': 'text/html' }).end(html);
      if (url === '/office.js') return void response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      if (url !== '/graphql' && !url.startsWith('/auth/')) return void response.writeHead(404).end();
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'authorization', 'x-correlation-id']) {
        const value = request.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      try {
        const upstream = await fetch(`${GATEWAY}${url}`, { method: request.method ?? 'GET', headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
        const out: Record<string, string> = {};
        for (const name of ['content-type', 'retry-after']) {
          const value = upstream.headers.get(name);
          if (value) out[name] = value;
        }
        response.writeHead(upstream.status, out).end(Buffer.from(await upstream.arrayBuffer()));
      } catch {
        response.writeHead(502).end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

before(async () => {
  system = startSystem(env);
  await system.start();
  token = await login('field.agent');
  site = await serveSite(await pageBundle());
  origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  profile = await mkdtemp(join(tmpdir(), 'steadfast-chromium-'));
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, userDataDir: profile, args: ['--no-sandbox', '--disable-gpu'] });
});

after(async () => {
  await browser?.close();
  site?.close();
  await system?.stop();
  await stores.drop();
  await stores.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

interface Summary { draftId: string; state: string; hasPayload: boolean; recordId?: string; code?: string; lastError?: string }

test('offline in chromium: 50 drafts with attachments survive a reload in IndexedDB, then sync: processed once; a reused key ends in conflict, kept', { timeout: 300_000 }, async () => {
  const page = await browser.newPage();
  await page.goto(origin);
  await page.waitForSelector('body[data-ready="yes"]');

  // Another device already used this draftId with another payload.
  const reusedId = randomUUID();
  const original = await gql(MUTATIONS.birth, { details: sampleBirth(reusedId) }, token);
  assert.equal(original.errors, undefined, JSON.stringify(original.errors));

  await page.setOfflineMode(true);
  const details = Array.from({ length: DRAFTS }, () => sampleBirth(randomUUID()));
  const other = sampleBirth(reusedId, { child: { firstNames: 'Another', familyName: 'Child', gender: 'male' } });
  const ids = await page.evaluate(`office.submitAll(${JSON.stringify([...details, other])})`) as string[];
  assert.equal(ids.length, DRAFTS + 1);
  assert.equal(ids[DRAFTS], reusedId);

  const offline = await page.evaluate('office.sync(3000)') as Record<string, number>;
  assert.deepEqual(offline, { processed: 0, rejected: 0, conflict: 0, pending: DRAFTS + 1 }, 'nothing gets through offline');
  const tried = await page.evaluate('office.drafts()') as Summary[];
  assert.ok(tried.some((d) => /Failed to fetch|no answer/.test(d.lastError ?? '')), `the sync did try, and failed for want of a network: ${tried[0]?.lastError}`);

  await page.setOfflineMode(false);
  await page.reload();
  await page.waitForSelector('body[data-ready="yes"]');
  const survived = await page.evaluate('office.drafts()') as Summary[];
  assert.equal(survived.length, DRAFTS + 1, 'every draft survived the reload in IndexedDB');
  assert.ok(survived.every((d) => d.state === 'pending' && d.hasPayload));

  const summary = await page.evaluate('office.sync(180000)') as Record<string, number>;
  assert.deepEqual(summary, { processed: DRAFTS, rejected: 0, conflict: 1, pending: 0 });

  const final = await page.evaluate('office.drafts()') as Summary[];
  const draftIds = ids.slice(0, DRAFTS);
  for (const id of draftIds) {
    const d = final.find((f) => f.draftId === id);
    assert.equal(d?.state, 'processed', id);
    assert.equal(d?.hasPayload, false);
  }
  const conflict = await page.evaluate(`office.draft(${JSON.stringify(reusedId)})`) as { state: string; code: string; payload?: { details: { child: { firstNames: string } } } };
  assert.equal(conflict.state, 'conflict');
  assert.equal(conflict.code, 'IDEMPOTENCY_KEY_REUSED');
  assert.equal(conflict.payload?.details.child.firstNames, 'Another', 'the conflicting draft is kept with its payload');

  await expectProcessedOnce(stores, draftIds, token, 'declare', 120_000);
  assert.equal(await stores.records.countDocuments({ draftId: reusedId }), 1, 'the reused key: one record, the first payload');
  assert.equal(await stores.records.countDocuments({}), DRAFTS + 1);
  assert.equal((await stores.attachments()).length, DRAFTS + 1, 'one attachment per record in MinIO');
});
