import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketQuantile, parseHistogram, summarizeDuplicates } from './duplicate-metrics.js';

const text = (n: number) => `
# TYPE steadfast_step_duration_seconds histogram
steadfast_step_duration_seconds_bucket{le="0.01",step="search",service="workflow"} 99
steadfast_step_duration_seconds_bucket{le="0.01",step="duplicates",service="workflow"} ${n * 6}
steadfast_step_duration_seconds_bucket{le="0.025",step="duplicates",service="workflow"} ${n * 9}
steadfast_step_duration_seconds_bucket{le="+Inf",step="duplicates",service="workflow"} ${n * 10}
steadfast_step_duration_seconds_sum{step="duplicates",service="workflow"} ${n * 0.12}
steadfast_step_duration_seconds_count{step="duplicates",service="workflow"} ${n * 10}
steadfast_duplicate_candidates_bucket{le="0",service="workflow"} ${n * 7}
steadfast_duplicate_candidates_bucket{le="5",service="workflow"} ${n * 10}
steadfast_duplicate_candidates_bucket{le="+Inf",service="workflow"} ${n * 10}
steadfast_duplicate_candidates_sum{service="workflow"} ${n * 9}
steadfast_duplicate_candidates_count{service="workflow"} ${n * 10}
steadfast_duplicate_overflow_total{service="workflow"} ${n}
`;

test('the duplicate step histogram is read by its label, and quantiles come from its buckets', () => {
  const h = parseHistogram(text(1), 'steadfast_step_duration_seconds', 'step="duplicates"');
  assert.deepEqual(h.buckets.map((b) => b.count), [6, 9, 10]);
  assert.equal(bucketQuantile(h, 0.5), 0.01);
  assert.equal(bucketQuantile(h, 0.9), 0.025);
  assert.equal(bucketQuantile(h, 0.99), Infinity);
});

test('a run is summarized from the difference of two readings', () => {
  const read = (n: number) => ({
    step: parseHistogram(text(n), 'steadfast_step_duration_seconds', 'step="duplicates"'),
    candidates: parseHistogram(text(n), 'steadfast_duplicate_candidates'),
    overflow: n,
  });
  const s = summarizeDuplicates(read(3), read(1));
  assert.equal(s.records, 20);
  assert.equal(s.stepP50Ms, 10);
  assert.equal(s.withCandidates, 6);
  assert.equal(s.candidatesMean, 0.9);
  assert.equal(s.overflow, 2);
});
