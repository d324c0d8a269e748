/**
 * Politeness towards the gateway: a bound on requests in flight, and one shared backoff. When
 * the network or the gateway fails, every request would fail alike, so the whole client waits,
 * not each request on its own (500 drafts coming back online do not make 500 retry timers).
 */
import { retryDelay, type RetryPolicy } from './backoff.js';

/** At most `max` tasks at once; the rest wait their turn in order, those asked `first` ahead of the others. */
export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxConcurrentRequests must be a positive integer, got ${String(max).slice(0, 20)}`);
  }

  async run<T>(task: () => Promise<T>, first = false): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => (first ? this.waiting.unshift(resolve) : this.waiting.push(resolve)));
    else this.active += 1;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next task: `active` stays the same.
      if (next) next();
      else this.active -= 1;
    }
  }
}

/**
 * The shared backoff: closed after a failure for a jittered, growing delay. When it opens again
 * one request goes first (a probe); the others follow only once it succeeded, so a client with
 * 500 drafts on a dead line sends one request per delay, not one per slot.
 */
export class Backoff {
  private failures = 0;
  private openAt = 0;
  private lastFailureAt = Number.NEGATIVE_INFINITY;
  private probing = false;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly policy: RetryPolicy,
    private readonly random: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until requests may go again (0: now). */
  delay(): number {
    return Math.max(0, this.openAt - this.now());
  }

  /** Whether a request may go now; after failures only one at a time (a probe), until one succeeds. */
  admit(): boolean {
    if (this.delay() > 0) return false;
    if (this.failures === 0) return true;
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  /** Resolves at the next success or failure (for requests that were not admitted). */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * A request begun at `startedAt` failed. Requests that were already in flight when an earlier
   * failure was counted fail for the same cause: they do not grow the delay again.
   */
  fail(startedAt: number, retryAfterMs?: number): number {
    const now = this.now();
    // After a failure only probes are admitted: a request begun since the last failure is the probe.
    const fresh = startedAt >= this.lastFailureAt;
    if (fresh) this.failures += 1;
    if (fresh || retryAfterMs !== undefined) {
      this.lastFailureAt = now;
      this.openAt = Math.max(this.openAt, now + retryDelay(this.failures - 1, retryAfterMs, this.policy, this.random));
    }
    if (fresh) this.probing = false;
    this.wake();
    return this.delay();
  }

  succeed(): void {
    this.failures = 0;
    this.probing = false;
    this.wake();
  }

  /** Waiting requests look again. */
  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * The caller's token provider, asked once and again only when the server refused the token
 * (expired): concurrent refusals of the same token ask once.
 */
export class TokenCache {
  private current: Promise<string> | undefined;
  private value: string | undefined;

  constructor(private readonly provider: () => Promise<string> | string) {}

  get(): Promise<string> {
    if (!this.current) {
      const asked = Promise.resolve().then(this.provider);
      this.current = asked;
      this.value = undefined;
      asked.then(
        (token) => {
          if (this.current === asked) this.value = token;
        },
        // A provider that failed (auth unreachable) is asked again next time.
        () => {
          if (this.current === asked) this.current = undefined;
        },
      );
    }
    return this.current;
  }

  /** The server refused `token`: forget it, unless a newer one is already in use. */
  refused(token: string): void {
    if (this.value === token) {
      this.current = undefined;
      this.value = undefined;
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Waits `ms`, or less if `until` settles first; its timer never outlives it (a process can exit). */
export function sleepUntil(ms: number, until: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    until.then(done, done);
  });
}
