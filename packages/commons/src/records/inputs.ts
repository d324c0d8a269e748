/**
 * The registration inputs of the GraphQL API as zod schemas. They are the TypeScript types too:
 * `BirthRegistrationInput` is both the schema and `z.infer` of it. `schema-sdl.ts` describes the
 * same fields to GraphQL clients; a test keeps the two in step.
 *
 * Validate with `validateInput` (validation.ts) rather than `.parse`: it treats GraphQL's `null`
 * as an absent field and reports each problem as a field path and a rule name.
 */
import { z } from 'zod';
import { echo } from '../echo.js';
import { attachmentSchemas, stagedAttachmentSchemas } from './attachment.js';
import { type AtPath, birthDateOf, bornByEventDate, bothDates, isRecord } from './cross-field.js';
import { CORRECTION_REASONS, GENDERS, INFORMANT_RELATIONSHIPS } from './enums.js';
import { countryCode, email, multilineText, nationalId, pastDate, phone, text, uuid } from './fields.js';
import {
  MAX_CORRECTION_CHANGES,
  MAX_WITNESSES,
  MIN_WITNESSES,
  type RecordInputOptions,
  recordInputLimits,
} from './limits.js';
import { addRuleIssue, evenWithFieldIssues, rule } from './rules.js';

/** A corrected field: names joined by dots, a name may carry an index (witnesses[1].familyName). */
const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])?(?:\.[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])?)*$/;

/** Builds every record input schema for the given limits. */
export function recordInputSchemas(options: RecordInputOptions = {}) {
  const limits = recordInputLimits(options);
  const now = options.now ?? (() => new Date());
  const date = pastDate(now);
  const { AttachmentInput, AttachmentList } = attachmentSchemas(limits);
  const { StagedAttachmentList } = stagedAttachmentSchemas(limits);

  const PersonInput = z.strictObject({
    firstNames: text(100),
    familyName: text(100),
    birthDate: date.optional(),
    gender: z.enum(GENDERS).optional(),
    nationalId: nationalId.optional(),
  });

  const InformantInput = PersonInput.extend({
    relationship: z.enum(INFORMANT_RELATIONSHIPS),
  });

  const PlaceInput = z.strictObject({
    country: countryCode,
    district: text(100).optional(),
    locality: text(100).optional(),
    facility: text(200).optional(),
  });

  const ContactInput = z
    .strictObject({ phone: phone.optional(), email: email.optional() })
    .superRefine((contact, ctx) => {
      if (contact.phone === undefined && contact.email === undefined) {
        addRuleIssue(ctx, 'at least one of phone, email', 'give a phone number or an email address (or both)');
      }
    }, evenWithFieldIssues);

  const RegistrationMetaInput = z.strictObject({
    draftId: uuid,
    contact: ContactInput,
    comment: multilineText(500).optional(),
  });

  const BirthRegistrationInput = z
    .strictObject({
      registration: RegistrationMetaInput,
      child: PersonInput,
      mother: PersonInput.optional(),
      father: PersonInput.optional(),
      informant: InformantInput,
      eventDate: date,
      eventLocation: PlaceInput,
      weightAtBirthKg: z.number().min(0.2).max(10).optional(),
      attachments: AttachmentList,
    })
    .superRefine((birth, ctx) => {
      const childBirthDate = birthDateOf(birth.child);
      if (bothDates(childBirthDate, birth.eventDate) && childBirthDate !== birth.eventDate) {
        addRuleIssue(
          ctx,
          'equals eventDate',
          `the child's birth date ${childBirthDate} differs from the event date ${birth.eventDate}; ` +
            'leave it out or make them equal',
          ['child', 'birthDate'],
        );
      }
      bornByEventDate(ctx, birth.eventDate, [
        [['mother'], birth.mother],
        [['father'], birth.father],
      ]);
    }, evenWithFieldIssues);

  const DeathRegistrationInput = z
    .strictObject({
      registration: RegistrationMetaInput,
      deceased: PersonInput,
      eventDate: date,
      eventLocation: PlaceInput,
      causeOfDeath: text(200).optional(),
      informant: InformantInput,
      attachments: AttachmentList,
    })
    .superRefine((death, ctx) => {
      const birthDate = birthDateOf(death.deceased);
      if (bothDates(birthDate, death.eventDate) && death.eventDate < birthDate) {
        addRuleIssue(
          ctx,
          'not before deceased.birthDate',
          `the date of death ${death.eventDate} is before the date of birth ${birthDate}`,
          ['eventDate'],
        );
      }
    }, evenWithFieldIssues);

  const MarriageRegistrationInput = z
    .strictObject({
      registration: RegistrationMetaInput,
      bride: PersonInput,
      groom: PersonInput,
      witnesses: z
        .array(PersonInput)
        .min(MIN_WITNESSES, `at least ${MIN_WITNESSES} witnesses are required`)
        .max(MAX_WITNESSES, `at most ${MAX_WITNESSES} witnesses are allowed`),
      eventDate: date,
      eventLocation: PlaceInput,
      informant: InformantInput.optional(),
      attachments: AttachmentList,
    })
    .superRefine((marriage, ctx) => {
      // Refinements also run on partly invalid input, where `witnesses` may not be an array.
      const witnesses = Array.isArray(marriage.witnesses) ? marriage.witnesses : [];
      bornByEventDate(ctx, marriage.eventDate, [
        [['bride'], marriage.bride],
        [['groom'], marriage.groom],
        ...witnesses.map((witness, index): AtPath<unknown> => [['witnesses', index], witness]),
      ]);
    }, evenWithFieldIssues);

  const CorrectionChangeInput = z.strictObject({
    field: text(100).refine(
      (path) => FIELD_PATH.test(path),
      rule('dotted field path', 'must be a field path such as child.firstNames or witnesses[1].familyName'),
    ),
    value: text(500, 0),
  });

  const CorrectionInput = z
    .strictObject({
      draftId: uuid,
      reason: z.enum(CORRECTION_REASONS),
      note: multilineText(500).optional(),
      changes: z
        .array(CorrectionChangeInput)
        .min(1, 'at least one change is required')
        .max(MAX_CORRECTION_CHANGES, `at most ${MAX_CORRECTION_CHANGES} changes are allowed`),
      attachments: AttachmentList,
    })
    .superRefine((correction, ctx) => {
      if (!Array.isArray(correction.changes)) return;
      const seen = new Set<string>();
      correction.changes.forEach((change: unknown, index) => {
        const field = isRecord(change) ? change['field'] : undefined;
        if (typeof field !== 'string') return;
        // Two values for one field would make the corrected record depend on their order.
        if (seen.has(field)) {
          addRuleIssue(ctx, 'unique field', `${echo(field)} is changed more than once`, ['changes', index, 'field']);
        }
        seen.add(field);
      });
    }, evenWithFieldIssues);

  return {
    PersonInput,
    InformantInput,
    PlaceInput,
    ContactInput,
    AttachmentInput,
    RegistrationMetaInput,
    BirthRegistrationInput,
    DeathRegistrationInput,
    MarriageRegistrationInput,
    CorrectionChangeInput,
    CorrectionInput,
    /** Not an API input: the attachments of a record job, staged by the gateway. */
    StagedAttachmentList,
  };
}

export type RecordInputSchemas = ReturnType<typeof recordInputSchemas>;

/** The schemas with the default limits. */
export const recordInputs: RecordInputSchemas = recordInputSchemas();

export const {
  PersonInput,
  InformantInput,
  PlaceInput,
  ContactInput,
  AttachmentInput,
  RegistrationMetaInput,
  BirthRegistrationInput,
  DeathRegistrationInput,
  MarriageRegistrationInput,
  CorrectionChangeInput,
  CorrectionInput,
} = recordInputs;

export type PersonInput = z.infer<typeof PersonInput>;
export type InformantInput = z.infer<typeof InformantInput>;
export type PlaceInput = z.infer<typeof PlaceInput>;
export type ContactInput = z.infer<typeof ContactInput>;
export type AttachmentInput = z.infer<typeof AttachmentInput>;
export type RegistrationMetaInput = z.infer<typeof RegistrationMetaInput>;
export type BirthRegistrationInput = z.infer<typeof BirthRegistrationInput>;
export type DeathRegistrationInput = z.infer<typeof DeathRegistrationInput>;
export type MarriageRegistrationInput = z.infer<typeof MarriageRegistrationInput>;
export type CorrectionChangeInput = z.infer<typeof CorrectionChangeInput>;
export type CorrectionInput = z.infer<typeof CorrectionInput>;
