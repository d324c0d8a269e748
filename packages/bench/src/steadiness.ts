/**
 * Whether a run's rounds agree, so its medians stand for the machine. The machine here is shared
 * and has slow phases (a neighbour's job, a throttled host): a round that meets one finds the
 * naive gateway and the system at a fraction of their usual rates. The median of three rounds
 * survives one such round when the other two agree: a rate search's median is backed when
 * another round came within `MAX_BACKING_SPREAD` of it (the rate search's refining steps are
 * ~1.1-1.3× apart, so two searches on the same machine can land a step apart). A run is steady
 * when both rate searches' medians are backed; a slow phase through the whole run, or during the
 * cost step after the rounds, does not show here.
 */
export const MAX_BACKING_SPREAD = 1.3;

export interface Steadiness {
  /** False when a median is not backed by a second round; undefined with a single round (nothing to compare). */
  steady: boolean | undefined;
  /** Fastest over slowest round, per rate search. */
  spread: { naive: number; system: number };
  line: string;
}

const spreadOf = (values: readonly number[]): number => Math.max(...values) / Math.min(...values);

/** Whether another round came within `MAX_BACKING_SPREAD` of the median round. */
function backed(values: readonly number[]): boolean {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted[mid]!;
  return sorted.some((v, i) => i !== mid && Math.max(v, median) / Math.min(v, median) <= MAX_BACKING_SPREAD);
}

export function steadiness(rounds: ReadonlyArray<{ naive: number; system: number }>): Steadiness {
  const valid = rounds.every((r) => [r.naive, r.system].every((v) => Number.isFinite(v) && v > 0));
  const naive = rounds.map((r) => r.naive);
  const system = rounds.map((r) => r.system);
  const spread = valid && rounds.length > 1 ? { naive: spreadOf(naive), system: spreadOf(system) } : { naive: Number.NaN, system: Number.NaN };
  if (!valid || rounds.length < 2) return { steady: undefined, spread, line: 'steadiness: one round (or a failed one), not judged (a full run has three)' };
  const shown = `fastest / slowest round: naive ${spread.naive.toFixed(2)}×, system ${spread.system.toFixed(2)}×`;
  const unbacked = (['naive', 'system'] as const).filter((k) => !backed(k === 'naive' ? naive : system));
  if (unbacked.length === 0) {
    return { steady: true, spread, line: `steadiness: each median is backed by a second round within ${MAX_BACKING_SPREAD}× (${shown})` };
  }
  return {
    steady: false,
    spread,
    line:
      `steadiness: NOT STEADY, no two ${unbacked.join(' or ')} rounds agree within ${MAX_BACKING_SPREAD}× (${shown}): ` +
      'the machine had slow phases; do not compare this run with others, run it again on a quiet machine',
  };
}

/**
 * How long a store must have run before a run's figures stand for it. Elasticsearch's JIT
 * compiles for minutes after a start (its C2 compiler was 24-48% of its CPU in three runs soon
 * after the stores' start; docs/benchmark-history.md, seventeenth pass), and the two full
 * runs of 2026-12-07 that started right after `npm test` had restarted the stores missed the
 * throughput target (16:35 0.39×, 21:55 0.35× with a first round at 11.6/s), below every other
 * full run of that code (0.44-0.56×).
 */
export const WARM_AFTER_S = 15 * 60;

/** Whether every store had run `WARM_AFTER_S` when the run started, from each one's age in seconds. */
export function warmth(agesS: Readonly<Record<string, number>>): { warm: boolean | undefined; line: string } {
  const known = Object.entries(agesS).filter(([, s]) => Number.isFinite(s));
  if (known.length === 0) return { warm: undefined, line: "stores' age: unknown (their processes not found)" };
  const shown = known.map(([name, s]) => `${name} ${Math.floor(s / 60)} min`).join(', ');
  const young = known.filter(([, s]) => s < WARM_AFTER_S).map(([name]) => name);
  if (young.length === 0) return { warm: true, line: `stores' age at the start: ${shown}` };
  return {
    warm: false,
    line:
      `stores' age at the start: ${shown}: WARMING, ${young.join(', ')} started less than ${WARM_AFTER_S / 60} min before the run ` +
      "(a store's first minutes, Elasticsearch's JIT most, cost more CPU than its warm state): do not compare this run with others, run it again later",
  };
}
