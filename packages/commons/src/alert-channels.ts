/**
 * Where alerts go beyond the admin console: Sentry and a webhook, each delivery recorded on the
 * alert, so a crash between raising and sending is caught up later (the workflow's sweep
 * delivers what any service raised and nobody delivered). Shared by the services that raise
 * alerts and deliver them themselves: the workflow (exhausted jobs) and the gateway (stalls,
 * which it must report while the workflow is the thing that stopped).
 */
import { createHash } from 'node:crypto';
import type { Collection } from 'mongodb';
import type { Logger } from './logger.js';
import type { Sentry } from './sentry.js';
import { alertSummary, type AlertDocument } from './storage/documents.js';

export interface AlertChannel {
  name: 'sentry' | 'webhook';
  deliver(alert: AlertDocument): Promise<void>;
}

/** The webhook channel: a JSON POST with an idempotency key, so a re-delivery can be spotted. */
export function webhookChannel(url: string): AlertChannel {
  return {
    name: 'webhook',
    async deliver(alert) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': alert._id },
        body: JSON.stringify({
          text: `Steadfast: ${alertSummary(alert)}`,
          alert,
        }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw new Error(`alert webhook answered HTTP ${response.status}`);
    },
  };
}

/**
 * The Sentry channel, on an SDK set up by `initSentry` (manual capture only, no personal data):
 * an event holds ids, counts and the error's first line, never a record's content. Its event id
 * is derived from the alert id, so a re-delivery after a crash is the same event to Sentry.
 */
export function sentryChannel(sentry: Sentry): AlertChannel {
  return {
    name: 'sentry',
    async deliver(alert: AlertDocument) {
      const error = new Error(alert.error);
      const common = { attempts: alert.attempts, failedAt: alert.failedAt.toISOString() };
      const context = sentryContext(alert, common);
      error.name = context.name;
      sentry.captureException(error, {
        event_id: createHash('sha256').update(alert._id).digest('hex').slice(0, 32),
        captureContext: { level: 'error', tags: context.tags, extra: context.extra, fingerprint: context.fingerprint },
      });
      if (!(await sentry.flush(5_000))) throw new Error('Sentry did not accept the event within 5 s');
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
    case 'queue-stalled':
      return {
        name: 'QueueStalled',
        tags: { queue: alert.queue },
        extra: { oldestJobId: alert.oldestJobId, waiting: alert.waiting, ...common },
        fingerprint: ['queue-stalled', alert.queue],
      };
    case 'outbox-stalled':
      return {
        name: 'OutboxStalled',
        tags: { queue: alert.queue },
        extra: { aggregateId: alert.aggregateId, waiting: alert.waiting, ...common },
        fingerprint: ['outbox-stalled', alert.queue],
      };
    case 'job-hung':
      return {
        name: 'JobHung',
        tags: { queue: alert.queue },
        extra: { jobId: alert.jobId, startedAt: alert.startedAt?.toISOString(), worker: alert.worker, running: alert.running, ...common },
        fingerprint: ['job-hung', alert.queue],
      };
  }
}

/**
 * Delivers an alert to each channel it has not reached yet and records each delivery. A failed
 * delivery is logged and left for the workflow's sweep, which delivers every alert still
 * undelivered a little after it was raised.
 */
export async function deliverAlert(alerts: Collection<AlertDocument>, channels: readonly AlertChannel[], alert: AlertDocument, logger: Logger): Promise<void> {
  for (const channel of channels) {
    if (alert.delivered[channel.name]) continue;
    try {
      await channel.deliver(alert);
      const at = new Date();
      alert.delivered[channel.name] = at;
      await alerts.updateOne({ _id: alert._id }, { $set: { [`delivered.${channel.name}`]: at } });
    } catch (error) {
      logger.warn({ alert: alert._id, channel: channel.name, err: (error as Error).message }, 'alert delivery failed; the sweep retries it');
    }
  }
}

/** The channels a service's environment configures: Sentry (on its SDK, when set up) and the webhook. */
export function alertChannels(options: { sentry?: Sentry | undefined; webhookUrl?: string | undefined }): AlertChannel[] {
  const channels: AlertChannel[] = [];
  if (options.sentry) channels.push(sentryChannel(options.sentry));
  if (options.webhookUrl) channels.push(webhookChannel(options.webhookUrl));
  return channels;
}
