/**
 * Before the record is written: the uploaded files are what the job says they are. The gateway
 * checked each file's first bytes against its declared type before staging (or placing) it; a
 * job queued by another path refers to whatever sits under its draft's keys. Only the first
 * bytes are read (one small ranged GET per file), never the file: the copy to the record's
 * prefix is a server-side copy (steps/attachments.ts), and a placed file is there already.
 */
import type { Readable } from 'node:stream';
import { SIGNATURE_BYTES, signatureProblem, type AttachmentRef, type RecordJobData } from '@steadfast/commons';
import type { WorkflowDeps } from '../context.js';
import { isNotFound, uploadOf } from './attachments.js';

/**
 * Why the uploaded files do not match the job, or undefined. A staged file that is gone is not
 * judged here: a retry after the cleanup step finds its copy in place, and the attachments step
 * tells a missing file from a moved one. A placed file that is gone is an error to retry (an
 * operator's problem, like a staged file gone with no copy): nothing else would notice it.
 */
export async function stagedContentProblem(deps: Pick<WorkflowDeps, 'minio' | 'buckets'>, data: RecordJobData): Promise<string | undefined> {
  const problems = await Promise.all(data.attachments.map((attachment) => problemOf(deps, data, attachment)));
  return problems.find((problem) => problem !== undefined);
}

async function problemOf(deps: Pick<WorkflowDeps, 'minio' | 'buckets'>, data: RecordJobData, attachment: AttachmentRef): Promise<string | undefined> {
  let stream: Readable;
  try {
    const { bucket, key } = uploadOf(deps, data, attachment);
    stream = await deps.minio.getPartialObject(bucket, key, 0, SIGNATURE_BYTES);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    if (data.placed) throw new Error(`placed attachment ${attachment.index} of draft ${data.draftId} is missing`, { cause: error });
    return undefined;
  }
  const total = totalSizeOf(stream);
  const head = await readAll(stream);
  if (total !== undefined && total !== attachment.size) {
    return `staged attachment ${attachment.index} is ${total} bytes, the job says ${attachment.size}`;
  }
  const problem = signatureProblem(head, attachment.contentType);
  return problem === undefined ? undefined : `staged attachment ${attachment.index} ${problem}`;
}

/** The object's whole size from the ranged answer's `Content-Range: bytes 0-11/<size>`. */
function totalSizeOf(stream: Readable): number | undefined {
  const range = (stream as Readable & { headers?: Record<string, unknown> }).headers?.['content-range'];
  const total = typeof range === 'string' ? /\/(\d+)$/.exec(range)?.[1] : undefined;
  return total === undefined ? undefined : Number(total);
}

async function readAll(stream: Readable): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).subarray(0, SIGNATURE_BYTES);
}
