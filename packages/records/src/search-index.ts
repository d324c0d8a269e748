/**
 * The Elasticsearch side of a record: the `records` alias over a versioned index, the search
 * document (a projection of the MongoDB record) and the duplicate query.
 *
 * A search document is always written from the record as it is in MongoDB, with the record's
 * `version` as Elasticsearch's external version: a write of an older version is refused by
 * Elasticsearch (409), so a slow or repeated write can never overwrite a newer one.
 */
import { itemFailed, itemOk, recordStateOf, type ElasticsearchClient, type EventType, type ItemResult, type RecordDocument, type RecordState } from '@steadfast/commons';
import { duplicateKeysOf, keyable, nameEdits, type ComparedNames, type DuplicateKeys } from './duplicate-keys.js';
import { KEYLESS, queryTermsOf, splitUnion, unionable, unionGroups, type UnionQuery } from './duplicate-union.js';

// The client's request and answer types, taken from the client this module is given.
type BulkResponse = Awaited<ReturnType<ElasticsearchClient['bulk']>>;
type SearchResponse = Awaited<ReturnType<ElasticsearchClient['search']>>;
type MsearchResponseItem = Awaited<ReturnType<ElasticsearchClient['msearch']>>['responses'][number];
type ErrorCause = NonNullable<BulkResponse['items'][number]['index']>['error'] & object;

export interface SearchPerson {
  firstNames?: string;
  familyName?: string;
  birthDate?: string;
}

export interface SearchDocument {
  recordId: string;
  draftId: string;
  trackingId: string;
  event: string;
  status: string;
  registrationNumber?: string;
  eventDate?: string;
  /** The person the record is about: the child, the deceased, or the bride. */
  subject: SearchPerson;
  /** The second person used to tell records apart: mother, informant, or groom. */
  related: SearchPerson;
  country?: string;
  district?: string;
  /**
   * The record's flag (set once, when its first duplicate pair is stored). The candidates are
   * not copied here: they grow with every later similar record, and keeping them here would
   * mean rewriting each matched record; they are read from the pairs (`candidatesOf`).
   */
  hasPotentialDuplicates: boolean;
  /**
   * The names' deletion keys, made from `subject` and `related` whenever the document is (so a
   * document always carries the keys of its names): what the duplicate search asks for.
   */
  duplicateKeys?: DuplicateKeys;
  /** Copies of the name and office of each user who acted (auth's directory owns them). */
  actors: SearchActor[];
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface SearchActor {
  userId: string;
  name?: string;
  office?: string;
}

const SUBJECT = { birth: 'child', death: 'deceased', marriage: 'bride' } as const;
const RELATED = { birth: 'mother', death: 'informant', marriage: 'groom' } as const;

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function person(value: unknown): SearchPerson {
  const p = (value ?? {}) as Record<string, unknown>;
  const out: SearchPerson = {};
  const firstNames = str(p['firstNames']);
  const familyName = str(p['familyName']);
  const birthDate = str(p['birthDate']);
  if (firstNames) out.firstNames = firstNames;
  if (familyName) out.familyName = familyName;
  if (birthDate) out.birthDate = birthDate;
  return out;
}

/** The search document of a record as it is in MongoDB: its state folded into nothing. */
export function toSearchDocument(record: RecordDocument): SearchDocument {
  return applyChanges(undefined, record._id, recordStateOf(record), record.version);
}

/** `toSearchDocument` without the duplicate keys (for reading its fields, not for writing it). */
const searchFieldsOf = (record: RecordDocument): SearchDocument => fold(undefined, record._id, recordStateOf(record), record.version);

/**
 * The search document after a change: `changes` are the record fields the change set (a record
 * event's data), `prev` the document before it. Folding a record's events in order gives the
 * same document as `toSearchDocument` of the record at the last event's version.
 */
export function applyChanges(
  prev: SearchDocument | undefined,
  recordId: string,
  changes: Partial<RecordState>,
  version: number,
): SearchDocument {
  const doc = fold(prev, recordId, changes, version);
  // The keys follow the names, which only a change of the details moves.
  if (changes.data !== undefined || !doc.duplicateKeys) doc.duplicateKeys = duplicateKeysOf(doc);
  return doc;
}

function fold(prev: SearchDocument | undefined, recordId: string, changes: Partial<RecordState>, version: number): SearchDocument {
  const doc = { ...(prev ?? { recordId, actors: [], hasPotentialDuplicates: false }) } as SearchDocument;
  // A document written by a release that copied the candidate list: the list is not kept.
  delete (doc as { duplicates?: unknown }).duplicates;
  if (changes.draftId !== undefined) doc.draftId = changes.draftId;
  if (changes.trackingId !== undefined) doc.trackingId = changes.trackingId;
  if (changes.event !== undefined) doc.event = changes.event;
  if (changes.status !== undefined) doc.status = changes.status;
  if (changes.registrationNumber !== undefined) doc.registrationNumber = changes.registrationNumber;
  if (changes.hasPotentialDuplicates !== undefined) doc.hasPotentialDuplicates = changes.hasPotentialDuplicates;
  if (changes.createdAt !== undefined) doc.createdAt = changes.createdAt;
  if (changes.updatedAt !== undefined) doc.updatedAt = changes.updatedAt;
  if (changes.actors !== undefined) {
    doc.actors = Object.entries(changes.actors)
      .map(([userId, copy]) => ({
        userId,
        ...(copy.name !== undefined ? { name: copy.name } : {}),
        ...(copy.office !== undefined ? { office: copy.office } : {}),
      }))
      .sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
  }
  if (changes.data !== undefined) {
    for (const [key, value] of Object.entries(dataFields(doc.event as EventType, changes.data))) {
      if (value === undefined) delete (doc as unknown as Record<string, unknown>)[key];
      else (doc as unknown as Record<string, unknown>)[key] = value;
    }
  }
  doc.version = version;
  return doc;
}

/** The search fields taken from a record's details; every one is set (or cleared). */
function dataFields(event: EventType, data: Record<string, unknown>) {
  const place = (data['eventLocation'] ?? {}) as Record<string, unknown>;
  return {
    subject: person(data[SUBJECT[event]]),
    related: person(data[RELATED[event]]),
    eventDate: str(data['eventDate']),
    country: str(place['country']),
    district: str(place['district']),
  };
}

const personMapping = {
  properties: {
    firstNames: { type: 'text', fields: { keyword: { type: 'keyword' } } },
    familyName: { type: 'text', fields: { keyword: { type: 'keyword' } } },
    birthDate: { type: 'date', format: 'strict_date' },
  },
} as const;

/** A document as written: with the keys of its names, whoever made it (`applyChanges` makes them). */
const withKeys = (doc: SearchDocument): SearchDocument => (doc.duplicateKeys ? doc : { ...doc, duplicateKeys: duplicateKeysOf(doc) });

/** Keys only looked up: no doc values, no norms. */
const keyMapping = { type: 'keyword', doc_values: false } as const;

/**
 * What an index made by this release says of itself: every document in it was written with its
 * duplicate keys (an index made by an earlier release holds documents without them).
 */
export const SEARCH_INDEX_META = { duplicateKeys: 1 } as const;

/** The search document mapping: strict, so a field nobody mapped is an error, not a guess. */
export const SEARCH_MAPPINGS = {
  dynamic: 'strict',
  properties: {
    recordId: { type: 'keyword' },
    draftId: { type: 'keyword' },
    trackingId: { type: 'keyword' },
    event: { type: 'keyword' },
    status: { type: 'keyword' },
    registrationNumber: { type: 'keyword' },
    eventDate: { type: 'date', format: 'strict_date' },
    subject: personMapping,
    related: personMapping,
    country: { type: 'keyword' },
    district: { type: 'keyword' },
    hasPotentialDuplicates: { type: 'boolean' },
    duplicateKeys: { properties: { family: keyMapping, first: keyMapping, related: keyMapping } },
    actors: {
      properties: {
        userId: { type: 'keyword' },
        name: { type: 'text', fields: { keyword: { type: 'keyword' } } },
        office: { type: 'keyword' },
      },
    },
    createdAt: { type: 'date' },
    updatedAt: { type: 'date' },
    version: { type: 'long' },
  },
} as const;

/** A write through the alias when the alias is missing (the index was deleted): retryable. */
/**
 * How often new writes become searchable, unless `ES_REFRESH_INTERVAL` says otherwise. The index
 * step waits for the next refresh (the duplicate check must see the record), so this bounds that
 * step's wait (half of it on average); each refresh writes a segment, which is most of
 * Elasticsearch's CPU per record at a few records a second: measured under a 10/s soak on the
 * same index, 22 ms per record at 250ms, 14.6 at 500ms, 10.9 at 1s (docs/benchmark-history.md, fourth pass).
 */
export const SEARCH_REFRESH_INTERVAL = '500ms';

export class SearchAliasMissing extends Error {
  constructor(alias: string, options?: ErrorOptions) {
    super(`search alias ${alias} is missing (index deleted?): run npm run search:rebuild; the write is retried`, options);
    this.name = 'SearchAliasMissing';
  }
}

/**
 * The index behind the alias maps a field differently from this release (a changed type, not an
 * added field). Retryable: jobs wait, saying what to do, until an operator rebuilds the index.
 */
export class SearchMappingConflict extends Error {
  constructor(alias: string, options?: ErrorOptions) {
    const reason = (options?.cause as Error | undefined)?.message.split('\n', 1)[0] ?? 'conflicting mapping';
    super(`the index behind search alias ${alias} maps a field differently from this release (${reason}): run npm run search:rebuild`, options);
    this.name = 'SearchMappingConflict';
  }
}

/** How long the search index's duplicate-search mode is kept before its mapping is read again. */
export const KEYED_MODE_TTL_MS = 60_000;

/**
 * How long `ensure` waits for the index's shard to start before it fails (the service's store
 * set-up then fails too, and is tried again by its next job).
 */
export const SEARCH_READY_TIMEOUT_MS = 60_000;
/** Each wait `ensure` asks Elasticsearch for: well under the client's request timeout (10 s). */
const SEARCH_READY_SLICE_MS = 5_000;

export class SearchIndex {
  constructor(
    private readonly es: ElasticsearchClient,
    /** The alias every reader uses; the concrete index behind it is `<alias>-v1` at first. */
    readonly alias: string,
    /** The index's refresh_interval (`ES_REFRESH_INTERVAL`). */
    readonly refreshInterval: string = SEARCH_REFRESH_INTERVAL,
    /** How long `keyedDuplicateSearch`'s answer is kept before the mapping is read again. */
    private readonly keyedModeTtlMs: number = KEYED_MODE_TTL_MS,
  ) {}

  /** The last answer of `keyedDuplicateSearch` and when it was asked. */
  private keyedIndex: { mode: Promise<boolean>; askedAt: number } | undefined;

  /**
   * Creates `<alias>-v1` with the alias unless the alias (or an index of that name) exists. An
   * existing index gets the current mapping: a release that adds a field to the search document
   * must not meet an index made by an earlier one (strict mapping: every write would be refused).
   * Added fields are merged in place; a changed one cannot be, and needs a rebuild.
   *
   * Returns once the index's shard is started (the index is yellow or green): a shard still
   * being allocated or recovering (a loaded Elasticsearch, or one just restarted) refuses reads
   * and writes with `no_shard_available_action_exception`, and a service whose set-up returned
   * before then would fail its first records with it. Past `readyTimeoutMs` it throws, naming
   * the index.
   */
  async ensure({ readyTimeoutMs = SEARCH_READY_TIMEOUT_MS }: { readyTimeoutMs?: number } = {}): Promise<void> {
    this.keyedIndex = undefined;
    if (await this.es.indices.exists({ index: this.alias })) await this.updateMapping();
    else {
      try {
        await this.createIndex(`${this.alias}-v1`, { withAlias: true });
      } catch (error) {
        if (!isErrorType(error, 'resource_already_exists_exception')) throw error;
        await this.updateMapping();
      }
    }
    await this.ready(readyTimeoutMs);
  }

  private async updateMapping(): Promise<void> {
    try {
      await this.es.indices.putMapping({ index: this.alias, ...SEARCH_MAPPINGS });
    } catch (error) {
      if (isErrorType(error, 'illegal_argument_exception')) throw new SearchMappingConflict(this.alias, { cause: error });
      throw error;
    }
    // An index made by an earlier release, or under another ES_REFRESH_INTERVAL, takes this one.
    await this.es.indices.putSettings({ index: this.alias, settings: { index: { refresh_interval: this.refreshInterval } } });
  }

  /** Waits until every index behind the alias has its primary shard started; throws past `timeoutMs`. */
  private async ready(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // Elasticsearch holds the request until the shard starts or the wait ends, then answers
      // 408 with the health in its body. The client cuts every request at its own timeout (10 s;
      // undici's, which a longer per-request timeout does not lift): wait in shorter slices.
      const slice = Math.max(0, Math.min(SEARCH_READY_SLICE_MS, deadline - Date.now()));
      const health = await this.es.cluster.health({ index: this.alias, wait_for_status: 'yellow', timeout: `${slice}ms` }, { ignore: [408], maxRetries: 0 });
      if (!health.timed_out) return;
      if (Date.now() >= deadline) {
        throw new Error(`search index ${this.alias}: its shard is not started after ${timeoutMs} ms (status ${health.status}, ${health.unassigned_shards} unassigned, ${health.initializing_shards} initializing)`);
      }
    }
  }

  /** A concrete index with the current mapping; with the alias pointing at it if asked. */
  async createIndex(name: string, { withAlias = false } = {}): Promise<void> {
    await this.es.indices.create({
      index: name,
      ...(withAlias ? { aliases: { [this.alias]: { is_write_index: true } } } : {}),
      settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: this.refreshInterval },
      mappings: { ...SEARCH_MAPPINGS, _meta: SEARCH_INDEX_META },
    });
  }

  /**
   * Whether every document behind the alias carries its duplicate keys: the index was made by
   * this release (its mapping's `_meta`). An index made by an earlier one is searched with the
   * fuzzy query until `npm run search:rebuild` replaces it. Kept for `keyedModeTtlMs` (a minute),
   * then read again: a rebuild run beside a running workflow is taken up without a restart. A
   * read again that fails keeps the last answer (and is tried again at the next call); the
   * first read's failure fails the search.
   */
  keyedDuplicateSearch(): Promise<boolean> {
    const now = Date.now();
    const last = this.keyedIndex;
    if (last && now - last.askedAt < this.keyedModeTtlMs) return last.mode;
    const mode = this.es.indices.getMapping({ index: this.alias }).then(
      (mappings) => {
        const indices = Object.values(mappings);
        return indices.length > 0 && indices.every((m) => (m.mappings._meta as { duplicateKeys?: number } | undefined)?.duplicateKeys === SEARCH_INDEX_META.duplicateKeys);
      },
      (error: unknown) => {
        const current = this.keyedIndex?.mode === mode;
        if (!last) {
          if (current) this.keyedIndex = undefined;
          throw error;
        }
        if (current) this.keyedIndex = { mode: last.mode, askedAt: 0 };
        return last.mode;
      },
    );
    this.keyedIndex = { mode, askedAt: now };
    return mode;
  }

  /**
   * Writes the record's search document at the record's version. Returns false when
   * Elasticsearch already holds this version or a newer one (nothing to do).
   * `visible` waits for a refresh, so a query right after sees the document.
   */
  async project(record: RecordDocument, { visible = false } = {}): Promise<boolean> {
    return this.write(toSearchDocument(record), { visible });
  }

  /** Writes a search document at its `version`; false when that version or a newer one is there. */
  async write(doc: SearchDocument, { visible = false } = {}): Promise<boolean> {
    try {
      await this.es.index({
        index: this.alias,
        id: doc.recordId,
        document: withKeys(doc),
        version: doc.version,
        version_type: 'external',
        // With the index deleted, a write must fail (and be retried), not create a stray index.
        require_alias: true,
        refresh: visible ? 'wait_for' : false,
      });
      return true;
    } catch (error) {
      if (isErrorType(error, 'version_conflict_engine_exception')) return false;
      // A 404 is otherwise a request no retry can fix; this one is fixed by the rebuild.
      if (isErrorType(error, 'index_not_found_exception')) throw new SearchAliasMissing(this.alias, { cause: error });
      throw error;
    }
  }

  /**
   * `project` for many records in one `_bulk` request: each item answers as `project` would
   * (true written, false this version or a newer one was there) or fails on its own. With any
   * item `visible`, the request waits for one refresh, for all of them.
   */
  async projectMany(items: ReadonlyArray<{ record: RecordDocument; visible?: boolean }>): Promise<Array<ItemResult<boolean>>> {
    return this.writeMany(items.map(({ record, visible }) => ({ doc: toSearchDocument(record), ...(visible ? { visible } : {}) })));
  }

  /** `write` for many documents in one `_bulk` request (see `projectMany`). */
  async writeMany(items: ReadonlyArray<{ doc: SearchDocument; visible?: boolean }>): Promise<Array<ItemResult<boolean>>> {
    if (items.length === 0) return [];
    let response: BulkResponse;
    try {
      response = await this.es.bulk({
        operations: items.flatMap(({ doc }) => [
          { index: { _index: this.alias, _id: doc.recordId, version: doc.version, version_type: 'external' as const } },
          withKeys(doc),
        ]),
        // With the index deleted, a write must fail (and be retried), not create a stray index.
        require_alias: true,
        refresh: items.some((item) => item.visible) ? 'wait_for' : false,
      });
    } catch (error) {
      if (isErrorType(error, 'index_not_found_exception')) throw new SearchAliasMissing(this.alias, { cause: error });
      throw error;
    }
    return bulkOutcomes(this.alias, items.length, response);
  }

  /** The document and its version (the record version it was written from), read in real time. */
  async getVersioned(recordId: string): Promise<{ doc: SearchDocument; version: number } | undefined> {
    const response = await this.es.get<SearchDocument>({ index: this.alias, id: recordId }, { ignore: [404] });
    return response.found && response._source ? { doc: response._source, version: response._version ?? 0 } : undefined;
  }

  /** `getVersioned` for many records in one `_mget`, in real time: those found, by record id. */
  async getVersionedMany(recordIds: readonly string[]): Promise<Map<string, { doc: SearchDocument; version: number }>> {
    const found = new Map<string, { doc: SearchDocument; version: number }>();
    for (const doc of await this.mgetFound(recordIds, true)) if (doc._source) found.set(doc._id, { doc: doc._source, version: doc._version ?? 0 });
    return found;
  }

  /** The versions of many records' documents in one `_mget`, in real time, without the documents. */
  async versionsMany(recordIds: readonly string[]): Promise<Map<string, number>> {
    return new Map((await this.mgetFound(recordIds, false)).map((doc) => [doc._id, doc._version ?? 0]));
  }

  /** The documents found of these records, read in real time (with their source or not). */
  private async mgetFound(recordIds: readonly string[], source: boolean) {
    if (recordIds.length === 0) return [];
    const response = await this.es.mget<SearchDocument>({ index: this.alias, ids: [...new Set(recordIds)], ...(source ? {} : { _source: false }) });
    return response.docs.flatMap((doc) => {
      if ('error' in doc) throw new Error(`search document ${doc._id} not read: ${doc.error.type}`);
      return doc.found ? [doc] : [];
    });
  }

  async get(recordId: string): Promise<SearchDocument | undefined> {
    const response = await this.es.get<SearchDocument>({ index: this.alias, id: recordId }, { ignore: [404] });
    return response.found ? response._source : undefined;
  }

  /**
   * Other records of the same event with alike names (`nameEdits`) and an event date within three
   * days: the candidates a registrar must look at. One bounded query: at most `limit` candidates
   * (the best matches, the fewest edits; among equals the newest, since a record submitted twice
   * is usually submitted again soon), each with its search document's flag, and how many matched
   * in all.
   */
  async findDuplicates(record: RecordDocument, limit: number): Promise<DuplicateSearch> {
    const [found] = await this.findDuplicatesMany([{ record, limit }]);
    if (found?.ok) return found.value;
    throw found?.error instanceof Error ? found.error : new Error('the duplicate search failed', { cause: found?.error });
  }

  /**
   * `findDuplicates` for many records in one `_msearch` request; each item answers or fails on its
   * own. Keyed searches go together, several records to a search (duplicate-union.ts); the
   * records of a union that could not answer for each of them (it matched more than it returned,
   * or failed) are searched one by one in a second `_msearch`. `onSearch` hears of each union's
   * records, and of the records asked again.
   */
  async findDuplicatesMany(
    items: ReadonlyArray<{ record: RecordDocument; limit: number }>,
    { onSearch }: { onSearch?: (kind: 'union' | 'again', records: number) => void } = {},
  ): Promise<Array<ItemResult<DuplicateSearch>>> {
    const keyed = items.length > 0 && (await this.keyedDuplicateSearch());
    const queries = items.map(({ record, limit }) => duplicateQuery(record, limit, keyed));
    const results: Array<ItemResult<DuplicateSearch> | undefined> = queries.map((query) => (query ? undefined : itemOk({ candidates: [], total: 0, read: 0 })));
    const together = queries.flatMap((query, index) => (query?.union ? [index] : []));
    const unions = unionGroups(together.map((index) => queries[index]!.union!.size))
      .map((places) => places.map((place) => together[place]!))
      .filter((group) => group.length > 1);
    const inUnion = new Set(unions.flat());
    const alone = queries.flatMap((query, index) => (query && !inUnion.has(index) ? [index] : []));
    for (const group of unions) onSearch?.('union', group.length);
    const first = await this.msearch([...unions.map((group) => unionBody(group.map((index) => queries[index]!))), ...alone.map((index) => queries[index]!.body)]);
    const again: number[] = [];
    unions.forEach((group, u) => {
      const response = first[u];
      const asked = group.map((index) => queries[index]!.union!);
      const split = response && !('error' in response) && !response._shards.failed ? splitUnion(response.hits.hits, response.hits.total, asked) : undefined;
      if (!split) {
        again.push(...group);
        return;
      }
      group.forEach((index, place) => {
        const { hits, total } = split[place]!;
        results[index] = itemOk(queries[index]!.answer({ hits: { hits, total: { value: total, relation: 'eq' } } }));
      });
    });
    alone.forEach((index, a) => (results[index] = answerOf(queries[index]!, first[unions.length + a])));
    if (again.length > 0) onSearch?.('again', again.length);
    try {
      const second = await this.msearch(again.map((index) => queries[index]!.body));
      again.forEach((index, a) => (results[index] = answerOf(queries[index]!, second[a])));
    } catch (error) {
      // The records answered by their unions keep their answers.
      for (const index of again) results[index] = itemFailed(error);
    }
    return results.map((result) => result ?? itemFailed(new Error('the duplicate search left a record unanswered')));
  }

  /** One `_msearch` of these bodies against the alias; its responses in order. */
  private async msearch(bodies: readonly object[]): Promise<MsearchResponseItem[]> {
    if (bodies.length === 0) return [];
    const searches = bodies.flatMap((body) => [{ index: this.alias }, body]);
    return (await this.es.msearch({ searches })).responses;
  }

  /** Of these records, those whose search document does not show the duplicate flag, in real time. */
  async unflagged(recordIds: readonly string[]): Promise<string[]> {
    if (recordIds.length === 0) return [];
    const response = await this.es.mget<Pick<SearchDocument, 'hasPotentialDuplicates'>>({
      index: this.alias,
      ids: [...recordIds],
      _source: ['hasPotentialDuplicates'],
    });
    return response.docs
      .filter((doc) => !('found' in doc && doc.found && doc._source?.hasPotentialDuplicates === true))
      .map((doc) => doc._id);
  }
}

export interface DuplicateSearch {
  /** The best matches, at most the limit asked for; `flagged` as the index last saw it. */
  candidates: Array<{ recordId: string; flagged: boolean }>;
  /** Every match, the ones beyond the limit included. */
  total: number;
  /**
   * The documents the search read to answer: at most `limit` × DUPLICATE_COMPARED_PER_CANDIDATE
   * by keys (each compared here), `limit` fuzzy. The work of a check, bounded whatever the number
   * of similar records.
   */
  read: number;
}

export function isErrorType(error: unknown, type: string): boolean {
  const body = (error as { meta?: { body?: { error?: { type?: string } } } }).meta?.body;
  return body?.error?.type === type;
}

/**
 * How many of the newest records sharing keys with a record are compared, for each candidate the
 * check may pair: beyond `limit` times this, more alike records are counted, not compared.
 */
export const DUPLICATE_COMPARED_PER_CANDIDATE = 10;

const withinThreeDays = (doc: SearchDocument): object[] => [
  { term: { event: doc.event } },
  ...(doc.eventDate ? [{ range: { eventDate: { gte: `${doc.eventDate}||-3d`, lte: `${doc.eventDate}||+3d` } } }] : []),
];

/**
 * The duplicate search of a record, or undefined when it has no names to compare: the search and
 * how to read its answer. With keys (an index of this release, no name token too long for them),
 * the names are matched exactly on keys and the edits counted here; otherwise with
 * Elasticsearch's fuzzy query and its score.
 */
function duplicateQuery(record: RecordDocument, limit: number, keyed: boolean): DuplicateQuery | undefined {
  const doc = searchFieldsOf(record);
  if (!doc.subject.familyName || !doc.subject.firstNames) return undefined;
  return keyed && keyable(doc) ? keyedDuplicateQuery(doc, limit) : fuzzyDuplicateQuery(doc, limit);
}

/** A record's duplicate search: its body, how to read its answer, and its query when it can join a union. */
interface DuplicateQuery {
  body: { size: number; query: object } & Record<string, unknown>;
  /** A keyed search's query, as a union of several records' searches gives it hits (duplicate-union.ts). */
  union?: UnionQuery;
  answer: (response: Pick<SearchResponse, 'hits'>) => DuplicateSearch;
}

/**
 * What a keyed search reads of each hit, and its order: the same alone and in a union (whose
 * hits are given to each record by their event, date and names).
 */
const KEYED_READ = {
  _source: ['subject.firstNames', 'subject.familyName', 'related.familyName', 'event', 'eventDate'],
  docvalue_fields: ['hasPotentialDuplicates'],
  sort: [{ createdAt: { order: 'desc' as const } }, { recordId: { order: 'asc' as const } }],
};

/** Documents without family keys: every keyed search compares them (see `keyedDuplicateQuery`). */
const KEYLESS_DOCUMENTS = { bool: { must_not: [{ exists: { field: 'duplicateKeys.family' } }] } };

function keyedDuplicateQuery(doc: SearchDocument, limit: number): DuplicateQuery {
  const terms = queryTermsOf(doc);
  const keys: object[] = [
    { terms: { 'duplicateKeys.family': terms.family } },
    // Every first name must match one of the candidate's: a clause each.
    ...terms.first.map((keys) => ({ terms: { 'duplicateKeys.first': keys } })),
  ];
  if (terms.related.length > 0) keys.push({ terms: { 'duplicateKeys.related': terms.related } });
  // The event, the window and the keys only narrow: filter context, not scored, cacheable. A
  // document without family keys (written by an earlier release during a rolling upgrade, or
  // with only a name too long for keys) is compared too: the keys cannot say it is not alike.
  const filter: object[] = [...withinThreeDays(doc), { bool: { should: [{ bool: { filter: keys } }, KEYLESS_DOCUMENTS], minimum_should_match: 1 } }];
  const size = limit * DUPLICATE_COMPARED_PER_CANDIDATE;
  const union: UnionQuery = { recordId: doc.recordId, event: doc.event, ...(doc.eventDate ? { eventDate: doc.eventDate } : {}), terms, size };
  return {
    body: { size, ...KEYED_READ, query: { bool: { filter, must_not: [{ ids: { values: [doc.recordId] } }] } } },
    ...(unionable(union) ? { union } : {}),
    answer: (response) => rankByEdits(doc, response, limit),
  };
}

/**
 * One search for several records' keyed searches: any document one of their queries matches, as
 * many hits as their own searches would return together, read and ordered as each would be;
 * documents without family keys named, for `splitUnion` to give them to every record.
 */
function unionBody(queries: readonly DuplicateQuery[]): object {
  return {
    // Each record's own size, as `splitUnion` reads it (the same as its body's).
    size: queries.reduce((sum, query) => sum + query.union!.size, 0),
    ...KEYED_READ,
    query: {
      bool: {
        filter: [{ bool: { should: queries.map((query) => query.body.query), minimum_should_match: 1 } }],
        should: [{ bool: { ...KEYLESS_DOCUMENTS.bool, _name: KEYLESS } }],
      },
    },
  };
}

/** One search's answer to one record: its duplicates, or the search's own error. */
function answerOf(query: DuplicateQuery, response: MsearchResponseItem | undefined): ItemResult<DuplicateSearch> {
  if (!response) return itemFailed(new Error('the duplicate search answered fewer searches than it was sent'));
  if ('error' in response) return itemFailed(searchItemError(response.status, response.error));
  return itemOk(query.answer(response));
}

/** The candidates a keyed search found: the alike ones, the fewest edits first, the newest among equals. */
function rankByEdits(doc: SearchDocument, response: Pick<SearchResponse, 'hits'>, limit: number): DuplicateSearch {
  const hits = response.hits.hits;
  const alike = hits.flatMap((hit, order) => {
    const edits = hit._id && hit._source ? nameEdits(doc, namesOf(hit._source)) : undefined;
    return edits === undefined ? [] : [{ recordId: hit._id!, flagged: flagOf(hit), edits, order }];
  });
  // The hits come newest first: among equal edits, their order.
  alike.sort((a, b) => a.edits - b.edits || a.order - b.order);
  // Records beyond the compared ones share keys with this one: counted as matches, not compared.
  const beyond = Math.max(0, totalOf(response.hits.total, hits.length) - hits.length);
  return { candidates: alike.slice(0, limit).map(({ recordId, flagged }) => ({ recordId, flagged })), total: alike.length + beyond, read: hits.length };
}

function namesOf(source: unknown): ComparedNames {
  const s = source as { subject?: ComparedNames['subject']; related?: ComparedNames['related'] };
  return { subject: s.subject ?? {}, related: s.related ?? {} };
}

function fuzzyDuplicateQuery(doc: SearchDocument, limit: number): DuplicateQuery {
  const must: object[] = [
    { match: { 'subject.familyName': { query: doc.subject.familyName, fuzziness: 'AUTO' } } },
    { match: { 'subject.firstNames': { query: doc.subject.firstNames, fuzziness: 'AUTO', operator: 'and' } } },
  ];
  if (doc.related.familyName) {
    must.push({ match: { 'related.familyName': { query: doc.related.familyName, fuzziness: 'AUTO' } } });
  }
  return {
    body: {
      size: limit,
      // The flag from doc values: no stored document is loaded per hit.
      _source: false,
      docvalue_fields: ['hasPotentialDuplicates'],
      sort: [{ _score: { order: 'desc' as const } }, { createdAt: { order: 'desc' as const } }, { recordId: { order: 'asc' as const } }],
      // The event and the date window only narrow: in filter context they are not scored.
      query: { bool: { must, filter: withinThreeDays(doc), must_not: [{ ids: { values: [doc.recordId] } }] } },
    },
    answer: duplicateSearchOf,
  };
}

type Hit = SearchResponse['hits']['hits'][number];
const flagOf = (hit: Hit): boolean => (hit.fields?.['hasPotentialDuplicates'] as unknown[] | undefined)?.[0] === true;
const totalOf = (total: SearchResponse['hits']['total'], fallback: number): number => (typeof total === 'number' ? total : (total?.value ?? fallback));

function duplicateSearchOf(response: Pick<SearchResponse, 'hits'>): DuplicateSearch {
  const candidates = response.hits.hits
    .filter((hit): hit is typeof hit & { _id: string } => !!hit._id)
    .map((hit) => ({ recordId: hit._id, flagged: flagOf(hit) }));
  return { candidates, total: totalOf(response.hits.total, candidates.length), read: response.hits.hits.length };
}

/**
 * One item's error in a `_bulk` or `_msearch` answer, shaped as the client's error for a single
 * request (`name`, `meta.statusCode`, `meta.body.error`), so it is classified (retryable or
 * not) and recognised (`isErrorType`) the same way.
 */
export class SearchItemError extends Error {
  readonly meta: { statusCode: number; body: { error: ErrorCause } };
  constructor(status: number, error: ErrorCause) {
    // The type alone, as the client's own message starts: the reason may quote document fields.
    super(error.type);
    this.name = 'ResponseError';
    this.meta = { statusCode: status, body: { error } };
  }
}

const searchItemError = (status: number, error: ErrorCause): SearchItemError => new SearchItemError(status, error);

/** Each document's result of a `_bulk` write: as `write` answers, or its own error. */
export function bulkOutcomes(alias: string, count: number, response: Pick<BulkResponse, 'items'>): Array<ItemResult<boolean>> {
  return Array.from({ length: count }, (_unused, i): ItemResult<boolean> => {
    const item = response.items[i]?.index;
    if (!item) return itemFailed(new Error('the bulk write answered fewer items than it was sent'));
    if (!item.error) return itemOk(true);
    const error = searchItemError(item.status, item.error);
    if (isErrorType(error, 'version_conflict_engine_exception')) return itemOk(false);
    if (isErrorType(error, 'index_not_found_exception')) return itemFailed(new SearchAliasMissing(alias, { cause: error }));
    return itemFailed(error);
  });
}
