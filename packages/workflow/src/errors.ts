/**
 * A submission the workflow finds invalid (a correction of a record that does not exist, a
 * payload reusing another's draftId): retrying cannot help, so it ends as `RecordRejected`.
 */
export class Rejection extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'Rejection';
  }
}

/** Work that must wait for earlier work on the same record; retried with backoff. */
export class EarlierWorkPending extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EarlierWorkPending';
  }
}

/**
 * A job the gateway could not have queued (invalid details, parts that disagree, staged files
 * that are not what it says): rejected like any invalid submission, and failed for an admin.
 */
export class InvalidJob extends Rejection {
  constructor(reason: string) {
    super('INVALID_JOB', reason);
    this.name = 'InvalidJob';
  }
}
