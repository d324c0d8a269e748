import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRetryable } from './classify.js';
import { SearchAliasMissing } from '@steadfast/records';

test('a write through a missing alias is retried, not failed for good', () => {
  const elasticsearch404 = Object.assign(new Error('index_not_found_exception'), { name: 'ResponseError', meta: { statusCode: 404 } });
  assert.equal(isRetryable(elasticsearch404), false);
  assert.equal(isRetryable(new SearchAliasMissing('records', { cause: elasticsearch404 })), true);
});
