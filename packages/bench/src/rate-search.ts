/**
 * Finding the highest rate a system sustains: step the rate up geometrically until a probe
 * fails, then bisect between the last pass and the first failure a few times.
 */
export interface RateSearchOptions {
  startRate: number;
  /** Each step up multiplies the rate by this. */
  factor: number;
  maxRate: number;
  /** Bisections between the last passing and the first failing rate. */
  refineSteps: number;
  /** Below this a failing start is not stepped down further. */
  minRate?: number;
}

export interface RateStep<T> {
  rate: number;
  ok: boolean;
  detail: T;
}

export interface RateSearchResult<T> {
  /** The highest passing rate, or 0 if none passed. */
  maxRate: number;
  steps: RateStep<T>[];
}

const round = (rate: number): number => Math.round(rate * 10) / 10;

export async function searchMaxRate<T>(
  probe: (rate: number) => Promise<{ ok: boolean; detail: T }>,
  options: RateSearchOptions,
): Promise<RateSearchResult<T>> {
  const steps: RateStep<T>[] = [];
  const run = async (rate: number): Promise<boolean> => {
    const { ok, detail } = await probe(rate);
    steps.push({ rate, ok, detail });
    return ok;
  };
  const minRate = options.minRate ?? options.startRate / 8;
  let pass = 0;
  let fail = Number.POSITIVE_INFINITY;
  let rate = round(options.startRate);
  if (await run(rate)) {
    pass = rate;
    for (rate = round(rate * options.factor); rate <= options.maxRate; rate = round(rate * options.factor)) {
      if (!(await run(rate))) {
        fail = rate;
        break;
      }
      pass = rate;
    }
  } else {
    fail = rate;
    for (rate = round(rate / options.factor); rate >= minRate; rate = round(rate / options.factor)) {
      if (await run(rate)) {
        pass = rate;
        break;
      }
      fail = rate;
    }
  }
  for (let i = 0; i < options.refineSteps && pass > 0 && Number.isFinite(fail); i++) {
    const mid = round((pass + fail) / 2);
    if (mid <= pass || mid >= fail) break;
    if (await run(mid)) pass = mid;
    else fail = mid;
  }
  return { maxRate: pass, steps };
}
