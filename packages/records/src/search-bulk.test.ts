import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bulkOutcomes, isErrorType, SearchAliasMissing, SearchItemError } from './search-index.js';

const written = { index: { _index: 'records-v1', _id: 'a', status: 201 } };
const item = (status: number, type: string) => ({ index: { _index: 'records-v1', _id: 'x', status, error: { type, reason: 'quoted field: Amina' } } });

test('bulkOutcomes: each document answers as a single write would', () => {
  const response = {
    items: [written, item(409, 'version_conflict_engine_exception'), item(404, 'index_not_found_exception'), item(400, 'mapper_parsing_exception')],
  };
  const [ok, stale, missing, refused] = bulkOutcomes('records', 5, response);
  assert.deepEqual(ok, { ok: true, value: true });
  // A version already there (or newer): nothing to do, not a failure.
  assert.deepEqual(stale, { ok: true, value: false });
  assert.ok(!missing!.ok && missing!.error instanceof SearchAliasMissing);
  assert.ok(!refused!.ok && refused!.error instanceof SearchItemError);
  const error = (refused as { error: SearchItemError }).error;
  // Classified like the client's own error for one request; its message never quotes fields.
  assert.equal(error.name, 'ResponseError');
  assert.equal(error.meta.statusCode, 400);
  assert.ok(isErrorType(error, 'mapper_parsing_exception'));
  assert.equal(error.message, 'mapper_parsing_exception');
});

test('bulkOutcomes: an item the answer does not cover fails', () => {
  const [, missing] = bulkOutcomes('records', 2, { items: [written] });
  assert.equal(missing!.ok, false);
});
