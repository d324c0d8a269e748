/**
 * How long to wait before trying again: exponential backoff with full jitter (a random delay
 * between 0 and min(cap, base × 2^failures)), so a thousand tablets coming back online at once
 * spread out instead of retrying in step; and never sooner than the server's Retry-After.
 */

export interface RetryPolicy {
  /** The first ceiling of the random delay. */
  baseMs: number;
  /** The largest ceiling, however many failures. */
  capMs: number;
  /** A Retry-After longer than this is taken as this (a misconfigured proxy must not park a client for days). */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 500, capMs: 60_000, maxRetryAfterMs: 10 * 60_000 };

/** Full jitter: uniform in [0, min(cap, base × 2^failures)). `random` is Math.random or a test's. */
export function backoffDelay(failures: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(Math.max(failures, 0), 30));
  return Math.floor(random() * ceiling);
}

/**
 * The wait after the `failures`-th failure in a row. With a Retry-After, at least that long,
 * plus a jitter of up to one base so clients told the same instant do not return in step.
 */
export function retryDelay(failures: number, retryAfterMs: number | undefined, policy: RetryPolicy, random: () => number): number {
  if (retryAfterMs === undefined) return backoffDelay(failures, policy, random);
  return Math.min(retryAfterMs, policy.maxRetryAfterMs) + Math.floor(random() * policy.baseMs);
}

/** A Retry-After header (delta-seconds or an HTTP date) in milliseconds from `nowMs`; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1_000;
  // An HTTP date has a weekday and a month name; anything else (e.g. "-5", which Date.parse takes as a year) is unreadable.
  const date = /^[A-Za-z]{3}, /.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
