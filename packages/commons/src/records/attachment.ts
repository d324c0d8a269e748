/**
 * The attachment input: a scanned document sent inline as base64. Its size limit and content
 * types are deployment settings, so the schema is built from them.
 */
import { z } from 'zod';
import { base64Problem, decodedBase64Size, formatBytes } from './base64.js';
import { ATTACHMENT_SUBJECTS, ATTACHMENT_TYPES } from './enums.js';
import { addRuleIssue } from './rules.js';

export interface AttachmentLimits {
  /** Largest decoded size of one attachment, in bytes. */
  maxAttachmentBytes: number;
  /** Most attachments in one submission. */
  maxAttachments: number;
  /** Lower-case MIME types accepted. */
  allowedContentTypes: readonly string[];
}

export function attachmentSchemas(limits: AttachmentLimits) {
  const AttachmentInput = z.strictObject({
    type: z.enum(ATTACHMENT_TYPES),
    subject: z.enum(ATTACHMENT_SUBJECTS),
    contentType: contentTypeSchema(limits.allowedContentTypes),
    data: base64DataSchema(limits.maxAttachmentBytes),
  });
  const AttachmentList = z
    .array(AttachmentInput)
    .max(limits.maxAttachments, `at most ${limits.maxAttachments} attachments are allowed`)
    .default([]);
  return { AttachmentInput, AttachmentList };
}

/** MIME types are case-insensitive, so `IMAGE/PNG` is accepted and stored as `image/png`. */
function contentTypeSchema(allowed: readonly string[]) {
  return z
    .string()
    .trim()
    .toLowerCase()
    .superRefine((value, ctx) => {
      if (!allowed.includes(value)) {
        addRuleIssue(
          ctx,
          'allowed content type',
          `content type ${value || '(empty)'} is not allowed; allowed: ${allowed.join(', ')}`,
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
