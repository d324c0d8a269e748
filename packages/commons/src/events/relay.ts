/**
 * The outbox relay: publishes the events written inside aggregate documents, then removes them
 * from the document, in that order. A crash between the two publishes them again (a duplicate,
 * which consumers ignore), never loses one.
 *
 * Where to look: writers add the aggregate's id to a Redis sorted set (the hint) right after
 * their write, so the relay finds fresh work without scanning; a writer that died between its
 * write and the hint is caught by the sweep, a query on the indexed `outboxPending` flag.
 * Removing the events is a compare-and-set on the aggregate's version, which every event write
 * moves: an event written meanwhile is never removed unpublished.
 */
import type { Collection, Filter } from 'mongodb';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { redisKey } from '../redis-connection.js';
import type { EventChannel } from './channel.js';
import type { Outboxed } from './domain-event.js';

export type OutboxDocument = Outboxed & { _id: string; version: number };

/** The hint key of a collection: one per database, so isolated tests never share one. */
export const outboxHintKey = (collection: Pick<Collection, 'dbName' | 'collectionName'>): string =>
  redisKey('outbox', `${collection.dbName}.${collection.collectionName}`);

/** Tells the relay where new events are. Best effort: the sweep finds what a lost hint hides. */
export async function hintOutbox(
  redis: Redis,
  collection: Pick<Collection, 'dbName' | 'collectionName'>,
  id: string,
  logger?: Logger,
): Promise<void> {
  try {
    await redis.zadd(outboxHintKey(collection), 'NX', Date.now(), id);
  } catch (error) {
    logger?.warn({ err: (error as Error).message, id }, 'outbox hint not written; the relay sweep will find the events');
  }
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
  /** Aggregates per round. */
  batch: number;
  /**
   * How often a source without hints is swept (default 1 s, never more often than `pollMs`):
   * its changes are rare (a user renamed), and each sweep is a query.
   */
  unhintedMs?: number;
}

export interface OutboxSource {
  collection: Collection<OutboxDocument>;
  /**
   * Whether its writers leave hints. A source without them (a small collection, like users)
   * is swept every `unhintedMs` instead.
   */
  hinted: boolean;
}

export interface RelayStats {
  published: number;
  aggregates: number;
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
    private readonly channel: EventChannel,
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly options: RelayOptions,
  ) {}

  /** Publishes one aggregate's pending events and clears them; returns how many it published. */
  async relayOne(source: Collection<OutboxDocument>, id: string): Promise<number> {
    let published = 0;
    let after = 0;
    for (let round = 0; round < 10; round++) {
      const doc = await source.findOne({ _id: id } as Filter<OutboxDocument>, { projection: { outbox: 1, version: 1, outboxPending: 1 } });
      if (!doc) return published;
      const pending = (doc.outbox ?? []).filter((e) => e.sequence > after).sort((a, b) => a.sequence - b.sequence);
      if (pending.length > 0) {
        await this.channel.publish(pending);
        published += pending.length;
        after = pending[pending.length - 1]!.sequence;
      }
      if ((doc.outbox ?? []).length === 0 && !doc.outboxPending) return published;
      const cleared = await source.updateOne(
        { _id: id, version: doc.version },
        { $set: { outbox: [] }, $unset: { outboxPending: '' } },
      );
      if (cleared.matchedCount === 1) return published;
      // The aggregate changed (a new event) between the read and the clear: once more.
    }
    throw new Error(`${source.collectionName} ${id} kept changing; its events stay for the next round`);
  }

  /** One round: the hinted aggregates, and the sweep when it is due. */
  async round(): Promise<number> {
    let published = 0;
    const sweepDue = Date.now() - this.lastSweep >= Math.max(this.options.sweepMs, this.sweepInterval);
    const unhintedDue = Date.now() - this.lastUnhintedSweep >= (this.options.unhintedMs ?? 1_000);
    if (unhintedDue) this.lastUnhintedSweep = Date.now();
    let sweptMs = 0;
    for (const { collection, hinted } of this.sources) {
      if (hinted) published += await this.relayHinted(collection);
      if (hinted ? sweepDue : unhintedDue) {
        const swept = await this.sweep(collection);
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

  private async relayHinted(source: Collection<OutboxDocument>): Promise<number> {
    let published = 0;
    const key = outboxHintKey(source);
    const ids = await this.redis.zrange(key, 0, this.options.batch - 1);
    const results = await Promise.allSettled(ids.map((id) => this.relayOne(source, id)));
    const done: string[] = [];
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') {
        published += result.value;
        done.push(ids[i]!);
      } else {
        this.logger.warn({ source: source.collectionName, id: ids[i], err: (result.reason as Error).message }, 'outbox not relayed; will retry');
      }
    });
    if (done.length > 0) await this.redis.zrem(key, ...done);
    this.stats.aggregates += done.length;
    return published;
  }

  /** Relays what the pending flag finds; `queryMs` is the query alone, not the relaying. */
  private async sweep(source: Collection<OutboxDocument>): Promise<{ published: number; queryMs: number }> {
    let published = 0;
    const started = Date.now();
    const pending = await source
      .find({ outboxPending: true } as Filter<OutboxDocument>, { projection: { _id: 1 } })
      .limit(this.options.batch)
      .toArray();
    const queryMs = Date.now() - started;
    for (const doc of pending) published += await this.relayOne(source, doc._id);
    this.stats.aggregates += pending.length;
    return { published, queryMs };
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

