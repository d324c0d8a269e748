/**
 * The deployment settings of the record inputs and the fixed counts. The schemas (inputs.ts) and
 * the SDL (schema-sdl.ts) are both built from these, so the documented limits are the enforced ones.
 */
import { z } from 'zod';
import { DEFAULT_ATTACHMENT_CONTENT_TYPES } from './enums.js';
import { isRecognisedContentType, RECOGNISED_CONTENT_TYPES } from './signatures.js';

export interface RecordInputOptions {
  /** Largest decoded size of one attachment, in bytes. Default 5 MiB. */
  maxAttachmentBytes?: number;
  /** Most attachments in one submission. Default 10. */
  maxAttachments?: number;
  /**
   * Accepted attachment MIME types. Default image/jpeg, image/png, application/pdf. Each must be
   * one whose bytes can be checked (signatures.ts), or the limits refuse to be built.
   */
  allowedContentTypes?: readonly string[];
  /** The clock that decides what "in the future" means. Tests pin it. */
  now?: () => Date;
}

export const DEFAULT_MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;
export const DEFAULT_MAX_ATTACHMENTS = 10;
export const MAX_CORRECTION_CHANGES = 50;
export const MIN_WITNESSES = 2;
export const MAX_WITNESSES = 4;

/** The limits after defaults; `schema-sdl.ts` documents the same numbers. */
export interface RecordInputLimits {
  maxAttachmentBytes: number;
  maxAttachments: number;
  allowedContentTypes: readonly string[];
}

export function recordInputLimits(options: RecordInputOptions = {}): RecordInputLimits {
  const limits = {
    maxAttachmentBytes: options.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES,
    maxAttachments: options.maxAttachments ?? DEFAULT_MAX_ATTACHMENTS,
    allowedContentTypes: options.allowedContentTypes ?? DEFAULT_ATTACHMENT_CONTENT_TYPES,
  };
  // A bad limit would silently accept or refuse every attachment: fail at startup instead.
  if (!Number.isSafeInteger(limits.maxAttachmentBytes) || limits.maxAttachmentBytes < 1) {
    throw new RangeError(`maxAttachmentBytes must be a positive integer, got ${limits.maxAttachmentBytes}`);
  }
  if (!Number.isSafeInteger(limits.maxAttachments) || limits.maxAttachments < 0) {
    throw new RangeError(`maxAttachments must be an integer >= 0, got ${limits.maxAttachments}`);
  }
  const badType = limits.allowedContentTypes.find((type) => !/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/.test(type));
  if (limits.allowedContentTypes.length === 0 || badType !== undefined) {
    throw new RangeError(`allowedContentTypes must be lower-case MIME types, got ${JSON.stringify(badType ?? [])}`);
  }
  const unchecked = limits.allowedContentTypes.find((type) => !isRecognisedContentType(type));
  if (unchecked !== undefined) {
    throw new RangeError(
      `allowedContentTypes: the bytes of ${unchecked} cannot be checked; allowed may be ${RECOGNISED_CONTENT_TYPES.join(', ')}`,
    );
  }
  return limits;
}

/**
 * The attachment limits as environment variables: every service that validates record inputs
 * (the gateway at submission, the workflow when it runs the job) must read the same ones, so a
 * job the gateway accepted passes the workflow's check. Spread into a service's env schema.
 */
export const recordInputEnvShape = {
  /** Largest decoded attachment, in bytes. */
  ATTACHMENT_MAX_BYTES: z.coerce.number().int().min(1).default(DEFAULT_MAX_ATTACHMENT_BYTES),
  /** Most attachments in one submission. */
  ATTACHMENT_MAX_COUNT: z.coerce.number().int().min(0).default(DEFAULT_MAX_ATTACHMENTS),
};

/** The input options a service's environment (with `recordInputEnvShape`) sets. */
export function recordInputOptionsFrom(env: { ATTACHMENT_MAX_BYTES: number; ATTACHMENT_MAX_COUNT: number }): RecordInputOptions {
  return { maxAttachmentBytes: env.ATTACHMENT_MAX_BYTES, maxAttachments: env.ATTACHMENT_MAX_COUNT };
}
