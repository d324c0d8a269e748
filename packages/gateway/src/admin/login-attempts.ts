/**
 * The failed-login throttle as the console's login page uses it: the gateway's LoginThrottle,
 * with the same limits and keys as `POST /auth/authenticate`, so guesses on the page and on the
 * API add up. An attempt is counted before the password is checked (concurrent guesses are all
 * counted); a successful login clears the username's count; an attempt auth could not check
 * (unreachable, 5xx) is given back.
 */
import type { LoginCheck } from '../login-throttle.js';

export interface LoginAttempts {
  /** Counts an attempt of `username` from `address`, and says whether it may go ahead. */
  attempt(username: string, address: string): Promise<LoginCheck>;
  succeeded(username: string, address: string): Promise<void>;
  notChecked(username: string, address: string): Promise<void>;
}
