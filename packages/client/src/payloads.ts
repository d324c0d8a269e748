/**
 * From what `submit` was given to the variables stored and sent: a copy (later edits of the
 * caller's object change nothing), with its draftId where the contract puts it, set when absent.
 */
import type { DraftPayload, MutationName } from './drafts.js';
import { randomDraftId } from './ids.js';

export class InvalidSubmissionError extends Error {
  constructor(field: string, rule: string) {
    super(`submit: ${field} ${rule}`);
    this.name = 'InvalidSubmissionError';
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The draftId of CorrectionInput sits in `details.draftId`; every registration input's in `details.registration.draftId`. */
function draftIdHolder(mutation: MutationName, details: Record<string, unknown>): Record<string, unknown> {
  if (mutation === 'requestRegistrationCorrection') return details;
  const registration = details['registration'];
  if (!isObject(registration)) throw new InvalidSubmissionError('details.registration', 'must be an object (it holds the draftId and contact)');
  return registration;
}

export function preparePayload(mutation: MutationName, input: unknown): { draftId: string; payload: DraftPayload } {
  const isCorrection = mutation !== 'createBirthRegistration' && mutation !== 'createDeathRegistration' && mutation !== 'createMarriageRegistration';
  let id: string | undefined;
  let details: unknown = input;
  if (isCorrection) {
    if (!isObject(input)) throw new InvalidSubmissionError('input', 'must be { id, details } for a correction');
    if (typeof input['id'] !== 'string' || input['id'].length === 0) throw new InvalidSubmissionError('id', 'must be the recordId to correct');
    id = input['id'];
    details = input['details'];
  }
  if (!isObject(details)) throw new InvalidSubmissionError('details', 'must be an object');
  // A JSON copy: what is stored is exactly what will be sent, whatever the caller does next.
  const copy = JSON.parse(JSON.stringify(details)) as Record<string, unknown>;
  const holder = draftIdHolder(mutation, copy);
  const given = holder['draftId'];
  if (given !== undefined && (typeof given !== 'string' || given.length === 0)) {
    throw new InvalidSubmissionError('draftId', 'must be a non-empty string (a UUID) when given');
  }
  const draftId = given ?? randomDraftId();
  holder['draftId'] = draftId;
  return { draftId, payload: id === undefined ? { details: copy } : { id, details: copy } };
}

/** Equal payloads, whatever the order of their keys: the caller's own resubmission of a draft is not a new one. */
export function samePayload(a: DraftPayload | undefined, b: DraftPayload): boolean {
  return a !== undefined && canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
