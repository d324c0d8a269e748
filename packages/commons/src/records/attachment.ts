/**
 * The attachment input: a scanned document sent inline as base64. Its size limit and content
 * types are deployment settings, so the schema is built from them.
 */
import { z } from 'zod';
import { echo } from '../echo.js';
import { base64Problem, decodedBase64Size, formatBytes } from './base64.js';
import { ATTACHMENT_SUBJECTS, ATTACHMENT_TYPES } from './enums.js';
import { addRuleIssue } from './rules.js';
import { base64Head, signatureProblem } from './signatures.js';

export interface AttachmentLimits {
  /** Largest decoded size of one attachment, in bytes. */
  maxAttachmentBytes: number;
  /** Most attachments in one submission. */
  maxAttachments: number;
  /** Lower-case MIME types accepted; each must be one signatures.ts recognises. */
  allowedContentTypes: readonly string[];
}

/** Longest content type looked at: real MIME types are far shorter (RFC 6838 allows 127/127). */
export const MAX_CONTENT_TYPE_LENGTH = 100;

export function attachmentSchemas(limits: AttachmentLimits) {
  const AttachmentInput = z
    .strictObject({
      type: z.enum(ATTACHMENT_TYPES),
      subject: z.enum(ATTACHMENT_SUBJECTS),
      contentType: contentTypeSchema(limits.allowedContentTypes),
      data: base64DataSchema(limits.maxAttachmentBytes),
    })
    // Runs only when every field passed: the declared type is allowed and the data is base64.
    .superRefine((attachment, ctx) => {
      const problem = signatureProblem(base64Head(attachment.data), attachment.contentType);
      if (problem) addRuleIssue(ctx, 'bytes match contentType', `attachment data ${problem}`, ['data']);
    });
  const AttachmentList = z
    .array(AttachmentInput)
    .max(limits.maxAttachments, `at most ${limits.maxAttachments} attachments are allowed`)
    .default([]);
  return { AttachmentInput, AttachmentList };
}

/**
 * An attachment as a record job carries it: staged in MinIO by the gateway, referred to by index
 * and digest. The worker checks these with the limits the gateway used (the bytes themselves
 * are checked where the worker reads them).
 */
export function stagedAttachmentSchemas(limits: AttachmentLimits) {
  const StagedAttachment = z.object({
    index: z.number().int().min(0),
    type: z.enum(ATTACHMENT_TYPES),
    subject: z.enum(ATTACHMENT_SUBJECTS),
    contentType: contentTypeSchema(limits.allowedContentTypes),
    size: z.number().int().min(1).max(limits.maxAttachmentBytes),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  });
  const StagedAttachmentList = z
    .array(StagedAttachment)
    .max(limits.maxAttachments, `at most ${limits.maxAttachments} attachments are allowed`)
    .superRefine((list, ctx) => {
      // The gateway numbers them 0, 1, 2… in order; the staging key is made from the index.
      list.forEach((attachment, position) => {
        if (attachment.index !== position) {
          addRuleIssue(ctx, 'index equals position', `attachment ${position} has index ${attachment.index}`, [position, 'index']);
        }
      });
    });
  return { StagedAttachment, StagedAttachmentList };
}

/**
 * MIME types are case-insensitive, so `IMAGE/PNG` is accepted and stored as `image/png`. The
 * length is checked first, and a refused type is quoted briefly.
 */
function contentTypeSchema(allowed: readonly string[]) {
  return z
    .string()
    .trim()
    .max(MAX_CONTENT_TYPE_LENGTH, { abort: true })
    .toLowerCase()
    .superRefine((value, ctx) => {
      if (!allowed.includes(value)) {
        addRuleIssue(
          ctx,
          'allowed content type',
          `content type ${value === '' ? '(empty)' : echo(value)} is not allowed; allowed: ${allowed.join(', ')}`,
        );
      }
    });
}

/**
 * Not trimmed: whitespace is not base64, and the bytes stored must be exactly the bytes sent.
 * The size is checked first, from the length alone, so an oversized file is never decoded.
 */
function base64DataSchema(maxBytes: number) {
  const limit = formatBytes(maxBytes);
  return z.string().superRefine((value, ctx) => {
    const size = decodedBase64Size(value);
    if (value.length === 0) {
      addRuleIssue(ctx, 'not empty', 'attachment is empty (0 bytes)');
      return;
    }
    if (size > maxBytes) {
      addRuleIssue(ctx, `max size ${limit}`, oversizeMessage(size, maxBytes));
      return;
    }
    const problem = base64Problem(value);
    if (problem !== undefined) addRuleIssue(ctx, 'base64', `attachment data ${problem}`);
  });
}

function oversizeMessage(size: number, maxBytes: number): string {
  const shown = formatBytes(size);
  const limit = formatBytes(maxBytes);
  // 5 MB + 1 byte rounds to "5 MB"; then only exact byte counts tell the client what is wrong.
  return shown === limit
    ? `attachment is ${size} bytes, the limit is ${maxBytes} bytes (${limit})`
    : `attachment is ${shown}, the limit is ${limit}`;
}
