/**
 * The worker's own check of a record job, before anything is written. The gateway validates a
 * submission before it queues it, but a job can reach the queue by other paths: Bull Board's
 * add-job and update-data, a script, anyone with Redis. So the worker checks what the job holds
 * with the same schemas the gateway uses (commons' recordInputSchemas, built from the same
 * limits), and that its parts agree with one another as the gateway writes them. Pure: the
 * caller reads the job, this decides.
 */
import { describeIssues, validateInput, type RecordAction, type RecordInputSchemas, type RecordJobData } from '@steadfast/commons';

export type JobCheck = { ok: true; details: Record<string, unknown> } | { ok: false; reason: string };

/** The actions the gateway chooses for each operation (see its `actionFor`). */
const ACTIONS: Readonly<Record<RecordJobData['operation'], readonly RecordAction[]>> = {
  create: ['declare', 'validate', 'register'],
  'request-correction': ['request-correction'],
  correct: ['correct'],
};

const refused = (reason: string): JobCheck => ({ ok: false, reason: `invalid job: ${reason}` });

/**
 * Whether `data` is a job the gateway could have queued, and its details as the schema leaves
 * them (trimmed, NFC): those are what gets stored, whatever the job held.
 */
export function checkJob(data: RecordJobData, schemas: RecordInputSchemas): JobCheck {
  if (!ACTIONS[data.operation].includes(data.action)) {
    return refused(`the action ${data.action} does not belong to the operation ${data.operation}`);
  }
  const isCreate = data.operation === 'create';
  if (isCreate === (data.recordId !== undefined)) {
    return refused(isCreate ? 'a new record names no existing record' : 'a correction must name the record it corrects');
  }
  if (data.operation === 'request-correction' ? data.event !== undefined : data.event === undefined) {
    return refused(data.event === undefined ? 'the job does not say which event it registers' : 'a correction request names no event');
  }
  // Only a create has its files placed at the record's keys (a correction names any record).
  if (data.placed && !isCreate) return refused('only a new record has its attachments placed');
  // The job carries references to the staged files, never the files.
  if ('attachments' in data.details) return refused('details.attachments must not be in a job: attachments are staged');

  const schema = schemaFor(data, schemas);
  const details = validateInput(schema, data.details, 'details');
  if (!details.ok) return refused(`the details break the submission rules: ${describeIssues(details.issues)}`);
  const staged = validateInput(schemas.StagedAttachmentList, data.attachments, 'attachments');
  if (!staged.ok) return refused(`the attachments break the submission rules: ${describeIssues(staged.issues)}`);

  // The schema fills in `attachments: []`; the job's files are its references, stored apart.
  const stored: Record<string, unknown> = { ...(details.value as Record<string, unknown>) };
  delete stored['attachments'];
  const draftId = draftIdOf(stored);
  if (draftId !== data.draftId) return refused(`the details carry another draftId than the job (${data.draftId})`);
  return { ok: true, details: stored };
}

function schemaFor(data: RecordJobData, schemas: RecordInputSchemas) {
  if (data.operation === 'request-correction') return schemas.CorrectionInput;
  switch (data.event) {
    case 'death':
      return schemas.DeathRegistrationInput;
    case 'marriage':
      return schemas.MarriageRegistrationInput;
    default:
      return schemas.BirthRegistrationInput;
  }
}

/** A registration carries its draftId in `registration`, a correction request at the top. */
function draftIdOf(details: Record<string, unknown>): unknown {
  const registration = details['registration'];
  if (typeof registration === 'object' && registration !== null) return (registration as Record<string, unknown>)['draftId'];
  return details['draftId'];
}
