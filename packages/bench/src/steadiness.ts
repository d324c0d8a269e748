/**
 * Whether a run's rounds agree, so its ratios can be set beside another run's. The machine here
 * is shared and has slow phases (a neighbour's job, a throttled host): a round that meets one
 * finds the naive gateway and the system at half their usual rates, and the median of three
 * such rounds is no longer the machine's. The rate searches are what a slow phase moves most
 * (their p99 bound); the stores' batched ceiling barely moves. A run is steady when, for both
 * rate searches, the fastest round is at most `MAX_ROUND_SPREAD` times the slowest.
 */
export const MAX_ROUND_SPREAD = 1.5;

export interface Steadiness {
  /** False when one round met a slow phase; undefined with a single round (nothing to compare). */
  steady: boolean | undefined;
  /** Fastest over slowest round, per rate search. */
  spread: { naive: number; system: number };
  line: string;
}

const spreadOf = (values: readonly number[]): number => {
  const finite = values.filter((v) => Number.isFinite(v) && v > 0);
  if (finite.length < 2) return Number.NaN;
  return Math.max(...finite) / Math.min(...finite);
};

export function steadiness(rounds: ReadonlyArray<{ naive: number; system: number }>): Steadiness {
  const spread = { naive: spreadOf(rounds.map((r) => r.naive)), system: spreadOf(rounds.map((r) => r.system)) };
  const shown = `naive ${spread.naive.toFixed(2)}×, system ${spread.system.toFixed(2)}×`;
  if (rounds.length < 2 || Number.isNaN(spread.naive) || Number.isNaN(spread.system)) {
    return { steady: undefined, spread, line: 'steadiness: one round, not judged (a full run has three)' };
  }
  const over = (['naive', 'system'] as const).filter((k) => spread[k] > MAX_ROUND_SPREAD);
  if (over.length === 0) {
    return { steady: true, spread, line: `steadiness: the rounds agree (fastest / slowest round: ${shown}; at most ${MAX_ROUND_SPREAD}×; a slow phase through the whole run would not show here)` };
  }
  return {
    steady: false,
    spread,
    line:
      `steadiness: NOT STEADY, ${over.join(' and ')} rounds differ by more than ${MAX_ROUND_SPREAD}× (${shown}): ` +
      'a round met a slow phase of the machine; do not compare this run with others, run it again on a quiet machine',
  };
}
