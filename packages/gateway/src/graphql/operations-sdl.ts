/** The gateway's operations and result types; the input types come from commons. */
export const operationsSdl = /* GraphQL */ `
  """
  What a write returns: the submission was durably queued under its draftId. Sending the same
  payload under the same draftId again is the same submission. A repeat by a user other than the
  one who submitted it (unless they hold validate, register or sysadmin) is refused with
  IDEMPOTENCY_KEY_REUSED and changes nothing: it never returns the record's ids.
  """
  type CreatedIds {
    "The client's idempotency key, echoed."
    draftId: ID!
    "Known only when this draftId was already processed (a repeated submission by its submitter or a privileged user)."
    recordId: ID
    "Known only when this draftId was already processed."
    trackingId: String
  }

  enum RegistrationStatus {
    DECLARED
    VALIDATED
    WAITING_EXTERNAL_VALIDATION
    REGISTERED
    REJECTED
    CORRECTION_REQUESTED
    CORRECTED
  }

  "Received, not yet written to every store. Keep the draft; ask again later."
  type RecordProcessing {
    draftId: ID!
    "Attempts made so far (0 while waiting for its first)."
    attempts: Int!
    "The step the submission is at: metadata, attachments, search, duplicates, audit, cleanup, finish."
    step: String!
    "Why the last attempt failed, if it did."
    lastError: String
  }

  "Written to every store: MongoDB, MinIO, Elasticsearch and the audit log. The draft can go."
  type RecordProcessed {
    draftId: ID!
    recordId: ID!
    trackingId: String!
    hasPotentialDuplicates: Boolean!
    registrationStatus: RegistrationStatus!
    registrationNumber: String
  }

  "The workflow found the submission invalid. Terminal: fix it and submit under a new draftId."
  type RecordRejected {
    draftId: ID!
    reason: String!
    code: String
  }

  """
  Never received: submit it again (with the same draftId). Also the answer for a draft the asking
  user may not see (see Query.fetchRecordStatus), so that whether a draftId exists does not leak.
  """
  type RecordUnknown {
    draftId: ID!
  }

  union RecordStatus = RecordProcessing | RecordProcessed | RecordRejected | RecordUnknown

  "A record that a duplicate check found similar to another: same event, similar names, event dates within three days."
  type DuplicateCandidate {
    recordId: ID!
    trackingId: String!
    registrationStatus: RegistrationStatus!
    "When the pair was found (ISO 8601)."
    foundAt: String!
  }

  "A record's potential duplicates, read from the stored pairs (each pair once, whichever record found the other)."
  type DuplicateCandidates {
    recordId: ID!
    hasPotentialDuplicates: Boolean!
    "Oldest pair first, at most first."
    candidates: [DuplicateCandidate!]!
    "True when more candidates are stored than were returned."
    hasMore: Boolean!
    "Similar records this record's own check matched beyond the per-record cap and did not pair with: find them by searching its names."
    overflow: Int!
  }

  type Mutation {
    createBirthRegistration(details: BirthRegistrationInput!): CreatedIds!
    createDeathRegistration(details: DeathRegistrationInput!): CreatedIds!
    createMarriageRegistration(details: MarriageRegistrationInput!): CreatedIds!
    "Asks for a correction of record id; returns details.draftId."
    requestRegistrationCorrection(id: ID!, details: CorrectionInput!): ID!
    "Corrects record id with the full corrected details; returns details.registration.draftId."
    createBirthRegistrationCorrection(id: ID!, details: BirthRegistrationInput!): ID!
    createDeathRegistrationCorrection(id: ID!, details: DeathRegistrationInput!): ID!
    createMarriageRegistrationCorrection(id: ID!, details: MarriageRegistrationInput!): ID!
  }

  type Query {
    """
    The state of any write, by its draftId. With waitSeconds (1 to 30), a submission still
    RecordProcessing is answered when its job completes, fails or fails an attempt (read afresh
    then), or when the wait elapses: one request instead of polling. Without it, or 0, at once.
    Visibility: a status is shown to the user who submitted the draft and to users holding
    validate, register or sysadmin; to anyone else it is RecordUnknown. Each call counts against
    the caller's status-read rate limit (RATE_LIMITED, HTTP 429 with Retry-After).
    """
    fetchRecordStatus(draftId: ID!, waitSeconds: Int): RecordStatus!
    """
    The states of 1 to 100 drafts, in the order asked (the same visibility rule per draft). With
    waitSeconds (1 to 30) the request is held while every draft is RecordProcessing, until any of
    them changes or the wait elapses; then all are read afresh. One call counts once against the
    status-read rate limit.
    """
    fetchRecordStatuses(draftIds: [ID!]!, waitSeconds: Int): [RecordStatus!]!
    """
    A record's potential duplicates (first: 1 to 200, 50 when omitted), for users holding validate
    or register; anyone else gets FORBIDDEN. An unknown record has none. Counts against the
    status-read rate limit.
    """
    fetchDuplicateCandidates(recordId: ID!, first: Int): DuplicateCandidates!
  }
`;
