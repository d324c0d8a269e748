/**
 * The gateway's seal on a record job: an HMAC-SHA256, under `JOB_SEAL_SECRET` (shared by the
 * gateways and the workflows), of what the gateway checked of the uploads before it wrote them:
 * the draft, the payload's fingerprint, where they were written (placed or staged) and each
 * one's index, declared type, size and digest (from which its key follows). A job whose seal
 * holds was queued by a gateway, so the workflow need not read each file's first bytes again
 * (one ranged GET per attachment, ~1.5 ms of MinIO's CPU per record in the bench). A job without
 * a seal, or with one that does not hold (queued around the gateway, by an earlier release, or
 * under another secret), is checked as before: the seal only ever saves work, never admits any.
 * The details are not sealed: the workflow validates them itself (records/job-check.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { RecordJobData } from './record-jobs.js';

type Sealed = Pick<RecordJobData, 'draftId' | 'fingerprint' | 'placed' | 'attachments'>;

/** What the seal covers, in a fixed order (a version first, so a later change cannot collide). */
function sealedFacts(data: Sealed): string {
  return JSON.stringify([
    'steadfast-job-seal-v1',
    data.draftId,
    data.fingerprint,
    data.placed === true,
    data.attachments.map((a) => [a.index, a.type, a.subject, a.contentType, a.size, a.sha256]),
  ]);
}

/** The seal of a job, hex. */
export function jobSeal(secret: string, data: Sealed): string {
  return createHmac('sha256', secret).update(sealedFacts(data)).digest('hex');
}

/** Whether the job carries the seal its facts give under `secret` (compared in constant time). */
export function sealHolds(secret: string, data: Sealed & Pick<RecordJobData, 'seal'>): boolean {
  if (data.seal === undefined) return false;
  const expected = Buffer.from(jobSeal(secret, data), 'hex');
  const given = Buffer.from(data.seal, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
