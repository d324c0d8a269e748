/** The workflow's own metrics, beside the queue depths and process metrics of commons. */
import { batchSizeHistogram, Counter, Histogram, type Registry } from '@steadfast/commons';

export interface WorkflowMetrics {
  stepSeconds: Histogram<'step'>;
  stepFailures: Counter<'step'>;
  jobs: Counter<'outcome'>;
  duplicateCandidates: Histogram;
  duplicateOverflow: Counter;
  duplicateCapped: Counter;
  batchSize: Histogram<'store' | 'op'>;
}

export function workflowMetrics(registry: Registry): WorkflowMetrics {
  return {
    stepSeconds: new Histogram({
      name: 'steadfast_step_duration_seconds',
      help: 'Time a workflow step took, when it succeeded.',
      labelNames: ['step'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    stepFailures: new Counter({
      name: 'steadfast_step_failures_total',
      help: 'Attempts that failed at a step (each is retried until the attempts run out).',
      labelNames: ['step'],
      registers: [registry],
    }),
    jobs: new Counter({
      name: 'steadfast_jobs_total',
      help: 'Record jobs finished, by outcome: processed, rejected, exhausted.',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    duplicateCandidates: new Histogram({
      name: 'steadfast_duplicate_candidates',
      help: 'Candidates one record\'s duplicate check paired with (at most DUPLICATE_CANDIDATE_CAP).',
      buckets: [0, 1, 2, 5, 10, 20, 50, 100, 200],
      registers: [registry],
    }),
    duplicateOverflow: new Counter({
      name: 'steadfast_duplicate_overflow_total',
      help: 'Similar records duplicate checks matched beyond the per-record cap and did not pair with.',
      registers: [registry],
    }),
    duplicateCapped: new Counter({
      name: 'steadfast_duplicate_checks_capped_total',
      help: 'Duplicate checks that matched more records than the per-record cap.',
      registers: [registry],
    }),
    batchSize: batchSizeHistogram(
      registry,
      'Items sent in one store request by the group commit (see WORKFLOW_BATCH_MAX, WORKFLOW_BATCH_WAIT_MS); op duplicate-union: records one duplicate search answered together, duplicate-again: records searched again on their own after their union matched more than it returned.',
    ),
  };
}
