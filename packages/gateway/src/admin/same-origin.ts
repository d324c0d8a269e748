/**
 * CSRF defence of the console: a state-changing request that rides on the session cookie must
 * prove it comes from the console's own pages. Browsers say where a request comes from in
 * headers a page cannot forge: `Sec-Fetch-Site` (every current browser) and `Origin` (on every
 * POST/PUT/PATCH/DELETE). OWASP's "verify origin with standard headers", with the SameSite=Strict
 * cookie as a second line (which does not cover a same-site neighbour, e.g. another port of the
 * same host).
 *
 * A request with an `Authorization` header is a script's: a page on another origin cannot add
 * that header without a CORS preflight, which the gateway never grants, and it carries no
 * ambient credential to abuse.
 */

const SAFE_METHODS = new Set(['get', 'head', 'options']);

export type OriginVerdict = { allowed: true } | { allowed: false; reason: string };

export interface RequestFacts {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  /** The console's own origin, e.g. `http://localhost:7070`. */
  expectedOrigin: string;
}

const header = (headers: RequestFacts['headers'], name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export function sameOriginProof({ method, headers, expectedOrigin }: RequestFacts): OriginVerdict {
  if (SAFE_METHODS.has(method.toLowerCase())) return { allowed: true };
  if (header(headers, 'authorization')) return { allowed: true };
  const site = header(headers, 'sec-fetch-site');
  if (site !== undefined) {
    return site === 'same-origin'
      ? { allowed: true }
      : { allowed: false, reason: `a ${site.slice(0, 20)} request (Sec-Fetch-Site) may not change anything in the admin console` };
  }
  const origin = header(headers, 'origin');
  if (origin === undefined) return { allowed: false, reason: 'a request that changes something must come from the admin console (no Origin header)' };
  if (origin.toLowerCase() !== expectedOrigin.toLowerCase()) {
    return { allowed: false, reason: 'a cross-origin request may not change anything in the admin console (Origin)' };
  }
  return { allowed: true };
}

/** The origin a browser names for the console: the configured public one, else scheme and Host of the request. */
export function expectedOriginOf(publicOrigin: string | undefined, protocol: string, host: string): string {
  if (publicOrigin) return new URL(publicOrigin).origin;
  return `${protocol}://${host}`;
}
