/**
 * The client's conduct towards a gateway that misbehaves in the ways a real network does. The
 * gateway here is a small script behind `fetch` (the e2e tests run the real one): it queues what
 * it is sent, processes each draft after a few status reads, and can be told to fail.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SteadfastClient, type ClientEvent } from './client.js';
import { MemoryDraftStore } from './stores/memory-store.js';

interface Received {
  fingerprint: string;
  reads: number;
}

class ScriptedGateway {
  readonly received = new Map<string, Received>();
  readonly calls: Array<{ at: number; op: string; token: string }> = [];
  inFlight = 0;
  mostInFlight = 0;
  batch = true;
  /** Status reads before a received draft is processed. */
  readsToProcess = 1;
  /** Answers to give first, before the script's own (one per request). */
  readonly overrides: Array<{ status: number; body?: unknown; headers?: Record<string, string> } | 'network'> = [];
  /** Drafts whose acknowledgement gets lost once (the gateway forgets them after queuing). */
  readonly forgetOnce = new Set<string>();
  validToken = 'token-1';
  /** RecordProcessing carries a new lastError on every read (a failing step): each read changes the draft. */
  newErrorEachRead = false;
  /** How long a write takes to answer (a slow line, a gateway busy with a burst). */
  writeMs = 2;
  /** When each write was answered. */
  readonly answeredWrites: number[] = [];

  readonly fetch: typeof fetch = async (_input, init) => {
    const request = JSON.parse(init?.body as string) as { query: string; variables: Record<string, unknown> };
    const token = String((init?.headers as Record<string, string>)['authorization']).replace('Bearer ', '');
    const op = /fetchRecordStatuses|fetchRecordStatus|create\w+|request\w+/.exec(request.query)?.[0] ?? '?';
    this.calls.push({ at: Date.now(), op, token });
    this.inFlight += 1;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    try {
      const write = op !== 'fetchRecordStatuses' && op !== 'fetchRecordStatus';
      await new Promise((resolve) => setTimeout(resolve, write ? this.writeMs : 2));
      if (write) this.answeredWrites.push(Date.now());
      const override = this.overrides.shift();
      if (override === 'network') throw new TypeError('fetch failed');
      if (override) return json(override.status, override.body ?? {}, override.headers);
      if (token !== this.validToken) return json(401, error('UNAUTHENTICATED', 'Not authenticated: token expired'));
      return json(200, this.answer(op, request.variables));
    } finally {
      this.inFlight -= 1;
    }
  };

  private answer(op: string, variables: Record<string, unknown>): unknown {
    if (op === 'fetchRecordStatuses') {
      if (!this.batch) return { errors: [{ message: 'Cannot query field "fetchRecordStatuses" on type "Query".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] };
      return { data: { fetchRecordStatuses: (variables['draftIds'] as string[]).map((id) => this.status(id)) } };
    }
    if (op === 'fetchRecordStatus') return { data: { fetchRecordStatus: this.status(variables['draftId'] as string) } };
    const details = variables['details'] as { registration: { draftId: string } };
    const draftId = details.registration.draftId;
    const fingerprint = JSON.stringify(variables);
    const known = this.received.get(draftId);
    if (known && known.fingerprint !== fingerprint) return error('IDEMPOTENCY_KEY_REUSED', `draftId ${draftId} was already used`);
    if (!known) this.received.set(draftId, { fingerprint, reads: 0 });
    return { data: { [op]: { draftId } } };
  }

  private status(draftId: string): unknown {
    const known = this.received.get(draftId);
    if (known && this.forgetOnce.delete(draftId)) this.received.delete(draftId);
    if (!this.received.has(draftId)) return { __typename: 'RecordUnknown', draftId };
    const r = this.received.get(draftId)!;
    r.reads += 1;
    if (r.reads <= this.readsToProcess) {
      return { __typename: 'RecordProcessing', draftId, attempts: r.reads, step: 'metadata', lastError: this.newErrorEachRead ? `attempt ${r.reads} failed` : null };
    }
    return { __typename: 'RecordProcessed', draftId, recordId: `rec-${draftId}`, trackingId: 'B000000001', registrationStatus: 'DECLARED', registrationNumber: null };
  }

  count(op: string): number {
    return this.calls.filter((c) => c.op === op).length;
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
}
const error = (code: string, message: string) => ({ errors: [{ message, extensions: { code } }], data: null });

const birth = (draftId?: string, name = 'Amina') => ({
  registration: { ...(draftId ? { draftId } : {}), contact: { phone: '+254712345678' } },
  child: { firstNames: name, familyName: 'Otieno' },
  attachments: [{ type: 'BIRTH_NOTIFICATION', subject: 'CHILD', contentType: 'image/png', data: 'iVBORw0KGgo=' }],
});

function setup(options: { maxConcurrentRequests?: number; tokens?: string[] } = {}) {
  const gateway = new ScriptedGateway();
  const store = new MemoryDraftStore();
  const events: ClientEvent[] = [];
  const tokens = options.tokens ?? ['token-1'];
  let asked = 0;
  const client = new SteadfastClient({
    url: 'http://gateway.test',
    token: () => tokens[Math.min(asked++, tokens.length - 1)]!,
    store,
    fetch: gateway.fetch,
    retry: { baseMs: 50, capMs: 400 },
    waitSeconds: 0,
    onEvent: (e) => events.push(e),
    ...(options.maxConcurrentRequests ? { maxConcurrentRequests: options.maxConcurrentRequests } : {}),
  });
  return { gateway, store, client, events, tokensAsked: () => asked };
}

describe('SteadfastClient', { timeout: 30_000 }, () => {
  test('submit stores the draft before any request, setting a draftId when the details lack one', async () => {
    const { gateway, client, store } = setup();
    const draftId = await client.submit('createBirthRegistration', birth());
    assert.match(draftId, /^[0-9a-f-]{36}$/);
    assert.equal(gateway.calls.length, 0);
    const stored = await store.get(draftId);
    assert.equal(stored?.state, 'pending');
    assert.equal((stored?.payload?.details['registration'] as { draftId: string }).draftId, draftId);
    assert.equal(await client.submit('createBirthRegistration', birth(draftId)), draftId, 'the same submission again: the same draft');
    await assert.rejects(client.submit('createBirthRegistration', birth(draftId, 'Other')), { name: 'DraftExistsError' });
    await assert.rejects(client.submit('createBirthRegistrationCorrection', birth()), { name: 'InvalidSubmissionError', message: /id/ });
  });

  test('sync sends, follows with fetchRecordStatuses, purges each payload only with RecordProcessed', async () => {
    const { gateway, client, events } = setup();
    const ids = await Promise.all(Array.from({ length: 5 }, (_, i) => client.submit('createBirthRegistration', birth(undefined, `N${i}`))));
    assert.deepEqual(await client.sync({ timeoutMs: 10_000 }), { processed: 5, rejected: 0, conflict: 0, pending: 0 });
    const drafts = await client.drafts();
    assert.deepEqual(drafts.map((d) => [d.state, d.hasPayload, d.recordId]), ids.map((id) => ['processed', false, `rec-${id}`]));
    const purges = events.filter((e) => e.type === 'stored' && e.purged);
    assert.equal(purges.length, 5);
    assert.ok(purges.every((e) => e.type === 'stored' && e.cause === 'RecordProcessed'));
    assert.equal(gateway.count('fetchRecordStatus'), 0);
    assert.ok(gateway.count('fetchRecordStatuses') <= 3, `one query per round for all five: ${gateway.count('fetchRecordStatuses')}`);
  });

  test('a gateway without fetchRecordStatuses: one status query per draft, and still all processed', async () => {
    const { gateway, client, events } = setup();
    gateway.batch = false;
    for (let i = 0; i < 4; i++) await client.submit('createBirthRegistration', birth(undefined, `F${i}`));
    assert.equal((await client.sync({ timeoutMs: 10_000 })).processed, 4);
    assert.equal(gateway.count('fetchRecordStatuses'), 1, 'asked once, then remembered');
    assert.ok(gateway.count('fetchRecordStatus') >= 8);
    assert.equal(events.filter((e) => e.type === 'fallback').length, 1);
  });

  test('RecordUnknown after a queued answer: the draft is sent again, and processed once', async () => {
    const { gateway, client } = setup();
    const draftId = await client.submit('createBirthRegistration', birth());
    gateway.forgetOnce.add(draftId);
    assert.equal((await client.sync({ timeoutMs: 10_000 })).processed, 1);
    assert.equal(gateway.count('createBirthRegistration'), 2);
    assert.equal((await client.drafts())[0]?.attempts, 2);
  });

  test('IDEMPOTENCY_KEY_REUSED: conflict, payload kept, never sent again', async () => {
    const { gateway, client } = setup();
    const draftId = await client.submit('createBirthRegistration', birth());
    gateway.received.set(draftId, { fingerprint: 'another payload', reads: 0 });
    assert.deepEqual(await client.sync({ timeoutMs: 10_000 }), { processed: 0, rejected: 0, conflict: 1, pending: 0 });
    const stored = await client.draft(draftId);
    assert.equal(stored?.state, 'conflict');
    assert.ok(stored?.payload);
    await client.sync({ timeoutMs: 1_000 });
    assert.equal(gateway.count('createBirthRegistration'), 1);
  });

  test('429 with Retry-After: nothing is sent before it elapsed', async () => {
    const { gateway, client } = setup();
    await client.submit('createBirthRegistration', birth());
    gateway.overrides.push({ status: 429, body: 'Too Many Requests', headers: { 'retry-after': '1' } });
    assert.equal((await client.sync({ timeoutMs: 10_000 })).processed, 1);
    const [refused, next] = gateway.calls;
    assert.ok(next!.at - refused!.at >= 1_000, `waited ${next!.at - refused!.at} ms`);
  });

  test('an expired token: the provider is asked again and the request sent with the new one', async () => {
    const { gateway, client, tokensAsked } = setup({ tokens: ['token-old', 'token-1'] });
    await client.submit('createBirthRegistration', birth());
    assert.equal((await client.sync({ timeoutMs: 10_000 })).processed, 1);
    assert.equal(tokensAsked(), 2);
    assert.deepEqual(gateway.calls.slice(0, 2).map((c) => c.token), ['token-old', 'token-1']);
    assert.ok(gateway.calls.slice(1).every((c) => c.token === 'token-1'));
  });

  test('offline: sync gives up at its timeout with every draft kept, and backs off meanwhile', async () => {
    const { gateway, client } = setup();
    for (let i = 0; i < 20; i++) await client.submit('createBirthRegistration', birth(undefined, `O${i}`));
    for (let i = 0; i < 1_000; i++) gateway.overrides.push('network');
    const started = Date.now();
    assert.deepEqual(await client.sync({ timeoutMs: 2_000 }), { processed: 0, rejected: 0, conflict: 0, pending: 20 });
    assert.ok(Date.now() - started < 3_000);
    // Without the shared backoff and its single probe, 20 drafts would retry on their own: hundreds of requests in 2 s.
    assert.ok(gateway.calls.length < 25, `${gateway.calls.length} requests while offline`);
    const drafts = await client.drafts();
    assert.ok(drafts.every((d) => d.state === 'pending' && d.hasPayload));
    assert.ok(drafts.some((d) => d.lastError?.includes('fetch failed')), 'the failure is shown on the drafts tried');
    gateway.overrides.length = 0;
    assert.equal((await client.sync({ timeoutMs: 10_000 })).processed, 20, 'back online: all through');
  });

  test('a bound on requests in flight: 60 drafts, never more than 3 at once', async () => {
    const { gateway, client } = setup({ maxConcurrentRequests: 3 });
    for (let i = 0; i < 60; i++) await client.submit('createBirthRegistration', birth(undefined, `C${i}`));
    assert.equal((await client.sync({ timeoutMs: 20_000 })).processed, 60);
    assert.equal(gateway.mostInFlight, 3);
  });

  test('minStatusIntervalMs: status queries start at least that far apart', async () => {
    const { gateway, store } = setup();
    gateway.readsToProcess = 3;
    gateway.newErrorEachRead = true; // every round changes a draft: no idle pause between rounds
    const client = new SteadfastClient({ url: 'http://gateway.test', token: () => 'token-1', store, fetch: gateway.fetch, waitSeconds: 0, minStatusIntervalMs: 400 });
    await client.submit('createBirthRegistration', birth());
    assert.equal((await client.sync({ timeoutMs: 10_000 })).processed, 1);
    const reads = gateway.calls.filter((c) => c.op === 'fetchRecordStatuses').map((c) => c.at);
    assert.equal(reads.length, 4);
    for (let i = 1; i < reads.length; i++) assert.ok(reads[i]! - reads[i - 1]! >= 395, `${reads[i]! - reads[i - 1]!} ms apart`);
  });

  test('drafts already accepted are followed while the rest are still being sent, at the pace minStatusIntervalMs allows', async () => {
    const { gateway, store } = setup();
    gateway.writeMs = 250;
    const events: ClientEvent[] = [];
    const client = new SteadfastClient({
      url: 'http://gateway.test',
      token: () => 'token-1',
      store,
      fetch: gateway.fetch,
      waitSeconds: 0,
      minStatusIntervalMs: 1_500,
      maxConcurrentRequests: 2,
      onEvent: (e) => events.push(e),
    });
    for (let i = 0; i < 16; i++) await client.submit('createBirthRegistration', birth(undefined, `S${i}`));
    const started = Date.now();
    assert.equal((await client.sync({ timeoutMs: 15_000 })).processed, 16);
    const lastWrite = Math.max(...gateway.answeredWrites);
    const reads = gateway.calls.filter((c) => c.op === 'fetchRecordStatuses').map((c) => c.at);
    assert.ok(lastWrite - started >= 1_900, `the sends took a while (${lastWrite - started} ms)`);
    assert.ok(reads[0]! < lastWrite, 'the first status query went out before the last write was answered');
    // Paced from when the client asks; one may then wait up to a write's time for a free slot.
    for (let i = 1; i < reads.length; i++) assert.ok(reads[i]! - reads[i - 1]! >= 1_500 - 260, `status queries ${reads[i]! - reads[i - 1]!} ms apart`);
  });

  test('a status query the backoff kept back does not use the interval: the office asks once the backoff opens', async () => {
    const { gateway, store } = setup();
    gateway.writeMs = 300;
    let writes = 0;
    // The third write is lost on the line just as the first accepted drafts are to be followed.
    const lossy: typeof fetch = async (input, init) => {
      const status = (init?.body as string).includes('fetchRecordStatus');
      if (!status && ++writes === 3) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        throw new TypeError('fetch failed');
      }
      return gateway.fetch(input, init);
    };
    const client = new SteadfastClient({
      url: 'http://gateway.test',
      token: () => 'token-1',
      store,
      fetch: lossy,
      retry: { baseMs: 200, capMs: 400 },
      waitSeconds: 0,
      minStatusIntervalMs: 6_000,
      maxConcurrentRequests: 2,
    });
    for (let i = 0; i < 8; i++) await client.submit('createBirthRegistration', birth(undefined, `B${i}`));
    const started = Date.now();
    assert.equal((await client.sync({ timeoutMs: 20_000 })).processed, 8);
    const reads = gateway.calls.filter((c) => c.op === 'fetchRecordStatuses').map((c) => c.at - started);
    // Before: the query kept back at ~600 ms counted as asked, and the first went out 6 s later.
    assert.ok(reads[0]! < 3_000, `the first status query went out ${reads[0]} ms in`);
    for (let i = 1; i < reads.length; i++) assert.ok(reads[i]! - reads[i - 1]! >= 6_000 - 310, `status queries ${reads[i]! - reads[i - 1]!} ms apart`);
  });

  test('a round with nothing to send asks once: an unchanged draft is read about once a second, not twice', async () => {
    const { gateway, client } = setup();
    gateway.readsToProcess = 1_000;
    await client.submit('createBirthRegistration', birth());
    assert.equal((await client.sync({ timeoutMs: 4_000 })).processed, 0, 'still processing');
    const reads = gateway.count('fetchRecordStatuses');
    assert.ok(reads >= 3 && reads <= 6, `${reads} status queries in 4 s`);
  });

  test('a refused payload ends rejected with the server message, kept', async () => {
    const { gateway, client } = setup();
    const draftId = await client.submit('createBirthRegistration', birth());
    gateway.overrides.push({ status: 200, body: error('BAD_USER_INPUT', 'Invalid input. details.eventDate: is in the future') });
    assert.equal((await client.sync({ timeoutMs: 5_000 })).rejected, 1);
    const stored = await client.draft(draftId);
    assert.equal(stored?.code, 'BAD_USER_INPUT');
    assert.ok(stored?.payload);
    await assert.rejects(client.discard((await client.submit('createBirthRegistration', birth()))), { name: 'DraftNotDecidedError' });
    await client.discard(draftId);
    assert.equal(await client.draft(draftId), undefined);
  });
});
