/**
 * Sentry reporting of exhausted jobs. The SDK is set up for manual capture only (no automatic
 * instrumentation, no request data, no personal data); an event holds the draft id, the step,
 * the attempts and the error message, never the record's content. Its event id is derived from
 * the alert id, so a re-delivery after a crash is the same event to Sentry.
 */
import { createHash } from 'node:crypto';
import { initSentry, type AlertDocument } from '@steadfast/commons';
import type { AlertChannel } from './alerts.js';

export async function sentryChannel(dsn: string, environment: string): Promise<AlertChannel> {
  const Sentry = await initSentry(dsn, environment);
  return {
    name: 'sentry',
    async deliver(alert: AlertDocument) {
      const error = new Error(alert.error);
      const common = { attempts: alert.attempts, failedAt: alert.failedAt.toISOString() };
      const context = sentryContext(alert, common);
      error.name = context.name;
      Sentry.captureException(error, {
        event_id: createHash('sha256').update(alert._id).digest('hex').slice(0, 32),
        captureContext: { level: 'error', tags: context.tags, extra: context.extra, fingerprint: context.fingerprint },
      });
      if (!(await Sentry.flush(5_000))) throw new Error('Sentry did not accept the event within 5 s');
    },
  };
}

/** How each kind of alert shows in Sentry: its name, what it is grouped by, and its ids. */
function sentryContext(alert: AlertDocument, common: { attempts: number; failedAt: string }) {
  switch (alert.kind) {
    case 'job-exhausted':
      return { name: 'RecordJobExhausted', tags: { queue: alert.queue, step: alert.step }, extra: { draftId: alert.draftId, ...common }, fingerprint: ['record-job-exhausted', alert.step] };
    case 'event-dead-lettered':
      return {
        name: 'EventDeadLettered',
        tags: { queue: alert.queue, eventType: alert.eventType },
        extra: { eventId: alert.eventId, aggregate: alert.aggregate, aggregateId: alert.aggregateId, ...common },
        fingerprint: ['event-dead-lettered', alert.eventType],
      };
    case 'notification-unknown':
      return {
        name: 'NotificationOutcomeUnknown',
        tags: { queue: alert.queue, kind: alert.notificationKind, channel: alert.channel },
        extra: { notificationId: alert.notificationId, recordId: alert.recordId, ...common },
        fingerprint: ['notification-unknown', alert.notificationKind],
      };
  }
}
