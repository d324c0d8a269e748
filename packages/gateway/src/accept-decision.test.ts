import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideAccept, type AcceptFacts, type DecidedFacts, type JobFacts } from './accept-decision.js';

const print = 'fp-1';
const submitter = { userId: 'u-1', scopes: ['declare'] };
const stranger = { userId: 'u-2', scopes: ['declare'] };
const registrar = { userId: 'u-3', scopes: ['register'] };

const job = (overrides: Partial<JobFacts> = {}): JobFacts => ({
  fingerprint: print,
  userId: 'u-1',
  state: 'in-flight',
  finished: false,
  ...overrides,
});
const processed: DecidedFacts = { status: 'processed', fingerprint: print, recordId: 'r-1', userId: 'u-1' };
const rejected: DecidedFacts = { status: 'rejected', fingerprint: print, userId: 'u-1' };
const facts = (overrides: Partial<AcceptFacts>): AcceptFacts => ({ fingerprint: print, create: true, user: submitter, claim: 'new', ...overrides });

test('a claim held by another payload is refused at once, changing nothing', () => {
  assert.deepEqual(decideAccept(facts({ claim: 'reused' })), { effects: [], next: { kind: 'refuse' } });
});

test('a new claim asks MongoDB whether the draft was decided, then queues one that was not', () => {
  assert.deepEqual(decideAccept(facts({})), { effects: [], next: { kind: 'look-up-decided', stageMeanwhile: false } });
  assert.deepEqual(decideAccept(facts({ decided: null })), { effects: [], next: { kind: 'queue', uploads: 'place' } });
});

test("a create's uploads are placed at the record's keys on the way to the queue, MongoDB answering or not; a correction's are staged meanwhile", () => {
  const correction = { create: false };
  assert.deepEqual(decideAccept(facts(correction)), { effects: [], next: { kind: 'look-up-decided', stageMeanwhile: true } });
  assert.deepEqual(decideAccept(facts({ ...correction, decided: null })), { effects: [], next: { kind: 'queue', uploads: 'stage' } });
  assert.deepEqual(decideAccept(facts({ ...correction, decided: 'unknown', job: null })), { effects: [], next: { kind: 'queue', uploads: 'stage' } });
  // Concurrent repeats of one create may find MongoDB down and up: they place alike, so whichever
  // job is queued first lists the objects all of them wrote.
  assert.deepEqual(decideAccept(facts({ decided: 'unknown', job: null })), { effects: [], next: { kind: 'queue', uploads: 'place' } });
  assert.deepEqual(decideAccept(facts({ claim: 'same', job: null, decided: null })), { effects: [], next: { kind: 'queue', uploads: 'place' } });
  // Decided, refused or repeated: nothing was placed, so nothing under a record's prefix is removed.
  for (const decided of [processed, rejected, { ...processed, fingerprint: 'fp-other' }]) {
    const { next } = decideAccept(facts({ decided, record: { trackingId: 't-1' } }));
    assert.notEqual(next.kind, 'queue');
  }
});

test('a same claim looks for the job; one in flight is a repeat with nothing to change', () => {
  assert.deepEqual(decideAccept(facts({ claim: 'same' })), { effects: [], next: { kind: 'look-up-job' } });
  assert.deepEqual(decideAccept(facts({ claim: 'same', job: job() })), { effects: [], next: { kind: 'repeat' } });
});

test('a same claim without a job goes on as not in flight', () => {
  assert.deepEqual(decideAccept(facts({ claim: 'same', job: null })), { effects: [], next: { kind: 'look-up-decided', stageMeanwhile: false } });
  assert.deepEqual(decideAccept(facts({ claim: 'same', job: null, decided: null })), { effects: [], next: { kind: 'queue', uploads: 'place' } });
  // MongoDB down: the job was looked up moments ago, and there was none.
  assert.deepEqual(decideAccept(facts({ claim: 'same', job: null, decided: 'unknown' })), { effects: [], next: { kind: 'queue', uploads: 'place' } });
});

test("a repeat of a job is refused to a user who may not see the draft, answered to a privileged one", () => {
  assert.deepEqual(decideAccept(facts({ claim: 'same', user: stranger, job: job() })), { effects: [], next: { kind: 'refuse' } });
  assert.deepEqual(decideAccept(facts({ claim: 'same', user: registrar, job: job() })), { effects: [], next: { kind: 'repeat' } });
});

test('a repeat of an exhausted job retries it', () => {
  assert.deepEqual(decideAccept(facts({ claim: 'same', job: job({ state: 'failed', finished: true }) })), {
    effects: ['retry'],
    next: { kind: 'repeat' },
  });
});

test("a repeat of a completed job releases the claim and answers with the job's record", () => {
  const completed = job({ state: 'completed', finished: true, result: { outcome: 'processed', recordId: 'r-1' } });
  assert.deepEqual(decideAccept(facts({ claim: 'same', job: completed })), { effects: ['release'], next: { kind: 'repeat', recordId: 'r-1' } });
  const rejectedJob = job({ state: 'completed', finished: true, result: { outcome: 'rejected', reason: 'invalid' } });
  assert.deepEqual(decideAccept(facts({ claim: 'same', job: rejectedJob })), { effects: ['release'], next: { kind: 'repeat' } });
});

test('MongoDB down: the job answers; none means queue', () => {
  assert.deepEqual(decideAccept(facts({ decided: 'unknown' })), { effects: [], next: { kind: 'look-up-job' } });
  assert.deepEqual(decideAccept(facts({ decided: 'unknown', job: null })), { effects: [], next: { kind: 'queue', uploads: 'place' } });
});

test('MongoDB down, job in flight with the same payload: a repeat that keeps the staged uploads its job may need', () => {
  assert.deepEqual(decideAccept(facts({ decided: 'unknown', job: job() })), { effects: [], next: { kind: 'repeat' } });
});

test('MongoDB down, job finished: the staged copies go, then the repeat as for any job', () => {
  const completed = job({ state: 'completed', finished: true, result: { outcome: 'processed', recordId: 'r-1' } });
  assert.deepEqual(decideAccept(facts({ decided: 'unknown', job: completed })), {
    effects: ['unstage', 'release'],
    next: { kind: 'repeat', recordId: 'r-1' },
  });
  assert.deepEqual(decideAccept(facts({ decided: 'unknown', job: job({ state: 'failed', finished: true }) })), {
    effects: ['unstage', 'retry'],
    next: { kind: 'repeat' },
  });
  assert.deepEqual(decideAccept(facts({ decided: 'unknown', user: stranger, job: completed })), { effects: ['unstage'], next: { kind: 'refuse' } });
});

test('MongoDB down, a job of another payload: unstage, release the claim just taken, refuse', () => {
  assert.deepEqual(decideAccept(facts({ decided: 'unknown', job: job({ fingerprint: 'fp-other' }) })), {
    effects: ['unstage', 'release'],
    next: { kind: 'refuse' },
  });
});

test('decided with another payload: unstage, release, refuse', () => {
  assert.deepEqual(decideAccept(facts({ decided: { ...processed, fingerprint: 'fp-other' } })), {
    effects: ['unstage', 'release'],
    next: { kind: 'refuse' },
  });
});

test('decided rejected: a repeat for whoever may see it; refused to a stranger; seen by anyone when its submitter is unknown', () => {
  assert.deepEqual(decideAccept(facts({ decided: rejected })), { effects: ['unstage', 'release'], next: { kind: 'repeat' } });
  assert.deepEqual(decideAccept(facts({ decided: rejected, user: stranger })), { effects: ['unstage', 'release'], next: { kind: 'refuse' } });
  const anonymous: DecidedFacts = { status: 'rejected', fingerprint: print };
  assert.deepEqual(decideAccept(facts({ decided: anonymous, user: stranger })), { effects: ['unstage', 'release'], next: { kind: 'repeat' } });
});

test("decided processed: the record's ids are read, then answered to whoever may see the draft", () => {
  assert.deepEqual(decideAccept(facts({ decided: processed })), { effects: ['unstage', 'release'], next: { kind: 'look-up-record', recordId: 'r-1' } });
  const record = { trackingId: 'T-1', submitter: 'u-1' };
  assert.deepEqual(decideAccept(facts({ decided: processed, record })), {
    effects: ['unstage', 'release'],
    next: { kind: 'repeat', recordId: 'r-1', trackingId: 'T-1' },
  });
  assert.deepEqual(decideAccept(facts({ decided: processed, record, user: stranger })), { effects: ['unstage', 'release'], next: { kind: 'refuse' } });
  assert.deepEqual(decideAccept(facts({ decided: processed, record, user: registrar })).next, { kind: 'repeat', recordId: 'r-1', trackingId: 'T-1' });
  // A record that does not say who submitted (or is gone): the ids the draft knows.
  assert.deepEqual(decideAccept(facts({ decided: processed, record: { trackingId: 'T-1' }, user: stranger })).next, {
    kind: 'repeat',
    recordId: 'r-1',
    trackingId: 'T-1',
  });
  assert.deepEqual(decideAccept(facts({ decided: processed, record: null })).next, { kind: 'repeat', recordId: 'r-1' });
});
