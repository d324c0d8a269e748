/**
 * The legal transitions of a record's registration status. Each submission's action asks for
 * one; an illegal one is a rejection of the submission, never a retry.
 */
import type { RecordAction, RegistrationStatus } from '@steadfast/commons';
import { Rejection } from '../errors.js';

/** The status a new record starts in, by the action the submitter's scopes allow. */
export function initialStatus(action: RecordAction): RegistrationStatus {
  switch (action) {
    case 'declare':
      return 'DECLARED';
    case 'validate':
      return 'VALIDATED';
    // External validation by the country config then confirms (REGISTERED) or rejects.
    case 'register':
      return 'WAITING_EXTERNAL_VALIDATION';
    default:
      throw new Rejection('INVALID_ACTION', `a record cannot be created by the action ${action}`);
  }
}

/** Corrections apply to any record still alive: a rejected record is closed. */
const CORRECTABLE: ReadonlySet<RegistrationStatus> = new Set([
  'DECLARED',
  'VALIDATED',
  'WAITING_EXTERNAL_VALIDATION',
  'REGISTERED',
  'CORRECTION_REQUESTED',
  'CORRECTED',
]);

export function toCorrectionRequested(current: RegistrationStatus): RegistrationStatus {
  if (!CORRECTABLE.has(current)) {
    throw new Rejection('INVALID_STATE', `a correction cannot be requested for a record that is ${current}`);
  }
  return 'CORRECTION_REQUESTED';
}

export function toCorrected(current: RegistrationStatus): RegistrationStatus {
  if (!CORRECTABLE.has(current)) {
    throw new Rejection('INVALID_STATE', `a record that is ${current} cannot be corrected`);
  }
  return 'CORRECTED';
}
