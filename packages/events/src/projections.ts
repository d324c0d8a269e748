/**
 * The projections kept from domain events. Each applies an event at most once, by its sequence:
 * - search: the record's search document. Its Elasticsearch version is the record version it
 *   holds, so an event at or below it is a duplicate, the next one is folded in, and a later one
 *   waits for its predecessor. (The workflow also writes search documents straight from the
 *   record as it goes; both write the same document for the same version.)
 * - audit-trail: one entry per record event, `_id` = the event id; written only after the
 *   entry of the previous sequence, so the trail of a record is complete and in order.
 * - user-copies: user events from auth update the records module's copy of the directory, then
 *   every record that copies the user. It never writes to auth: nothing can loop back.
 */
import {
  chunks,
  eventId,
  isDuplicateKey,
  MAX_IDS_PER_FIND,
  oneAtATime,
  unorderedOutcomes,
  writeErrorsOf,
  type ApplyResult,
  type AuditTrailEntry,
  type Collections,
  type DomainEvent,
  type EventOutcome,
  type Logger,
  type Projection,
  type Redis,
  type SingleEventProjection,
} from '@steadfast/commons';
import { applyChanges, refreshAllCopies, type SearchDocument, type SearchIndex } from '@steadfast/records';
import { z } from 'zod';

/** Reports the size of a batch sent to a store (the `steadfast_batch_size` histogram). */
export type BatchMetric = (store: 'elasticsearch' | 'mongodb', op: string, size: number) => void;

const isRecordEvent = (event: DomainEvent) => event.aggregate === 'record';

export function searchProjection(search: SearchIndex, onBatch?: BatchMetric): Projection {
  return {
    name: 'search',
    handles: isRecordEvent,
    async applyMany(events) {
      const ids = [...new Set(events.map((e) => e.aggregateId))];
      // The versions first: most events are there already (the workflow wrote the document), and
      // a document is read only where one of the batch's events follows it.
      const versions = await search.versionsMany(ids);
      onBatch?.('elasticsearch', 'mget', ids.length);
      const follows = new Set(events.filter((e) => (versions.get(e.aggregateId) ?? 0) + 1 === e.sequence && e.sequence > 1).map((e) => e.aggregateId));
      const docs = await search.getVersionedMany([...follows]);
      if (follows.size > 0) onBatch?.('elasticsearch', 'mget-documents', follows.size);
      // A document gone between the two reads is treated as absent: its events wait for it.
      const state = new Map<string, { doc?: SearchDocument; version: number }>(
        ids.map((id) => [id, docs.get(id) ?? { version: follows.has(id) ? 0 : (versions.get(id) ?? 0) }]),
      );
      const outcomes: EventOutcome[] = [];
      // Each record's documents of this batch, one per event applied, in sequence order.
      const written = new Map<string, Array<{ index: number; doc: SearchDocument }>>();
      const held = new Set<string>();
      events.forEach((event, i) => {
        const id = event.aggregateId;
        const have = state.get(id);
        const version = have?.version ?? 0;
        if (held.has(id)) outcomes[i] = 'waiting';
        else if (event.sequence <= version) outcomes[i] = 'duplicate';
        else if (event.sequence !== version + 1) {
          outcomes[i] = 'waiting';
          held.add(id);
        } else {
          try {
            const doc = applyChanges(have?.doc, id, event.data, event.sequence);
            state.set(id, { doc, version: event.sequence });
            written.set(id, [...(written.get(id) ?? []), { index: i, doc }]);
            outcomes[i] = 'applied';
          } catch (error) {
            outcomes[i] = { failed: error };
            held.add(id);
          }
        }
      });
      // One _bulk: each record's newest document (it holds every change of the batch).
      const records = [...written.values()];
      if (records.length === 0) return outcomes;
      onBatch?.('elasticsearch', 'bulk', records.length);
      const results = await search.writeMany(records.map((docs) => ({ doc: docs[docs.length - 1]!.doc })));
      for (const [k, docs] of records.entries()) {
        const result = results[k];
        if (result?.ok) {
          // False: this version or a newer one was there already.
          if (!result.value) for (const { index } of docs) outcomes[index] = 'duplicate';
          continue;
        }
        // Refused: which event's change was refused, written one at a time; the ones after it wait.
        let refused = false;
        for (const { index, doc } of docs) {
          if (refused) {
            outcomes[index] = 'waiting';
            continue;
          }
          try {
            outcomes[index] = (await search.write(doc)) ? 'applied' : 'duplicate';
          } catch (error) {
            outcomes[index] = { failed: error };
            refused = true;
          }
        }
      }
      return outcomes;
    },
  };
}

const auditEntryOf = (event: DomainEvent): AuditTrailEntry => ({
  _id: event.id,
  recordId: event.aggregateId,
  sequence: event.sequence,
  type: event.type,
  source: event.source,
  changes: Object.keys(event.data).sort(),
  ...(event.correlationId ? { correlationId: event.correlationId } : {}),
  occurredAt: new Date(event.occurredAt),
  appliedAt: new Date(),
});

export function auditTrailProjection(db: Collections, onBatch?: BatchMetric): Projection {
  return {
    name: 'audit-trail',
    handles: isRecordEvent,
    async applyMany(events) {
      // An entry is written only after the entry of the previous sequence. The batch holds each
      // record's events in sequence, so only the first event of each record needs its
      // predecessor looked up (by _id: FerretDB scans the collection for a query on
      // (recordId, sequence)); an entry already there answers as a duplicate key on insert.
      const firsts = new Map<string, DomainEvent>();
      for (const event of events) if (!firsts.has(event.aggregateId)) firsts.set(event.aggregateId, event);
      const previousIds = [...firsts.values()].filter((e) => e.sequence > 1).map((e) => eventId(e.aggregate, e.aggregateId, e.sequence - 1));
      const present = new Set<string>();
      for (const chunk of chunks(previousIds, MAX_IDS_PER_FIND)) {
        const found = await db.auditTrail.find({ _id: { $in: chunk } }, { projection: { _id: 1 } }).toArray();
        onBatch?.('mongodb', 'find-audit-trail', chunk.length);
        for (const doc of found) present.add(doc._id);
      }
      const outcomes: EventOutcome[] = [];
      const inserts: Array<{ index: number; entry: AuditTrailEntry }> = [];
      const held = new Set<string>();
      events.forEach((event, i) => {
        const previous = eventId(event.aggregate, event.aggregateId, event.sequence - 1);
        if (held.has(event.aggregateId)) outcomes[i] = 'waiting';
        else if (event.sequence > 1 && !present.has(previous)) {
          outcomes[i] = 'waiting';
          held.add(event.aggregateId);
        } else {
          inserts.push({ index: i, entry: auditEntryOf(event) });
          present.add(event.id);
          outcomes[i] = 'applied';
        }
      });
      if (inserts.length === 0) return outcomes;
      onBatch?.('mongodb', 'insert-audit-trail', inserts.length);
      let error: unknown;
      try {
        await db.auditTrail.insertMany(
          inserts.map((i) => i.entry),
          { ordered: false },
        );
      } catch (caught) {
        if (!writeErrorsOf(caught)) throw caught;
        error = caught;
      }
      const results = unorderedOutcomes(inserts.length, error, { duplicateOk: true });
      if (results.every((r) => r.ok)) {
        results.forEach((r, k) => {
          if (r.ok && r.value === 'duplicate') outcomes[inserts[k]!.index] = 'duplicate';
        });
        return outcomes;
      }
      // A refusal other than a duplicate: FerretDB's report of an unordered batch cannot be
      // trusted to say which items it wrote, so each entry again on its own, in order; after a
      // record's refused entry its later ones wait (they are not written past the gap here; one
      // the batch wrote already stays, and the refused one fills the gap when it is replayed).
      const refused = new Set<string>();
      for (const { index, entry } of inserts) {
        if (refused.has(entry.recordId)) {
          outcomes[index] = 'waiting';
          continue;
        }
        try {
          await db.auditTrail.insertOne(entry);
        } catch (own) {
          outcomes[index] = isDuplicateKey(own) ? 'duplicate' : { failed: own };
          if (!isDuplicateKey(own)) refused.add(entry.recordId);
        }
      }
      return outcomes;
    },
  };
}

/** What auth's user events carry: the user's name, office and disabling after the change. */
const UserData = z.object({ name: z.string().min(1), office: z.string().min(1), disabledAt: z.iso.datetime().optional() });

export function userCopiesProjection(db: Collections, redis: Redis, logger: Logger): Projection & SingleEventProjection {
  return oneAtATime({
    name: 'user-copies',
    handles: (event) => event.aggregate === 'user',
    async apply(event): Promise<ApplyResult> {
      const { name, office, disabledAt } = UserData.parse(event.data);
      // The whole copied state: a user event without disabledAt means the user is not disabled.
      const state = { name, office, ...(disabledAt ? { disabled: true as const, disabledAt: new Date(disabledAt) } : {}) };
      const userId = event.aggregateId;
      let outcome: ApplyResult = 'duplicate';
      // The directory copy: newer wins (each user event carries the whole name and office).
      for (let round = 0; round < 10; round++) {
        const current = await db.directory.findOne({ _id: userId });
        if (current && current.version >= event.sequence) break;
        try {
          const written = current
            ? (await db.directory.updateOne(
                { _id: userId, version: current.version },
                { $set: { ...state, version: event.sequence }, ...(disabledAt ? {} : { $unset: { disabled: '', disabledAt: '' } }) },
              )).matchedCount === 1
            : (await db.directory.insertOne({ _id: userId, ...state, version: event.sequence }), true);
          if (written) {
            outcome = 'applied';
            break;
          }
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
        }
      }
      // Then every record that copies the user, from the newest entry (also after a crash
      // between the two, when the directory already had this version).
      const entry = await db.directory.findOne({ _id: userId });
      if (entry) {
        const changed = await refreshAllCopies(db, redis, entry, logger);
        if (changed > 0) {
          outcome = 'applied';
          logger.info({ userId, version: entry.version, records: changed }, "records' copies of the user updated");
        }
      }
      return outcome;
    },
  });
}
