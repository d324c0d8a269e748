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
  eventId,
  isDuplicateKey,
  OutOfOrder,
  type ApplyResult,
  type Collections,
  type DomainEvent,
  type Logger,
  type Projection,
  type Redis,
} from '@steadfast/commons';
import { applyChanges, refreshAllCopies, type SearchIndex } from '@steadfast/records';
import { z } from 'zod';

const isRecordEvent = (event: DomainEvent) => event.aggregate === 'record';

export function searchProjection(search: SearchIndex): Projection {
  return {
    name: 'search',
    handles: isRecordEvent,
    async apply(event) {
      const current = await search.getVersioned(event.aggregateId);
      const have = current?.version ?? 0;
      if (event.sequence <= have) return 'duplicate';
      if (event.sequence !== have + 1) throw new OutOfOrder('search', have + 1, event.sequence);
      const next = applyChanges(current?.doc, event.aggregateId, event.data, event.sequence);
      return (await search.write(next)) ? 'applied' : 'duplicate';
    },
  };
}

export function auditTrailProjection(db: Collections): Projection {
  return {
    name: 'audit-trail',
    handles: isRecordEvent,
    async apply(event) {
      if (event.sequence > 1) {
        // By _id, the event id of the previous sequence: FerretDB answers a query on
        // (recordId, sequence) with a scan of the whole collection (500 ms at 5,000 entries).
        const previous = await db.auditTrail.findOne(
          { _id: eventId(event.aggregate, event.aggregateId, event.sequence - 1) },
          { projection: { _id: 1 } },
        );
        if (!previous) {
          const self = await db.auditTrail.findOne({ _id: event.id }, { projection: { _id: 1 } });
          if (self) return 'duplicate';
          throw new OutOfOrder('audit-trail', event.sequence - 1, event.sequence);
        }
      }
      try {
        await db.auditTrail.insertOne({
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
        return 'applied';
      } catch (error) {
        if (isDuplicateKey(error)) return 'duplicate';
        throw error;
      }
    },
  };
}

/** What auth's user events carry: the user's name and office after the change. */
const UserData = z.object({ name: z.string().min(1), office: z.string().min(1) });

export function userCopiesProjection(db: Collections, redis: Redis, logger: Logger): Projection {
  return {
    name: 'user-copies',
    handles: (event) => event.aggregate === 'user',
    async apply(event): Promise<ApplyResult> {
      const data = UserData.parse(event.data);
      const userId = event.aggregateId;
      let outcome: ApplyResult = 'duplicate';
      // The directory copy: newer wins (each user event carries the whole name and office).
      for (let round = 0; round < 10; round++) {
        const current = await db.directory.findOne({ _id: userId });
        if (current && current.version >= event.sequence) break;
        try {
          const written = current
            ? (await db.directory.updateOne({ _id: userId, version: current.version }, { $set: { ...data, version: event.sequence } })).matchedCount === 1
            : (await db.directory.insertOne({ _id: userId, ...data, version: event.sequence }), true);
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
  };
}
