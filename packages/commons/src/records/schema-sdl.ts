/**
 * The GraphQL SDL of the record inputs: the same types and fields as the zod schemas of
 * inputs.ts (a test compares them), each documented with its rules. The gateway adds the
 * Mutation and Query types. Limits come from the same options as the schemas, so the
 * documentation states the limits the deployment enforces.
 */
import { formatBytes } from './base64.js';
import { EARLIEST_DATE } from './dates.js';
import {
  ATTACHMENT_SUBJECTS,
  ATTACHMENT_TYPES,
  CORRECTION_REASONS,
  GENDERS,
  INFORMANT_RELATIONSHIPS,
} from './enums.js';
import { MAX_CONTENT_TYPE_LENGTH } from './attachment.js';
import type { RecordInputOptions } from './limits.js';
import { MAX_CORRECTION_CHANGES, MAX_WITNESSES, MIN_WITNESSES, recordInputLimits } from './limits.js';

interface SdlField {
  name: string;
  /** GraphQL type reference, e.g. `String!` or `[PersonInput!]!`. */
  type: string;
  doc: string;
  defaultValue?: string;
}

const DATE_RULE = `YYYY-MM-DD, a real calendar date, not in the future, not before ${EARLIEST_DATE}`;

/** What every name and piece of text may hold (text.ts); said once per input type that has text. */
const TEXT_RULE =
  'Text is trimmed and stored in Unicode NFC; it may not hold control characters (NUL included), ' +
  'bidirectional controls (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F, U+061C) or lone surrogates.';

/** The SDL for the given limits; use the same options as `recordInputSchemas`. */
export function recordInputsSdlFor(options: RecordInputOptions = {}): string {
  const limits = recordInputLimits(options);
  const maxSize = formatBytes(limits.maxAttachmentBytes);
  const attachments: SdlField = {
    name: 'attachments',
    type: '[AttachmentInput!]!',
    defaultValue: '[]',
    doc: `Supporting documents, at most ${limits.maxAttachments}. Default: none.`,
  };

  return [
    enumType('Gender', 'Gender of a person as recorded.', GENDERS),
    enumType(
      'InformantRelationship',
      'How the informant is related to the subject of the record.',
      INFORMANT_RELATIONSHIPS,
    ),
    enumType('AttachmentType', 'What kind of document an attachment is.', ATTACHMENT_TYPES),
    enumType('AttachmentSubject', 'Whom an attachment is about.', ATTACHMENT_SUBJECTS),
    enumType('CorrectionReason', 'Why a registered record is corrected.', CORRECTION_REASONS),

    inputType(
      'PersonInput',
      `A person named in a registration. ${TEXT_RULE}`,
      personFields(),
    ),
    inputType('InformantInput', `The person who gives the information, and how they are related to the subject. ${TEXT_RULE}`, [
      ...personFields(),
      { name: 'relationship', type: 'InformantRelationship!', doc: 'Relationship to the subject of the record.' },
    ]),
    inputType('PlaceInput', `Where the event happened. ${TEXT_RULE}`, [
      { name: 'country', type: 'String!', doc: 'ISO 3166-1 alpha-3 country code in capitals, e.g. KEN (3 characters).' },
      { name: 'district', type: 'String', doc: 'District or other administrative area, 1-100 characters.' },
      { name: 'locality', type: 'String', doc: 'Town, village or neighbourhood, 1-100 characters.' },
      { name: 'facility', type: 'String', doc: 'Health facility or venue, 1-200 characters.' },
    ]),
    inputType('ContactInput', 'How to reach the informant. At least one of phone and email is required.', [
      {
        name: 'phone',
        type: 'String',
        doc: 'E.164 phone number: + then 8-15 digits, no spaces, e.g. +254712345678 (at most 16 characters).',
      },
      { name: 'email', type: 'String', doc: 'Email address, at most 254 characters.' },
    ]),
    inputType('AttachmentInput', 'A supporting document, sent inline.', [
      { name: 'type', type: 'AttachmentType!', doc: 'What the document is.' },
      { name: 'subject', type: 'AttachmentSubject!', doc: 'Whom the document is about.' },
      {
        name: 'contentType',
        type: 'String!',
        doc:
          `MIME type, one of: ${limits.allowedContentTypes.join(', ')} (case-insensitive, at most ` +
          `${MAX_CONTENT_TYPE_LENGTH} characters). The file's first bytes must be those of this type: ` +
          'a file of another kind (an SVG or a PDF declared image/png) is refused.',
      },
      {
        name: 'data',
        type: 'String!',
        doc:
          'The file as strict base64 (RFC 4648 standard alphabet, = padded, no whitespace, ' +
          `no data: prefix); 1 byte to ${maxSize} decoded.`,
      },
    ]),
    inputType('RegistrationInput', `Submission details common to every registration. ${TEXT_RULE}`, [
      {
        name: 'draftId',
        type: 'ID!',
        doc:
          'Client-chosen idempotency key: a UUID (36 characters, any version, either case). ' +
          'Submitting the same draftId again never creates a second record.',
      },
      { name: 'contact', type: 'ContactInput!', doc: 'How to reach the informant.' },
      {
        name: 'comment',
        type: 'String',
        doc: 'Note for the registration office, at most 500 characters; may span lines (line feeds and tabs).',
      },
    ]),
    inputType('BirthRegistrationInput', 'A birth declaration.', [
      { name: 'registration', type: 'RegistrationInput!', doc: 'Submission details, including the draftId.' },
      {
        name: 'child',
        type: 'PersonInput!',
        doc: 'The child. child.birthDate may be left out; when given it must equal eventDate.',
      },
      { name: 'mother', type: 'PersonInput', doc: 'The mother; her birth date, when given, is not after eventDate.' },
      { name: 'father', type: 'PersonInput', doc: 'The father; his birth date, when given, is not after eventDate.' },
      { name: 'informant', type: 'InformantInput!', doc: 'Who declares the birth.' },
      { name: 'eventDate', type: 'String!', doc: `Date of birth: ${DATE_RULE}.` },
      { name: 'eventLocation', type: 'PlaceInput!', doc: 'Place of birth.' },
      { name: 'weightAtBirthKg', type: 'Float', doc: 'Weight at birth in kilograms, 0.2-10.' },
      attachments,
    ]),
    inputType('DeathRegistrationInput', 'A death declaration.', [
      { name: 'registration', type: 'RegistrationInput!', doc: 'Submission details, including the draftId.' },
      { name: 'deceased', type: 'PersonInput!', doc: 'The person who died.' },
      { name: 'eventDate', type: 'String!', doc: `Date of death: ${DATE_RULE}; not before deceased.birthDate.` },
      { name: 'eventLocation', type: 'PlaceInput!', doc: 'Place of death.' },
      { name: 'causeOfDeath', type: 'String', doc: 'Cause of death as certified, 1-200 characters.' },
      { name: 'informant', type: 'InformantInput!', doc: 'Who declares the death.' },
      attachments,
    ]),
    inputType('MarriageRegistrationInput', 'A marriage declaration.', [
      { name: 'registration', type: 'RegistrationInput!', doc: 'Submission details, including the draftId.' },
      { name: 'bride', type: 'PersonInput!', doc: 'The bride; her birth date, when given, is not after eventDate.' },
      { name: 'groom', type: 'PersonInput!', doc: 'The groom; his birth date, when given, is not after eventDate.' },
      {
        name: 'witnesses',
        type: '[PersonInput!]!',
        doc: `${MIN_WITNESSES} to ${MAX_WITNESSES} witnesses; birth dates, when given, not after eventDate.`,
      },
      { name: 'eventDate', type: 'String!', doc: `Date of the marriage: ${DATE_RULE}.` },
      { name: 'eventLocation', type: 'PlaceInput!', doc: 'Place of the marriage.' },
      { name: 'informant', type: 'InformantInput', doc: 'Who declares the marriage, when not the couple.' },
      attachments,
    ]),
    inputType('CorrectionChangeInput', `One corrected field of a registered record. ${TEXT_RULE}`, [
      {
        name: 'field',
        type: 'String!',
        doc:
          'Path of the field in the registration input: names joined by dots, [n] for a list item, ' +
          'e.g. child.firstNames or witnesses[1].familyName; 1-100 characters. ' +
          'Each field at most once per correction.',
      },
      { name: 'value', type: 'String!', doc: 'The corrected value as text, at most 500 characters.' },
    ]),
    inputType(
      'CorrectionInput',
      'A request to correct a record. Refused while the record waits for external validation ' +
        `(WAITING_EXTERNAL_VALIDATION): correct it once the country has answered. ${TEXT_RULE}`,
      [
      {
        name: 'draftId',
        type: 'ID!',
        doc: 'Client-chosen idempotency key: a UUID (36 characters, any version, either case). Returned by the mutation.',
      },
      { name: 'reason', type: 'CorrectionReason!', doc: 'Why the record is corrected.' },
      {
        name: 'note',
        type: 'String',
        doc: 'Explanation for the registrar, at most 500 characters; may span lines (line feeds and tabs).',
      },
      {
        name: 'changes',
        type: '[CorrectionChangeInput!]!',
        doc: `The corrected fields, 1 to ${MAX_CORRECTION_CHANGES}.`,
      },
      attachments,
      ],
    ),
  ].join('\n\n');
}

/** The SDL with the default limits. */
export const recordInputsSdl: string = recordInputsSdlFor();

function personFields(): SdlField[] {
  return [
    { name: 'firstNames', type: 'String!', doc: 'Given names, 1-100 characters.' },
    { name: 'familyName', type: 'String!', doc: 'Family name, 1-100 characters.' },
    { name: 'birthDate', type: 'String', doc: `Date of birth: ${DATE_RULE}.` },
    { name: 'gender', type: 'Gender', doc: 'Gender as recorded.' },
    { name: 'nationalId', type: 'String', doc: 'National identity number: 4-30 characters, letters, digits or dashes.' },
  ];
}

function inputType(name: string, doc: string, fields: readonly SdlField[]): string {
  const body = fields.map((field) => {
    const defaultValue = field.defaultValue === undefined ? '' : ` = ${field.defaultValue}`;
    return `  ${description(field.doc)}\n  ${field.name}: ${field.type}${defaultValue}`;
  });
  return `${description(doc)}\ninput ${name} {\n${body.join('\n')}\n}`;
}

function enumType(name: string, doc: string, values: readonly string[]): string {
  return `${description(doc)}\nenum ${name} {\n${values.map((value) => `  ${value}`).join('\n')}\n}`;
}

function description(text: string): string {
  return `"""${text}"""`;
}
