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
