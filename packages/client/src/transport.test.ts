import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { statusesAnswerOf, submitAnswerOf, type Reply } from './transport.js';

const http = (status: number, body: unknown, retryAfterMs?: number): Reply => ({ kind: 'http', status, body, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
const error = (code: string, message = `${code} happened`) => ({ errors: [{ message, extensions: { code } }], data: null });

describe('submitAnswerOf', () => {
  const m = 'createBirthRegistration' as const;
  test('queued when the mutation answered', () => {
    assert.deepEqual(submitAnswerOf(http(200, { data: { createBirthRegistration: { draftId: 'd' } } }), m), { kind: 'queued' });
    assert.deepEqual(submitAnswerOf(http(200, { data: { requestRegistrationCorrection: 'd' } }), 'requestRegistrationCorrection'), { kind: 'queued' });
  });
  test('IDEMPOTENCY_KEY_REUSED is a conflict', () => {
    assert.equal(submitAnswerOf(http(200, error('IDEMPOTENCY_KEY_REUSED')), m).kind, 'conflict');
  });
  test('input the server will never accept is refused', () => {
    for (const code of ['BAD_USER_INPUT', 'FORBIDDEN', 'GRAPHQL_VALIDATION_FAILED']) {
      assert.deepEqual(submitAnswerOf(http(code === 'FORBIDDEN' ? 403 : 400, error(code)), m), { kind: 'refused', code, message: `${code} happened` });
    }
    assert.equal(submitAnswerOf(http(413, undefined), m).kind, 'refused');
  });
  test('an expired token: transient and unauthenticated, by status or code', () => {
    assert.deepEqual(submitAnswerOf(http(401, error('UNAUTHENTICATED', 'Not authenticated: "exp" claim')), m), {
      kind: 'transient',
      unauthenticated: true,
      message: 'Not authenticated: "exp" claim',
    });
    assert.equal(submitAnswerOf(http(401, undefined), m).kind, 'transient');
  });
  test('429, 503 and other 5xx are transient, with their Retry-After', () => {
    assert.deepEqual(submitAnswerOf(http(429, 'Too Many Requests', 4_000), m), { kind: 'transient', message: 'HTTP 429', retryAfterMs: 4_000 });
    const unavailable = submitAnswerOf(http(503, error('SERVICE_UNAVAILABLE', 'Temporarily unavailable'), 2_000), m);
    assert.deepEqual(unavailable, { kind: 'transient', message: 'Temporarily unavailable', retryAfterMs: 2_000 });
    assert.equal(submitAnswerOf(http(502, '<html>bad gateway</html>'), m).kind, 'transient');
    const limited = { errors: [{ message: 'Too many submissions', extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 12 } }] };
    assert.deepEqual(submitAnswerOf(http(429, limited), m), { kind: 'transient', message: 'Too many submissions', retryAfterMs: 12_000 }, 'Retry-After from the error when the header is gone');
    assert.equal((submitAnswerOf(http(429, limited, 3_000), m) as { retryAfterMs: number }).retryAfterMs, 3_000, 'the header first');
    assert.equal(submitAnswerOf(http(200, error('INTERNAL_SERVER_ERROR')), m).kind, 'transient');
  });
  test('no answer, or one that is not GraphQL, is transient', () => {
    assert.equal(submitAnswerOf({ kind: 'network', message: 'fetch failed' }, m).kind, 'transient');
    assert.equal(submitAnswerOf(http(200, '<html>captive portal</html>'), m).kind, 'transient');
    assert.equal(submitAnswerOf(http(200, { data: {} }), m).kind, 'transient');
  });
});

describe('statusesAnswerOf', () => {
  const processing = (draftId: string) => ({ __typename: 'RecordProcessing', draftId, attempts: 0, step: 'metadata', lastError: null });
  test('a list in the order asked', () => {
    const answer = statusesAnswerOf(http(200, { data: { fetchRecordStatuses: [processing('a'), { __typename: 'RecordUnknown', draftId: 'b' }] } }), 'fetchRecordStatuses', ['a', 'b']);
    assert.equal(answer.kind, 'statuses');
    assert.deepEqual(answer.kind === 'statuses' && answer.statuses.map((s) => s.__typename), ['RecordProcessing', 'RecordUnknown']);
  });
  test('a single fetchRecordStatus answer', () => {
    const answer = statusesAnswerOf(http(200, { data: { fetchRecordStatus: processing('a') } }), 'fetchRecordStatus', ['a']);
    assert.equal(answer.kind, 'statuses');
  });
  test('an older gateway without the field: unsupported (the exact answer of Apollo)', () => {
    const body = {
      errors: [{ message: 'Cannot query field "fetchRecordStatuses" on type "Query". Did you mean "fetchRecordStatus"?', locations: [{ line: 2, column: 3 }], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }],
    };
    assert.deepEqual(statusesAnswerOf(http(400, body), 'fetchRecordStatuses', ['a']), { kind: 'unsupported' });
  });
  test('answers for other drafts, or another count, are not believed', () => {
    assert.equal(statusesAnswerOf(http(200, { data: { fetchRecordStatuses: [processing('x')] } }), 'fetchRecordStatuses', ['a']).kind, 'transient');
    assert.equal(statusesAnswerOf(http(200, { data: { fetchRecordStatuses: [] } }), 'fetchRecordStatuses', ['a']).kind, 'transient');
    assert.equal(statusesAnswerOf(http(200, { data: { fetchRecordStatuses: [{ __typename: 'RecordProcessed', draftId: 'a' }] } }), 'fetchRecordStatuses', ['a']).kind, 'transient', 'missing fields');
  });
  test('an expired token on a status query', () => {
    const answer = statusesAnswerOf(http(401, error('UNAUTHENTICATED')), 'fetchRecordStatuses', ['a']);
    assert.equal(answer.kind === 'transient' && answer.unauthenticated, true);
  });
});
