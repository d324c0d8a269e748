/**
 * CPU ms per record from two `cpuSnapshot`s, and the total over the processes that do the work
 * (the load generator, `bench`, left out): what the "all processes' CPU ms per record" target
 * compares between the system and the naive gateway.
 */
export const LOAD_GENERATOR = 'bench';

export function cpuPerRecord(before: Record<string, number>, after: Record<string, number>, records: number): Record<string, number> {
  const n = Math.max(1, records);
  return Object.fromEntries(Object.keys(after).map((k) => [k, ((after[k] ?? NaN) - (before[k] ?? NaN)) / n]));
}

/**
 * The sum over every process but the load generator. A process that could not be read (NaN: its
 * pid unknown, or gone) makes the total NaN: a total without it would flatter the system.
 */
export function cpuTotal(perRecord: Record<string, number>, exclude: readonly string[] = [LOAD_GENERATOR]): number {
  return Object.entries(perRecord)
    .filter(([k]) => !exclude.includes(k))
    .reduce((sum, [, v]) => sum + v, 0);
}

/**
 * What `--steady` measured at one rate, of the system (records processed; accept latency, then
 * submit to processed) or of the naive gateway (`acceptP99Ms` absent: records written; request
 * latency): the answers, and every process's CPU.
 */
export interface SteadyStep {
  rate: number;
  seconds: number;
  offered: number;
  processed: number;
  acceptP99Ms?: number;
  processedP50Ms: number;
  processedP99Ms: number;
  /** CPU ms per processed record, by process (the load generator included, as `bench`). */
  cpuPerRecord: Record<string, number>;
  /** The processes' CPU ms per second over the step: near the cores' 1,000 each, the rate is past what they sustain. */
  cpuMsPerS: number;
  /** Each process's wake-ups (its threads' voluntary context switches) per processed record. */
  wakeupsPerRecord?: Record<string, number>;
}

/** One line per step: latency, then CPU per record (largest first) and the total without the load generator. */
export function formatSteady(step: SteadyStep): string {
  const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
  const largestFirst = (perProcess: Record<string, number>, digits: number) =>
    Object.entries(perProcess)
      .sort(([, a], [, b]) => b - a)
      .map(([k, v]) => `${k} ${fmt(v, digits)}`)
      .join(', ');
  const latency =
    step.acceptP99Ms === undefined
      ? `${step.processed}/${step.offered} written, request p50 ${fmt(step.processedP50Ms, 0)} p99 ${fmt(step.processedP99Ms, 0)} ms`
      : `${step.processed}/${step.offered} processed, accept p99 ${fmt(step.acceptP99Ms, 0)} ms, ` +
        `processed p50 ${fmt(step.processedP50Ms, 0)} p99 ${fmt(step.processedP99Ms, 0)} ms`;
  return (
    `${fmt(step.rate, 1)}/s for ${step.seconds} s: ${latency}; CPU ms per record ${largestFirst(step.cpuPerRecord, 2)}; ` +
    `all but ${LOAD_GENERATOR} ${fmt(cpuTotal(step.cpuPerRecord))}; ${fmt(step.cpuMsPerS, 0)} CPU ms/s together` +
    (step.wakeupsPerRecord ? `; wake-ups per record ${largestFirst(step.wakeupsPerRecord, 1)}` : '')
  );
}
