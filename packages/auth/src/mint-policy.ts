/**
 * Whether auth mints a narrowed token for a worker acting for a user (`POST /internal/tokens`):
 * never sysadmin, only an action the user holds, and for a disabled user only for work accepted
 * before the disabling. A registrar's record accepted while they still worked there is still sent
 * to the country (the office's work is not lost because the clerk left); anything accepted after
 * the disabling (the gateways learn of it within seconds) is refused, and so is a request that
 * does not say when its work was accepted. A pure rule; the route only reads the user.
 */
import type { Scope } from '@steadfast/commons';

/** How far ahead of auth's clock an `acceptedAt` may be (the gateway's clock may run ahead). */
export const ACCEPTED_AT_SKEW_MS = 60_000;

export interface MintRefusal {
  status: 400 | 403;
  error: string;
}

export function mintRefusal(
  user: { scopes: readonly string[]; disabledAt?: Date },
  action: Scope,
  acceptedAt: Date | undefined,
  now: Date,
): MintRefusal | undefined {
  if (action === 'sysadmin') return { status: 403, error: 'sysadmin is never granted to a narrowed token' };
  if (acceptedAt && acceptedAt.getTime() > now.getTime() + ACCEPTED_AT_SKEW_MS) {
    return { status: 400, error: 'acceptedAt: must not be in the future' };
  }
  if (user.disabledAt && !(acceptedAt && acceptedAt.getTime() < user.disabledAt.getTime())) {
    return { status: 403, error: 'the user is disabled (the work was accepted after the disabling, or did not say when)' };
  }
  if (!user.scopes.includes(action)) return { status: 403, error: `the user does not hold the ${action} scope` };
  return undefined;
}
