/**
 * The record's domain events. Every change to a record document writes one, in the same
 * single-document write, with `sequence` = the record's new `version`; its data is the part of
 * `RecordState` the change set.
 */
import { domainEvent, type DomainEvent } from '../events/domain-event.js';
import type { RecordState } from './documents.js';

export const RECORD_EVENT_TYPES = [
  'record.created',
  'record.correction-requested',
  'record.corrected',
  'record.duplicates-flagged',
  'record.registered',
  'record.rejected',
  'record.actors-updated',
] as const;
export type RecordEventType = (typeof RECORD_EVENT_TYPES)[number];

export interface RecordEventInput {
  recordId: string;
  sequence: number;
  type: RecordEventType;
  changes: Partial<RecordState>;
  at: Date;
  correlationId?: string;
}

export const recordEvent = (input: RecordEventInput): DomainEvent =>
  domainEvent({
    source: 'workflow',
    aggregate: 'record',
    type: input.type,
    aggregateId: input.recordId,
    sequence: input.sequence,
    data: input.changes,
    at: input.at,
    ...(input.correlationId ? { correlationId: input.correlationId } : {}),
  });
