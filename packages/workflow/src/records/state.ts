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

/**
 * Whether a record in `current` may be corrected (or have a correction requested), as a refusal
 * (code and reason) or undefined. A rejected record is closed. A record waiting for the country's
 * external validation is not changed under it: the country validated the record as it was sent,
 * and its confirmation must still find the record waiting (a correction would move it on and the
 * confirmation would be refused, leaving the record never registered). Correct it afterwards.
 */
export function correctionRefusal(current: RegistrationStatus): { code: string; reason: string } | undefined {
  switch (current) {
    case 'WAITING_EXTERNAL_VALIDATION':
      return {
        code: 'AWAITING_EXTERNAL_VALIDATION',
        reason:
          'the record is waiting for external validation by the country (WAITING_EXTERNAL_VALIDATION); ' +
          'submit the correction once the country has registered it',
      };
    case 'REJECTED':
      return { code: 'INVALID_STATE', reason: 'the record was rejected and is closed' };
    case 'DECLARED':
    case 'VALIDATED':
    case 'REGISTERED':
    case 'CORRECTION_REQUESTED':
    case 'CORRECTED':
      return undefined;
  }
}

export function toCorrectionRequested(current: RegistrationStatus): RegistrationStatus {
  const refusal = correctionRefusal(current);
  if (refusal) throw new Rejection(refusal.code, `a correction cannot be requested: ${refusal.reason}`);
  return 'CORRECTION_REQUESTED';
}

export function toCorrected(current: RegistrationStatus): RegistrationStatus {
  const refusal = correctionRefusal(current);
  if (refusal) throw new Rejection(refusal.code, `the record cannot be corrected: ${refusal.reason}`);
  return 'CORRECTED';
}
