/**
 * `/admin/alerts`: the alerts raised for jobs that failed for good (exhausted record jobs,
 * dead-lettered events, notifications that may not have been sent) and for work that stopped
 * moving (a queue nobody takes jobs from, an outbox nobody relays, a job that never ends), newest first, as a page
 * (JSON when asked with `Accept: application/json`), each linking to its job in the board, with
 * the count of open (unacknowledged) alerts on top. `POST /admin/alerts/{id}/acknowledge` marks
 * one as seen. Alerts hold ids, counts and an error's first line, never a record's content: the
 * page shows nothing the board does not already show the same admin.
 */
import Boom from '@hapi/boom';
import type Hapi from '@hapi/hapi';
import { alertSummary, type AlertDocument, type Collections } from '@steadfast/commons';
import { z } from 'zod';
import type { AdminAudit } from './audit.js';
import { ADMIN_AUTH, adminOf } from './auth.js';
import { BOARD_PATH } from './board.js';
import { html, page, type Html } from './html.js';
import { correlationIdOf, pageResponse, wantsJson } from './requests.js';

/** An alert as the console sees it: acknowledging adds who and when (this module is that field's one writer). */
export type ConsoleAlert = AlertDocument & { acknowledged?: { at: Date; userId: string; username: string } };

const SHOWN = 200;

/** The job an alert is about: its queue and id in the board, when they can be named. */
export function jobOf(alert: AlertDocument): { queue: string; jobId?: string } {
  if (alert.kind === 'notification-unknown') return { queue: alert.queue, jobId: alert.jobId ?? alert.notificationId };
  if (alert.kind === 'queue-stalled') return { queue: alert.queue, jobId: alert.oldestJobId };
  if (alert.kind === 'outbox-stalled') return { queue: alert.queue, jobId: alert.aggregateId };
  if (alert.kind === 'job-hung') return { queue: alert.queue, jobId: alert.jobId };
  // `<queue>:<jobId>:<failedAt ms>` (alertIdOf)
  const prefix = `${alert.queue}:`;
  const end = alert._id.lastIndexOf(':');
  if (alert._id.startsWith(prefix) && end > prefix.length) return { queue: alert.queue, jobId: alert._id.slice(prefix.length, end) };
  return { queue: alert.queue };
}

/** The board's page of the alert's job, or undefined when it is not a job (an outbox is a MongoDB collection). */
export const jobLink = (alert: AlertDocument): string | undefined => {
  if (alert.kind === 'outbox-stalled') return undefined;
  const { queue, jobId } = jobOf(alert);
  return `${BOARD_PATH}/queue/${encodeURIComponent(queue)}${jobId ? `/${encodeURIComponent(jobId)}` : ''}`;
};

const KIND_NAMES: Record<AlertDocument['kind'], string> = {
  'job-exhausted': 'record job exhausted',
  'event-dead-lettered': 'event dead-lettered',
  'notification-unknown': 'notification may not have been sent',
  'queue-stalled': 'queue not moving',
  'outbox-stalled': 'events not relayed',
  'job-hung': 'job not ending',
};

export interface OpenCounts {
  total: number;
  byKind: Partial<Record<AlertDocument['kind'], number>>;
}

function alertsPage(alerts: ConsoleAlert[], open: OpenCounts, admin: { name: string }): string {
  const counts = html`<div class="counts">
    <div class="count open" id="open-count"><strong>${open.total}</strong>open alert${open.total === 1 ? '' : 's'}</div>
    ${Object.entries(KIND_NAMES).map(([kind, name]) => html`<div class="count"><strong>${open.byKind[kind as AlertDocument['kind']] ?? 0}</strong>${name}</div>`)}
  </div>`;
  const rows: Html[] = alerts.map((alert) => {
    const { queue, jobId } = jobOf(alert);
    const link = jobLink(alert);
    const where = html`${queue}${jobId ? html`<br><code>${jobId}</code>` : ''}`;
    const resolvedAt = 'resolvedAt' in alert ? alert.resolvedAt : undefined;
    const moving = resolvedAt ? html`<br><small>${alert.kind === 'job-hung' ? 'ended at' : 'moving again since'} ${resolvedAt.toISOString()}</small>` : '';
    const state = alert.acknowledged
      ? html`acknowledged by ${alert.acknowledged.username}<br><small>${alert.acknowledged.at.toISOString()}</small>`
      : html`<form method="post" action="/admin/alerts/${encodeURIComponent(alert._id)}/acknowledge"><button type="submit">Acknowledge</button></form>`;
    return html`<tr class="${alert.acknowledged ? 'acknowledged' : 'open'}" data-alert-id="${alert._id}">
      <td>${alert.createdAt.toISOString()}</td>
      <td>${KIND_NAMES[alert.kind]}</td>
      <td>${alertSummary(alert)}</td>
      <td>${link ? html`<a href="${link}">${where}</a>` : where}</td>
      <td>${alert.attempts}</td>
      <td>${state}${moving}</td>
    </tr>`;
  });
  const body = html`<h1>Alerts</h1>${counts}
    ${alerts.length === 0 ? html`<p class="card">No alerts.</p>` : html`<table>
      <thead><tr><th>Raised (UTC)</th><th>Kind</th><th>What failed</th><th>Job in the board</th><th>Attempts</th><th>State</th></tr></thead>
      <tbody>${rows}</tbody></table>
      ${alerts.length === SHOWN ? html`<p>The newest ${SHOWN} alerts are shown.</p>` : ''}`}`;
  return page({ title: 'Alerts', body, user: admin });
}

const AlertId = z.string().min(1).max(500);

export function alertRoutes(db: Collections, audit: AdminAudit): Hapi.ServerRoute[] {
  const alerts = db.alerts.db.collection<ConsoleAlert>(db.alerts.collectionName);

  async function openCounts(): Promise<OpenCounts> {
    const groups = await alerts
      .aggregate<{ _id: AlertDocument['kind']; n: number }>([{ $match: { acknowledged: { $exists: false } } }, { $group: { _id: '$kind', n: { $sum: 1 } } }])
      .toArray();
    return { total: groups.reduce((sum, g) => sum + g.n, 0), byKind: Object.fromEntries(groups.map((g) => [g._id, g.n])) };
  }

  return [
    {
      method: 'GET',
      path: '/admin/alerts',
      options: { auth: ADMIN_AUTH },
      handler: async (request, h) => {
        const [list, open] = await Promise.all([alerts.find({}, { sort: { createdAt: -1 }, limit: SHOWN }).toArray(), openCounts()]);
        if (wantsJson(request)) return { open, alerts: list };
        return pageResponse(h, alertsPage(list, open, adminOf(request)));
      },
    },
    {
      method: 'POST',
      path: '/admin/alerts/{id}/acknowledge',
      options: { auth: ADMIN_AUTH, payload: { maxBytes: 1024 } },
      handler: async (request, h) => {
        const id = AlertId.safeParse(request.params['id']);
        if (!id.success) throw Boom.badRequest('id: an alert id has 1 to 500 characters');
        const admin = adminOf(request);
        const acknowledged = { at: new Date(), userId: admin.userId, username: admin.username };
        const result = await alerts.updateOne({ _id: id.data, acknowledged: { $exists: false } }, { $set: { acknowledged } });
        if (result.matchedCount === 0 && (await alerts.countDocuments({ _id: id.data }, { limit: 1 })) === 0) {
          throw Boom.notFound('no alert has this id');
        }
        // A second acknowledgement of the same alert changes nothing and is not another action.
        if (result.modifiedCount === 1) {
          await audit.record({
            action: 'acknowledge',
            actor: { userId: admin.userId, username: admin.username },
            via: admin.via,
            target: { alertId: id.data },
            outcome: { status: 200 },
            correlationId: correlationIdOf(request),
            address: request.info.remoteAddress,
          });
        }
        if (wantsJson(request)) return { alertId: id.data, acknowledged: result.modifiedCount === 1 ? acknowledged : 'already' };
        return h.redirect('/admin/alerts').code(303);
      },
    },
  ];
}
