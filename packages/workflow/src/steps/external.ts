/**
 * Step `validation`: a registrar's new record is sent to the country config for external
 * validation, with a token auth mints for the submitting user, this record and the register
 * action (the user's own token may have expired hours ago), asked for with the workflow's own
 * credential (AUTH_INTERNAL_SECRET), for work accepted before the user was disabled, if they
 * were (auth refuses it otherwise, and the job fails at once: classify.ts). The country answers 202; its
 * decision comes later to the confirm/reject endpoints. Country config down: the step fails
 * and is retried with the job's backoff.
 *
 * Step `notify`: the informant hears that the record was received.
 */
import { requestInternalToken } from '@steadfast/commons';
import type { StepContext, StepEffect } from '../context.js';

/** Whether the `validation` step will ask the country config: a registrar's new record not yet sent. */
export function asksCountry({ data, record }: Pick<StepContext, 'data' | 'record'>): boolean {
  return data.operation === 'create' && data.action === 'register' && !record.externalValidation;
}

export async function requestExternalValidation(ctx: StepContext): Promise<StepEffect> {
  const { data, record, deps } = ctx;
  if (!asksCountry(ctx)) return 'nothing';
  // With when the gateway accepted it: a registrar disabled since still has this record sent.
  const token = await requestInternalToken(deps.urls.auth, deps.authSecret, { userId: data.userId, recordId: record._id, action: 'register', acceptedAt: data.acceptedAt });
  const response = await fetch(new URL('/event-registration', deps.urls.countryConfig), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ recordId: record._id, trackingId: record.trackingId, event: record.event, data: record.data }),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 202) throw new Error(`the country config answered HTTP ${response.status}`);
}

export async function notifyReceived(ctx: StepContext): Promise<void> {
  if (ctx.data.operation !== 'create') return;
  await ctx.deps.notifications?.enqueue(ctx.record, 'declared');
}
