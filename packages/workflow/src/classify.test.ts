import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InternalTokenRefused } from '@steadfast/commons';
import { isRetryable } from './classify.js';

const es = (statusCode: number) => Object.assign(new Error('es'), { name: 'ResponseError', meta: { statusCode } });

test('unreachable, slow or failing stores are retried', () => {
  assert.equal(isRetryable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), true);
  assert.equal(isRetryable(Object.assign(new Error('t'), { name: 'TimeoutError' })), true);
  assert.equal(isRetryable(es(503)), true);
  assert.equal(isRetryable(es(429)), true);
  assert.equal(isRetryable(Object.assign(new Error('m'), { name: 'MongoServerError', code: 91 })), true); // ShutdownInProgress
});

test('a request the store refuses as such is not retried', () => {
  assert.equal(isRetryable(es(400)), false);
  assert.equal(isRetryable(Object.assign(new Error('m'), { name: 'MongoServerError', code: 121 })), false);
  assert.equal(isRetryable(Object.assign(new Error('s3'), { name: 'S3Error', code: 'AccessDenied' })), false);
});

test("auth's refusal of an internal token: about the request, not retried; auth failing or our credential refused, retried", () => {
  assert.equal(isRetryable(new InternalTokenRefused(403, 'the user is disabled')), false);
  assert.equal(isRetryable(new InternalTokenRefused(404, 'there is no user u')), false);
  assert.equal(isRetryable(new InternalTokenRefused(400, 'acceptedAt: must not be in the future')), false);
  assert.equal(isRetryable(new InternalTokenRefused(503, 'the user directory is unavailable')), true);
  assert.equal(isRetryable(new InternalTokenRefused(401, undefined)), true, 'a wrong AUTH_INTERNAL_SECRET is fixed by an operator; the jobs then go on');
});
