/**
 * The duplicate check as the workflow reports it on `/metrics`: the duplicate step's duration
 * histogram (`steadfast_step_duration_seconds{step="duplicates"}`) and candidates per record
 * (`steadfast_duplicate_candidates`), read before and after a run; quantiles from the
 * difference's buckets (the upper bound of the bucket the quantile falls in).
 */
export interface Histogram {
  /** Cumulative counts by upper bound (`+Inf` last). */
  buckets: Array<{ le: number; count: number }>;
  sum: number;
  count: number;
}

export interface DuplicateMetrics {
  step: Histogram;
  candidates: Histogram;
  overflow: number;
}

const EMPTY: Histogram = { buckets: [], sum: 0, count: 0 };

/** One histogram from Prometheus text, by name and an optional label filter (`step="duplicates"`). */
export function parseHistogram(text: string, name: string, label = ''): Histogram {
  const buckets: Histogram['buckets'] = [];
  let sum = 0;
  let count = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (label && !line.includes(label))) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith(`${name}_bucket`)) {
      const le = /le="([^"]+)"/.exec(line)?.[1];
      if (le) buckets.push({ le: le === '+Inf' ? Infinity : Number(le), count: value });
    } else if (line.startsWith(`${name}_sum`)) sum = value;
    else if (line.startsWith(`${name}_count`)) count = value;
  }
  return { buckets: buckets.sort((a, b) => a.le - b.le), sum, count };
}

export function parseCounter(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

export function histogramDelta(after: Histogram, before: Histogram): Histogram {
  return {
    buckets: after.buckets.map((b) => ({ le: b.le, count: b.count - (before.buckets.find((x) => x.le === b.le)?.count ?? 0) })),
    sum: after.sum - before.sum,
    count: after.count - before.count,
  };
}

/** The upper bound of the bucket holding quantile `q`; NaN when empty. */
export function bucketQuantile(h: Histogram, q: number): number {
  if (h.count === 0) return NaN;
  const rank = q * h.count;
  return h.buckets.find((b) => b.count >= rank)?.le ?? NaN;
}

export async function readDuplicateMetrics(metricsUrl: string): Promise<DuplicateMetrics> {
  const text = await (await fetch(metricsUrl)).text();
  return {
    step: parseHistogram(text, 'steadfast_step_duration_seconds', 'step="duplicates"'),
    candidates: parseHistogram(text, 'steadfast_duplicate_candidates'),
    overflow: parseCounter(text, 'steadfast_duplicate_overflow_total'),
  };
}

export interface DuplicateSummary {
  records: number;
  stepP50Ms: number;
  stepP99Ms: number;
  stepMeanMs: number;
  candidatesMean: number;
  candidatesP50: number;
  candidatesP99: number;
  /** Records with at least one candidate. */
  withCandidates: number;
  overflow: number;
}

export function summarizeDuplicates(after: DuplicateMetrics, before: DuplicateMetrics = { step: EMPTY, candidates: EMPTY, overflow: 0 }): DuplicateSummary {
  const step = histogramDelta(after.step, before.step);
  const candidates = histogramDelta(after.candidates, before.candidates);
  const none = candidates.buckets.find((b) => b.le === 0)?.count ?? 0;
  return {
    records: step.count,
    stepP50Ms: bucketQuantile(step, 0.5) * 1000,
    stepP99Ms: bucketQuantile(step, 0.99) * 1000,
    stepMeanMs: step.count ? (step.sum / step.count) * 1000 : NaN,
    candidatesMean: candidates.count ? candidates.sum / candidates.count : NaN,
    candidatesP50: bucketQuantile(candidates, 0.5),
    candidatesP99: bucketQuantile(candidates, 0.99),
    withCandidates: candidates.count - none,
    overflow: after.overflow - before.overflow,
  };
}

export const formatDuplicates = (s: DuplicateSummary): string =>
  `duplicate step p50 <= ${s.stepP50Ms} ms, p99 <= ${s.stepP99Ms} ms (mean ${s.stepMeanMs.toFixed(1)} ms) over ${s.records} records; ` +
  `candidates per record mean ${s.candidatesMean.toFixed(2)}, p50 <= ${s.candidatesP50}, p99 <= ${s.candidatesP99}; ` +
  `${s.withCandidates} records with candidates, ${s.overflow} beyond the cap`;
