import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchSizesDelta, formatBatchSizes, mongoDocumentsWrittenPerRecord, parseBatchTotals, parseLabels } from './batch-sizes.js';

const before = `
# HELP steadfast_batch_size Items per batch sent to a store.
# TYPE steadfast_batch_size histogram
steadfast_batch_size_bucket{le="1",store="mongo",op="bulkWrite"} 2
steadfast_batch_size_bucket{le="+Inf",store="mongo",op="bulkWrite"} 4
steadfast_batch_size_sum{store="mongo",op="bulkWrite"} 10
steadfast_batch_size_count{store="mongo",op="bulkWrite"} 4
steadfast_batch_size_sum{op="_bulk",store="elasticsearch"} 0
steadfast_batch_size_count{op="_bulk",store="elasticsearch"} 0
steadfast_step_duration_seconds_sum{step="audit"} 3
`;
const after = `
steadfast_batch_size_sum{store="mongo",op="bulkWrite"} 70
steadfast_batch_size_count{store="mongo",op="bulkWrite"} 24
steadfast_batch_size_sum{op="_bulk",store="elasticsearch"} 9
steadfast_batch_size_count{op="_bulk",store="elasticsearch"} 3
steadfast_batch_size_sum{store="mongo",op="insertMany"} 5
steadfast_batch_size_count{store="mongo",op="insertMany"} 5
`;

test('labels in any order, escapes undone', () => {
  assert.deepEqual(parseLabels('op="_bulk",store="elastic\\"search"'), { op: '_bulk', store: 'elastic"search' });
});

test('count and mean per (store, op) between two readings; pairs without a batch are left out', () => {
  const sizes = batchSizesDelta('workflow', parseBatchTotals(after), parseBatchTotals(before));
  assert.deepEqual(sizes, [
    { service: 'workflow', store: 'elasticsearch', op: '_bulk', batches: 3, items: 9, mean: 3 },
    { service: 'workflow', store: 'mongo', op: 'bulkWrite', batches: 20, items: 60, mean: 3 },
    { service: 'workflow', store: 'mongo', op: 'insertMany', batches: 5, items: 5, mean: 1 },
  ]);
  assert.match(formatBatchSizes(sizes)[1] ?? '', /^workflow mongo bulkWrite\s+20 batches, mean 3\.00 items$/);
});

test('no histogram (not yet reported, or the service unreadable): none seen', () => {
  assert.equal(parseBatchTotals('steadfast_step_duration_seconds_count{step="audit"} 3\n').size, 0);
  const sizes = batchSizesDelta('events', parseBatchTotals(''), parseBatchTotals(''));
  assert.deepEqual(sizes, []);
  assert.match(formatBatchSizes(sizes)[0] ?? '', /^none seen/);
});

test('a histogram that did not move between the readings: none seen for it', () => {
  assert.deepEqual(batchSizesDelta('workflow', parseBatchTotals(before), parseBatchTotals(before)), []);
});

test('documents written to MongoDB per record: the writing ops of every service, reads left out', () => {
  const sizes = [
    { service: 'workflow', store: 'mongodb', op: 'insert-records', batches: 10, items: 10, mean: 1 },
    { service: 'workflow', store: 'mongodb', op: 'find-drafts', batches: 2, items: 10, mean: 5 },
    { service: 'events', store: 'mongodb', op: 'clear-outboxes', batches: 2, items: 10, mean: 5 },
    { service: 'workflow', store: 'mongodb', op: 'write-notifications', batches: 5, items: 10, mean: 2 },
    { service: 'workflow', store: 'elasticsearch', op: 'bulk', batches: 10, items: 10, mean: 1 },
  ];
  const written = mongoDocumentsWrittenPerRecord(sizes, 10);
  assert.equal(written.total, 3);
  assert.deepEqual(Object.keys(written.byOp).sort(), ['events clear-outboxes', 'workflow insert-records', 'workflow write-notifications']);
  assert.match(formatBatchSizes(sizes, 10)[0] ?? '', /mean 1\.00 items, 1\.00 per record$/);
});
