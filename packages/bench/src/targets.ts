/**
 * Issue 20's targets, each a ratio of figures from the same run (the quick mode is enough to
 * show them). The Redis targets are relative to the queue's floor measured in the run (one no-op
 * BullMQ job per record at the same rate), the CPU and latency ones to the naive gateway driven
 * at the same rate.
 */

/** The last full run's offline burst: 10,000 drafts all processed in 506 s (2026-11-30). */
export const BURST_BASELINE = { drafts: 10_000, seconds: 506 };

export interface TargetInputs {
  systemMaxRate: number;
  naiveMaxRate: number;
  storesCeiling: number;
  mongoCommandsPerRecord: number;
  roundTripsPerRecord: number;
  executedCommandsPerRecord: number;
  /** The queue's floor in the same run: one no-op BullMQ job per record. */
  floorRoundTripsPerJob: number;
  floorExecutedCommandsPerJob: number;
  /** Every process of the system (services and stores; not the load generator), at half rate. */
  systemCpuMsPerRecord: number;
  /** The naive gateway's process and the stores' during its step at the same rate. */
  naiveCpuMsPerRecord: number;
  acceptP99AtHalfMs: number;
  /** The naive gateway's request p99, driven open-loop at the system's half rate. */
  naiveP99AtHalfMs: number;
  burst: { drafts: number; allProcessedS: number; /** Every draft processed, once in every store. */ ok: boolean };
}

export interface Target {
  name: string;
  value: number;
  limit: number;
  /** `>=`: the value must reach the limit; `<=`: it must stay under it. */
  op: '>=' | '<=';
  unit: string;
  pass: boolean;
  /** Why it misses whatever its value (e.g. a duplicate in the burst). */
  note?: string;
}

/**
 * The burst's speed against the last full run's, as drafts per second (so a burst of another
 * size compares too): 2.5 means 10,000 drafts in 202 s.
 */
export const burstSpeedup = (drafts: number, allProcessedS: number): number =>
  drafts / allProcessedS / (BURST_BASELINE.drafts / BURST_BASELINE.seconds);

export function evaluateTargets(t: TargetInputs): Target[] {
  const target = (name: string, value: number, op: Target['op'], limit: number, unit: string, also?: { ok: boolean; note: string }): Target => ({
    name,
    value,
    op,
    limit,
    unit,
    pass: Number.isFinite(value) && (op === '>=' ? value >= limit : value <= limit) && (also?.ok ?? true),
    ...(also && !also.ok ? { note: also.note } : {}),
  });
  return [
    target('throughput / naive gateway (both at p99 < 2 s)', t.systemMaxRate / t.naiveMaxRate, '>=', 0.5, '×'),
    target("throughput / stores' ceiling", t.systemMaxRate / t.storesCeiling, '>=', 0.45, '×'),
    target('MongoDB commands per record', t.mongoCommandsPerRecord, '<=', 6, ''),
    target("Redis round trips per record / the queue's floor", t.roundTripsPerRecord / t.floorRoundTripsPerJob, '<=', 2, '×'),
    target("Redis executed commands per record / the queue's floor", t.executedCommandsPerRecord / t.floorExecutedCommandsPerJob, '<=', 2, '×'),
    target("CPU ms per record, all processes / the naive gateway's", t.systemCpuMsPerRecord / t.naiveCpuMsPerRecord, '<=', 3, '×'),
    target("accept p99 / the naive gateway's request p99, at half rate", t.acceptP99AtHalfMs / t.naiveP99AtHalfMs, '<=', 1, '×'),
    target(`offline burst speed / ${BURST_BASELINE.drafts.toLocaleString('en')} in ${BURST_BASELINE.seconds} s, no duplicate`, burstSpeedup(t.burst.drafts, t.burst.allProcessedS), '>=', 2.5, '×', {
      ok: t.burst.ok,
      note: 'not every draft processed exactly once',
    }),
  ];
}

export function formatTarget(t: Target): string {
  const v = Number.isFinite(t.value) ? (Math.abs(t.value) >= 100 ? t.value.toFixed(0) : t.value.toFixed(2)) : 'n/a';
  return `${t.pass ? 'PASS' : 'MISS'}  ${t.name.padEnd(60)} ${`${v}${t.unit}`.padStart(10)}  (${t.op} ${t.limit}${t.unit})${t.note ? `  ${t.note}` : ''}`;
}
