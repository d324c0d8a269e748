/**
 * The closed value lists of the registration inputs. The zod schemas and the GraphQL enums are
 * both built from these arrays, so a value added here reaches both at once.
 */

export const GENDERS = ['male', 'female', 'unknown'] as const;

export const INFORMANT_RELATIONSHIPS = [
  'MOTHER',
  'FATHER',
  'GRANDPARENT',
  'SIBLING',
  'SPOUSE',
  'SON',
  'DAUGHTER',
  'OTHER_FAMILY_MEMBER',
  'LEGAL_GUARDIAN',
  'HEALTH_WORKER',
  'SELF',
  'OTHER',
] as const;

export const ATTACHMENT_TYPES = [
  'BIRTH_NOTIFICATION',
  'PROOF_OF_IDENTITY',
  'DEATH_CERTIFICATE',
  'MARRIAGE_NOTICE',
  'CORRECTION_EVIDENCE',
  'OTHER',
] as const;

export const ATTACHMENT_SUBJECTS = [
  'CHILD',
  'MOTHER',
  'FATHER',
  'INFORMANT',
  'DECEASED',
  'BRIDE',
  'GROOM',
  'WITNESS',
  'OTHER',
] as const;

export const CORRECTION_REASONS = ['CLERICAL_ERROR', 'MATERIAL_ERROR', 'COURT_ORDER', 'OTHER'] as const;

/**
 * Content types accepted by default. Not a GraphQL enum: `image/jpeg` is not a valid enum name,
 * and deployments may change the list (see `recordInputSchemas`).
 */
export const DEFAULT_ATTACHMENT_CONTENT_TYPES = ['image/jpeg', 'image/png', 'application/pdf'] as const;

export type Gender = (typeof GENDERS)[number];
export type InformantRelationship = (typeof INFORMANT_RELATIONSHIPS)[number];
export type AttachmentType = (typeof ATTACHMENT_TYPES)[number];
export type AttachmentSubject = (typeof ATTACHMENT_SUBJECTS)[number];
export type CorrectionReason = (typeof CORRECTION_REASONS)[number];
