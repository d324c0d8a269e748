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
