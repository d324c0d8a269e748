/**
 * The failed-login throttle as the console's login page uses it: an attempt is counted before
 * the password is checked (so concurrent guesses are all counted), and a successful login clears
 * the username's count. The same limits and keys as `POST /auth/authenticate`: guesses on the
 * page and on the API add up.
 */
export type LoginVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number; by: 'username' | 'address' };

export interface LoginAttempts {
  /** Counts an attempt of `username` from `address`, and says whether it may go ahead. */
  attempt(username: string, address: string): Promise<LoginVerdict>;
  succeeded(username: string, address: string): Promise<void>;
}

/** The throttle before it counted attempts up front: check, then count a failure. */
interface CheckThenCount {
  check(username: string, address: string): Promise<LoginVerdict>;
  failed(username: string, address: string): Promise<void>;
  succeeded(username: string, address: string): Promise<void>;
}

/**
 * The throttle as `LoginAttempts`, whichever interface it has: one with `attempt` is used as is;
 * over one with check/failed, an allowed attempt is counted as a failure at once and forgotten
 * on success (a check-then-count has a window in which concurrent guesses pass uncounted; this
 * keeps the page no worse than that).
 */
export function loginAttempts(throttle: LoginAttempts | CheckThenCount): LoginAttempts {
  if ('attempt' in throttle) return throttle;
  return {
    async attempt(username, address) {
      const verdict = await throttle.check(username, address);
      if (verdict.allowed) await throttle.failed(username, address);
      return verdict;
    },
    succeeded: (username, address) => throttle.succeeded(username, address),
  };
}
