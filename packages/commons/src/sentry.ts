/**
 * Sentry, set up the same way in every service: manual capture only (no automatic
 * instrumentation, no request data, no personal data). An event carries only what the caller
 * sets, and callers set ids, names and the first line of an error, never a record's content.
 */
import type * as SentryModule from '@sentry/node';

export type Sentry = typeof SentryModule;

/** Loaded only by a service configured with a DSN: the SDK is large, and most runs have none. */
export async function initSentry(dsn: string, environment: string): Promise<Sentry> {
  const Sentry = await import('@sentry/node');
  Sentry.init({
    dsn,
    environment,
    defaultIntegrations: false,
    integrations: [],
    // Nothing about users, requests or bodies.
    dataCollection: { userInfo: false, cookies: false, httpHeaders: false, httpBodies: [], urlQueryParams: false },
    sendClientReports: false,
  });
  return Sentry;
}
