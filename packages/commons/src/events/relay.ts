/**
 * The outbox relay: publishes the events written inside aggregate documents, then removes them
 * from the document, in that order. A crash between the two publishes them again (a duplicate,
 * which consumers ignore), never loses one.
 *
 * In batches: a round reads up to `batch` hinted ids and relays them `MAX_IDS_PER_FIND` at a time,
 * one after the other: one `find` with `$in` for their outboxes (drained at once), every pending
 * event published as one job per partition (or, where the consumers share the process, applied
 * to the projections at once: direct.ts), then the compare-and-set clears in one unordered
 * `bulkWrite` (an `updateMany` per version read: `clearOps`). An aggregate whose clear missed (an
 * event written meanwhile) keeps its hint and is relayed again next round; its events already
 * published are duplicates there.
 *
 * Where to look: writers add the aggregate's id to a Redis sorted set (the hint) right after
 * their write, so the relay finds fresh work without scanning; a writer that died between its
 * write and the hint is caught by the sweep, a query on the indexed `outboxPending` flag.
 * Removing the events is a compare-and-set on the aggregate's version, which every event write
 * moves: an event written meanwhile is never removed unpublished.
 *
 * A copy with the hint: a writer that knows the whole outbox of the version it wrote (a record
 * as inserted: its one `record.created` event) leaves it beside the hint, and the relay publishes
 * that copy and clears by compare-and-set on that version, without reading the aggregate (the
 * `find` decodes the whole document; in the bench that was one record document per record).
 * Safe because nothing changes an outbox without moving the version but the relay's own clear,
 * which only removes: where the clear matches, the copy held every event the document held. A
 * clear that misses (the aggregate changed since) sends the aggregate the usual way in the same
 * round, so its later events are published after the copy's and none is lost.
 */
import type { AnyBulkWriteOperation, Collection, Filter, UpdateFilter } from 'mongodb';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { errorLine } from '../alerts.js';
import { redisKey } from '../redis-connection.js';
import { redisScript } from '../redis-script.js';
import type { EventSink } from './direct.js';
import { chunks, MAX_IDS_PER_FIND, writeErrorsOf } from '../batch/mongo.js';
import { z } from 'zod';
import { DomainEvent, type Outboxed } from './domain-event.js';

export type OutboxDocument = Outboxed & { _id: string; version: number };

/** What the relay reads of an aggregate: never its data. */
const OUTBOX_PROJECTION = { outbox: 1, version: 1, outboxPending: 1 } as const;

/** The hint key of a collection: one per database, so isolated tests never share one. */
export const outboxHintKey = (collection: Pick<Collection, 'dbName' | 'collectionName'>): string =>
  redisKey('outbox', `${collection.dbName}.${collection.collectionName}`);

/** The hash beside a collection's hints: for some hinted ids, the copy of their outbox (`OutboxCopy`). */
export const outboxCopyKey = (collection: Pick<Collection, 'dbName' | 'collectionName'>): string =>
  redisKey('outbox-copy', `${collection.dbName}.${collection.collectionName}`);

/** The whole outbox of an aggregate at `version`, as its writer wrote it. */
export const OutboxCopy = z.object({ version: z.number().int().positive(), events: z.array(DomainEvent) });
export type OutboxCopy = z.infer<typeof OutboxCopy>;

/**
 * Where a writer that moved an aggregate's version without leaving a copy says so, for a while
 * (STALE_COPY_MS): a copy of an earlier version that arrives later (its creator settling after
 * another writer changed the record, as a near-twin's flag often does) is refused, so the relay
 * reads that one aggregate instead of clearing by the stale copy, missing, and reading its whole
 * chunk again (a miss does not say which clear missed). An optimisation only: a copy written
 * after the mark expired is caught by the compare-and-set as before.
 */
export const outboxStaleKey = (collection: Pick<Collection, 'dbName' | 'collectionName'>, id: string): string =>
  redisKey('outbox-stale', `${collection.dbName}.${collection.collectionName}:${id}`);
export const STALE_COPY_MS = 60_000;

/** The copy unless a later writer's mark says it is stale, and the hint, in one step. */
const HINT_WITH_COPY = redisScript(`
if redis.call('EXISTS', KEYS[3]) == 0 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('ZADD', KEYS[2], 'NX', ARGV[3], ARGV[1])
return 1
`);

/**
 * Tells the relay where new events are. Best effort: the sweep finds what a lost hint hides.
 * `copy`: the whole outbox at the version written (see above); the hint and the copy are one
 * step (the hint never visible without its copy, which would only cost the usual read).
 */
export async function hintOutbox(
  redis: Redis,
  collection: Pick<Collection, 'dbName' | 'collectionName'>,
  id: string,
  logger?: Logger,
  copy?: OutboxCopy,
): Promise<void> {
  try {
    if (copy === undefined) {
      // A copy left by an earlier writer is stale now (this write moved the version): dropped,
      // and one still to come refused for a while (outboxStaleKey).
      const results = await redis
        .multi()
        .hdel(outboxCopyKey(collection), id)
        .set(outboxStaleKey(collection, id), '1', 'PX', STALE_COPY_MS)
        .zadd(outboxHintKey(collection), 'NX', Date.now(), id)
        .exec();
      const failed = results?.find(([error]) => error)?.[0];
      if (failed) throw failed;
      return;
    }
    await HINT_WITH_COPY.run(redis, [outboxCopyKey(collection), outboxHintKey(collection), outboxStaleKey(collection, id)], [id, JSON.stringify(copy), Date.now()]);
  } catch (error) {
    logger?.warn({ err: (error as Error).message, id }, 'outbox hint not written; the relay sweep will find the events');
  }
}

/**
 * What a round does with the outboxes it read: every pending event, each aggregate's in sequence
 * order, and the compare-and-set clear of every aggregate with something to clear (events, or
 * the pending flag alone).
 */
export function relayPlan(docs: readonly OutboxDocument[]): { events: DomainEvent[]; clears: Array<{ _id: string; version: number }> } {
  const events: DomainEvent[] = [];
  const clears: Array<{ _id: string; version: number }> = [];
  for (const doc of docs) {
    const pending = [...(doc.outbox ?? [])].sort((a, b) => a.sequence - b.sequence);
    events.push(...pending);
    if (pending.length > 0 || doc.outboxPending) clears.push({ _id: doc._id, version: doc.version });
  }
  return { events, clears };
}

const CLEAR: UpdateFilter<OutboxDocument> = { $set: { outbox: [] }, $unset: { outboxPending: '' } };

/**
 * The compare-and-set clears as one `updateMany` per version read (`{_id: {$in}, version}`):
 * each document is still cleared only at the version whose events were published, and the
 * matched count still says whether every one was. One statement for many documents rather than
 * one each (nearly all share version 1): FerretDB's CPU per cleared record 1.42 -> 1.18 ms in a
 * scratch test of 36 at a time.
 */
export function clearOps(clears: ReadonlyArray<{ _id: string; version: number }>): AnyBulkWriteOperation<OutboxDocument>[] {
  const byVersion = new Map<number, string[]>();
  for (const { _id, version } of clears) {
    const ids = byVersion.get(version);
    if (ids) ids.push(_id);
    else byVersion.set(version, [_id]);
  }
  return [...byVersion].map(([version, ids]) => ({
    updateMany: { filter: { _id: { $in: ids }, version }, update: CLEAR },
  }));
}

/** The hinted ids' copies that parse (one that does not is ignored: the aggregate is read). */
export function copiesOf(ids: readonly string[], raw: ReadonlyArray<string | null>): OutboxDocument[] {
  const docs: OutboxDocument[] = [];
  ids.forEach((id, i) => {
    const text = raw[i];
    if (text === null || text === undefined) return;
    let parsed: ReturnType<typeof OutboxCopy.safeParse>;
    try {
      parsed = OutboxCopy.safeParse(JSON.parse(text));
    } catch {
      return;
    }
    if (!parsed.success || parsed.data.events.some((e) => e.aggregateId !== id || e.sequence > parsed.data.version)) return;
    // Clearing it also clears the pending flag: as a document read with the flag set.
    docs.push({ _id: id, version: parsed.data.version, outbox: parsed.data.events, outboxPending: true });
  });
  return docs;
}

export interface RelayOptions {
  /** How often hints are read. */
  pollMs: number;
  /**
   * How often the pending flag is queried, for events whose hint was lost. At least this often;
   * a sweep whose query took long (a store without an index on the flag scans every document)
   * waits ten times the query's duration, so the query never takes more than a tenth of the time.
   */
  sweepMs: number;
  /** Aggregates per round (relayed `MAX_IDS_PER_FIND` at a time). */
  batch: number;
  /**
   * How often a source without hints is swept (default 1 s, never more often than `pollMs`):
   * its changes are rare (a user renamed), and each sweep is a query.
   */
  unhintedMs?: number;
  /** Called with the size of every batch sent to MongoDB (a metric): aggregates read, clears written. */
  onBatch?: (op: 'find-outboxes' | 'clear-outboxes', size: number) => void;
}

export interface OutboxSource {
  collection: Collection<OutboxDocument>;
  /**
   * Whether its writers leave hints. A source without them (a small collection, like users)
   * is swept every `unhintedMs` instead.
   */
  hinted: boolean;
  /**
   * The field holding when a document was last written (a Date), on a hinted source: its sweep
   * leaves alone the documents written within the last `sweepMs`, whose writers' hints are on
   * their way (a record's job hints at its end, a second or so after the insert). Swept, each
   * was read, cleared, and cleared again by the hint's copy: at 110 records/s every sweep took
   * up to 100 records in flight. A lost hint is then relayed within two sweep intervals.
   */
  writtenAt?: string;
}

/** What a sweep asks for: every pending document, or those not written within `graceMs` (`writtenAt`). */
export function sweepFilter(writtenAt: string | undefined, graceMs: number, now = Date.now()): Filter<OutboxDocument> {
  if (writtenAt === undefined) return { outboxPending: true };
  // `$not` also takes a document without the field: never left pending for want of it.
  return { outboxPending: true, [writtenAt]: { $not: { $gte: new Date(now - graceMs) } } };
}

export interface RelayStats {
  published: number;
  aggregates: number;
}

/** What relaying some aggregates did: events published, and the aggregates still pending (a clear missed). */
export interface Relayed {
  published: number;
  pending: string[];
}

export class OutboxRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastSweep = 0;
  private lastUnhintedSweep = 0;
  private sweepInterval = 0;
  private stopped = false;
  readonly stats: RelayStats = { published: 0, aggregates: 0 };

  constructor(
    private readonly sources: readonly OutboxSource[],
    /** The channel, or `DirectDelivery` where the consumers run in the same process. */
    private readonly channel: EventSink,
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly options: RelayOptions,
  ) {}

  /** Relays these aggregates (at most `MAX_IDS_PER_FIND`): one find, one publish, one bulk clear. */
  async relayMany(source: Collection<OutboxDocument>, ids: readonly string[]): Promise<Relayed> {
    if (ids.length === 0) return { published: 0, pending: [] };
    if (ids.length > MAX_IDS_PER_FIND) throw new Error(`at most ${MAX_IDS_PER_FIND} aggregates at a time, not ${ids.length}`);
    const docs = await source
      .find({ _id: { $in: [...ids] } } as Filter<OutboxDocument>, { projection: OUTBOX_PROJECTION })
      .toArray();
    this.options.onBatch?.('find-outboxes', ids.length);
    return this.relayDocs(source, docs);
  }

  /**
   * Publishes the documents' pending events, then clears their outboxes by compare-and-set on the
   * version read. `readOnMiss` false (documents from copies): when a clear missed, all of them are
   * returned as pending, for the caller to read.
   */
  private async relayDocs(source: Collection<OutboxDocument>, docs: readonly OutboxDocument[], { readOnMiss = true } = {}): Promise<Relayed> {
    const { events, clears } = relayPlan(docs);
    if (events.length > 0) await this.channel.publish(events);
    if (clears.length === 0) return { published: events.length, pending: [] };
    const ops = clearOps(clears);
    this.options.onBatch?.('clear-outboxes', clears.length);
    let matched: number;
    try {
      matched = (await source.bulkWrite(ops, { ordered: false })).matchedCount;
    } catch (error) {
      if (!writeErrorsOf(error)) throw error;
      // FerretDB stops an unordered update batch at its first refused item and cannot say which
      // items it wrote: each clear again, on its own (a clear is idempotent).
      matched = 0;
      for (const { _id, version } of clears) {
        try {
          matched += (await source.updateOne({ _id, version }, CLEAR)).matchedCount;
        } catch (own) {
          this.logger.warn({ source: source.collectionName, id: _id, err: errorLine((own as Error).message) }, 'outbox not cleared; will retry');
        }
      }
    }
    if (matched === clears.length) return { published: events.length, pending: [] };
    // Which clears missed, the answer does not say: every one is read (a cleared one reads empty).
    if (!readOnMiss) return { published: events.length, pending: clears.map((c) => c._id) };
    // An event was written meanwhile into some of them (their version moved): those still
    // pending keep their hint for the next round.
    const still = await source
      .find({ _id: { $in: clears.map((c) => c._id) }, outboxPending: true } as Filter<OutboxDocument>, { projection: { _id: 1 } })
      .toArray();
    return { published: events.length, pending: still.map((d) => d._id) };
  }

  /** One round: the hinted aggregates, and the sweep when it is due. */
  async round(): Promise<number> {
    let published = 0;
    const sweepDue = Date.now() - this.lastSweep >= Math.max(this.options.sweepMs, this.sweepInterval);
    const unhintedDue = Date.now() - this.lastUnhintedSweep >= (this.options.unhintedMs ?? 1_000);
    if (unhintedDue) this.lastUnhintedSweep = Date.now();
    let sweptMs = 0;
    for (const { collection, hinted, writtenAt } of this.sources) {
      if (hinted) published += await this.relayHinted(collection);
      if (hinted ? sweepDue : unhintedDue) {
        const swept = await this.sweep(collection, hinted ? writtenAt : undefined);
        published += swept.published;
        if (hinted) sweptMs += swept.queryMs;
      }
    }
    if (sweepDue) {
      this.lastSweep = Date.now();
      this.sweepInterval = sweptMs * 10;
    }
    this.stats.published += published;
    return published;
  }

  /**
   * The hinted aggregates, a chunk at a time: MongoDB sees one relay query at a time. Those
   * hinted with a copy of their outbox are relayed from it; the rest, and those whose clear
   * missed, are read.
   */
  private async relayHinted(source: Collection<OutboxDocument>): Promise<number> {
    let published = 0;
    const key = outboxHintKey(source);
    const copyKey = outboxCopyKey(source);
    const ids = await this.redis.zrange(key, 0, this.options.batch - 1);
    for (const chunk of chunks(ids, MAX_IDS_PER_FIND)) {
      let relayed: Relayed;
      try {
        const copies = copiesOf(chunk, await this.redis.hmget(copyKey, ...chunk));
        const fromCopies = await this.relayDocs(source, copies, { readOnMiss: false });
        const fromCopy = new Set(copies.map((c) => c._id));
        const missed = new Set(fromCopies.pending);
        const read = chunk.filter((id) => !fromCopy.has(id) || missed.has(id));
        const fromReads = await this.relayMany(source, read);
        relayed = { published: fromCopies.published + fromReads.published, pending: fromReads.pending };
      } catch (error) {
        this.logger.warn({ source: source.collectionName, aggregates: chunk.length, err: errorLine((error as Error).message) }, 'outboxes not relayed; will retry');
        break;
      }
      published += relayed.published;
      const pending = new Set(relayed.pending);
      const done = chunk.filter((id) => !pending.has(id));
      if (done.length > 0) await this.redis.zrem(key, ...done);
      // Every copy of the chunk goes, after the hints: one was used (relayed, or found stale and
      // the aggregate read instead), or its writer left it while the aggregate was read (another
      // writer's hint came first), or it came with a hint still pending, whose next round reads.
      // A copy written after the ZREM came with its hint back (ZADD NX), and loses only the copy.
      await this.redis.hdel(copyKey, ...chunk);
      this.stats.aggregates += done.length;
    }
    return published;
  }

  /** Relays what the pending flag finds; `queryMs` is the query alone, not the relaying. */
  private async sweep(source: Collection<OutboxDocument>, writtenAt?: string): Promise<{ published: number; queryMs: number }> {
    const limit = Math.min(this.options.batch, MAX_IDS_PER_FIND);
    const started = Date.now();
    // The outboxes themselves, in one reply (no cursor left open), relayed without reading them again.
    const pending = await source
      .find(sweepFilter(writtenAt, this.options.sweepMs, started), { projection: OUTBOX_PROJECTION })
      .limit(limit)
      .batchSize(limit)
      .toArray();
    const queryMs = Date.now() - started;
    if (pending.length === 0) return { published: 0, queryMs };
    this.options.onBatch?.('find-outboxes', pending.length);
    const relayed = await this.relayDocs(source, pending);
    this.stats.aggregates += pending.length - relayed.pending.length;
    return { published: relayed.published, queryMs };
  }

  start(): void {
    const tick = (): void => {
      this.running = this.round()
        .then(() => undefined)
        .catch((error: unknown) => this.logger.warn({ err: (error as Error).message }, 'relay round failed; will retry'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.pollMs);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
