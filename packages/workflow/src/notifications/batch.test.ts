import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Notification } from './adapters.js';
import { batchJobId, batchJobName, claimDecision, failureOf, notificationsOfJob, summarize, type OwnerState } from './batch.js';

const n = (id: string, kind: Notification['kind'] = 'declared'): Notification => ({ id, recordId: `r-${id}`, kind, channel: 'sms', to: '+254700000001', text: 'received' });
const ours = { jobId: 'batch-1', claimId: 'c-1' };

test('a batch job id depends on the notifications, not their order or repeats', () => {
  assert.equal(batchJobId([n('a'), n('b')]), batchJobId([n('b'), n('a'), n('a')]));
  assert.notEqual(batchJobId([n('a'), n('b')]), batchJobId([n('a')]));
  assert.match(batchJobId([n('a')]), /^batch-[0-9a-f]{40}$/);
  assert.notEqual(batchJobId([n('a')]), 'a', 'never the id of a single job from before batches');
});

test('a job name says how many and which kinds', () => {
  assert.equal(batchJobName([n('a'), n('b', 'registered'), n('c')]), '3 declared+registered');
  assert.equal(batchJobName([n('a')]), '1 declared');
});

test('a job holds a batch, or one notification (queued before batches)', () => {
  assert.deepEqual(notificationsOfJob({ notifications: [n('a'), n('b'), n('a')] }).map((x) => x.id), ['a', 'b'], 'a repeat is sent once');
  assert.deepEqual(notificationsOfJob(n('legacy')).map((x) => x.id), ['legacy']);
  assert.throws(() => notificationsOfJob({ notifications: [] }));
  assert.throws(() => notificationsOfJob({ recordId: 'r' }));
  assert.throws(() => notificationsOfJob(null));
});

test('a claim sent already, or one known to have failed', () => {
  assert.equal(claimDecision({ status: 'sent', jobId: 'other' }, 'a', ours), 'skip');
  assert.equal(claimDecision({ status: 'sent', jobId: 'batch-1' }, 'a', ours), 'skip', 'sent by our earlier attempt: not again');
  assert.equal(claimDecision({ status: 'failed', jobId: 'other' }, 'a', ours), 'retake');
  assert.equal(claimDecision({ status: 'failed' }, 'a', ours), 'retake', 'a claim from before batches too');
  assert.equal(claimDecision(undefined, 'a', ours), 'skip');
});

test('a claim still sending from our own job: cut short, unless this very delivery made it', () => {
  assert.equal(claimDecision({ status: 'sending', jobId: 'batch-1', claimId: 'c-0' }, 'a', ours), 'unknown', 'an earlier attempt of ours stopped mid-send');
  assert.equal(claimDecision({ status: 'sending', jobId: 'batch-1', claimId: 'c-1' }, 'a', ours), 'send', 'our own insert, reported as a duplicate when redone');
  assert.equal(claimDecision({ status: 'sending' }, 'legacy', { jobId: 'legacy', claimId: 'c' }), 'unknown', 'a single job from before batches finds its own claim');
});

test('a claim still sending in another job: ask that job; alert only when it will not run again', () => {
  const other = { status: 'sending' as const, jobId: 'batch-2', claimId: 'c-2' };
  assert.equal(claimDecision(other, 'a', ours), 'ask-owner');
  for (const state of ['active', 'waiting', 'delayed', 'prioritized', 'waiting-children'] as OwnerState[]) {
    assert.equal(claimDecision(other, 'a', ours, { jobId: 'batch-2', state }), 'skip', `${state}: that job answers for it`);
  }
  for (const state of ['completed', 'failed', 'unknown'] as OwnerState[]) {
    assert.equal(claimDecision(other, 'a', ours, { jobId: 'batch-2', state }), 'unknown', `${state}: nobody will`);
  }
  assert.equal(claimDecision(other, 'a', ours, { jobId: 'batch-3', state: 'completed' }), 'ask-owner', 'a state of another job than the holder says nothing');
  assert.equal(claimDecision({ status: 'sending' }, 'a', ours, { jobId: 'a', state: 'failed' }), 'unknown', 'a single job from before batches, exhausted');
  assert.equal(claimDecision({ status: 'sent', jobId: 'batch-2' }, 'a', ours, { jobId: 'batch-2', state: 'completed' }), 'skip', 'read again after the owner finished: sent');
});

test('outcomes summarized; a job fails only when a send failed', () => {
  const outcomes = ['sent', 'skipped', 'unknown', { failed: 'provider down\nstack' }, 'sent'] as const;
  assert.deepEqual(summarize(outcomes), { sent: 2, skipped: 1, unknown: 1, failed: 1 });
  assert.match(failureOf(outcomes)?.message ?? '', /^1 of 5 notifications failed .*: provider down$/);
  assert.equal(failureOf(['sent', 'skipped', 'unknown']), undefined);
});
