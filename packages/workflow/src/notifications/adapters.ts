/**
 * Where notifications go: `log` (development: the message in the service log), `file` (one
 * JSON line per message, e.g. for tests and demos), `webhook` (an HTTP POST to a real SMS or
 * email provider's bridge).
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '@steadfast/commons';

export interface Notification {
  id: string;
  recordId: string;
  kind: NotificationKind;
  channel: 'sms' | 'email';
  to: string;
  text: string;
}

export type NotificationKind = 'declared' | 'registered';

export interface NotificationAdapter {
  send(notification: Notification): Promise<void>;
}

export const mask = (to: string): string => (to.length <= 4 ? '****' : `${to.slice(0, 2)}…${to.slice(-2)}`);

export function logAdapter(logger: Logger): NotificationAdapter {
  return {
    send(n) {
      logger.info({ recordId: n.recordId, kind: n.kind, channel: n.channel, to: mask(n.to), text: n.text }, 'notification (log adapter)');
      return Promise.resolve();
    },
  };
}

export function fileAdapter(file: string): NotificationAdapter {
  return {
    async send(n) {
      await mkdir(dirname(file), { recursive: true });
      await appendFile(file, `${JSON.stringify({ at: new Date().toISOString(), ...n })}\n`);
    },
  };
}

export function webhookAdapter(url: string): NotificationAdapter {
  return {
    async send(n) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': n.id },
        body: JSON.stringify(n),
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) throw new Error(`notification webhook answered HTTP ${response.status}`);
    },
  };
}
