/**
 * Several records' keyed duplicate searches as one Elasticsearch search. A search item costs
 * Elasticsearch about as much again in fixed work (parsing, a search context, the query phase's
 * set-up) as a keyed query's own term look-ups: asked ten together, its CPU per record falls by
 * about a quarter with the bench's names of then (11-16 letters), 10-20% with common ones
 * (docs/benchmark-history.md, sixteenth pass).
 *
 * The answer must be what each record's own search would have said. The union asks for any
 * document one of its records' queries matches, and each hit is given to the records whose
 * query it meets, decided here by the same rules Elasticsearch applied (`meetsQuery`): the same
 * event, an event date within three days, not the record itself, and the names' keys (each
 * document's keys follow from its names, `duplicateKeysOf`: keyed searches run only on an index
 * whose `_meta.duplicateKeys` says every document was written with this release's keys; a
 * document without family keys is reported by Elasticsearch, a named clause of the union, and
 * meets every query, as it does alone). Named clauses for the records themselves would let
 * Elasticsearch say it, but it runs each named query again for every hit: with common names
 * (many hits) that cost more than the union saved.
 *
 * Every search sorts the same way (newest first, then by record id), so a record's hits in the
 * union's answer come in the order its own search returns them: when the union returned every
 * hit it matched, the first `size` of a record's hits are those its own search reads, and their
 * count is its own search's total. When the union matched more than it returned, some record's
 * hits are missing and nobody can say whose: its records are searched one by one instead
 * (`splitUnion` says undefined). Pure: the search index sends, this decides.
 */
import { duplicateKeysOf, nameTokens, queryKeys, type ComparedNames, type DuplicateKeys } from './duplicate-keys.js';

/** Hits one union search returns at most: its records' sizes summed stay within this. */
export const DUPLICATE_UNION_MAX_HITS = 2_000;

/** The union's one named clause: documents without family keys, which every keyed query compares. */
export const KEYLESS = 'keyless';

/**
 * The records searched together, as lists of indexes into `sizes` (each record's own search
 * size): consecutive records while their sizes sum to at most `maxHits`. A group of one is a
 * record's own search.
 */
export function unionGroups(sizes: readonly number[], maxHits = DUPLICATE_UNION_MAX_HITS): number[][] {
  const groups: number[][] = [];
  let current: number[] = [];
  let hits = 0;
  sizes.forEach((size, index) => {
    if (current.length > 0 && hits + size > maxHits) {
      groups.push(current);
      current = [];
      hits = 0;
    }
    current.push(index);
    hits += size;
  });
  if (current.length > 0) groups.push(current);
  return groups;
}

/** The keys a keyed query asks for: its family name's, each first name's (every one must meet), its related name's. */
export interface QueryTerms {
  family: string[];
  first: string[][];
  related: string[];
}

/** What the query's `terms` clauses ask of a record's names. */
export function queryTermsOf(names: ComparedNames): QueryTerms {
  const keysOf = (name: string | undefined) => [...new Set(nameTokens(name).flatMap(queryKeys))];
  return {
    family: keysOf(names.subject.familyName),
    first: nameTokens(names.subject.firstNames).map(queryKeys),
    related: keysOf(names.related.familyName),
  };
}

/** A document's stored keys, as sets to look keys up in. */
export interface StoredKeySets {
  family: ReadonlySet<string>;
  first: ReadonlySet<string>;
  related: ReadonlySet<string>;
}

export const keySetsOf = (keys: DuplicateKeys): StoredKeySets => ({ family: new Set(keys.family), first: new Set(keys.first), related: new Set(keys.related) });

/** Whether stored keys meet the query's `terms` clauses (a clause with no keys meets nothing; the related one is asked only when it has keys). */
export function keysMeet(terms: QueryTerms, stored: StoredKeySets): boolean {
  const meets = (asked: readonly string[], held: ReadonlySet<string>) => asked.some((key) => held.has(key));
  return meets(terms.family, stored.family) && terms.first.every((keys) => meets(keys, stored.first)) && (terms.related.length === 0 || meets(terms.related, stored.related));
}

/** One record's keyed query, as the union gives it hits. */
export interface UnionQuery {
  recordId: string;
  event: string;
  /** A strict date (`YYYY-MM-DD`), or undefined: no window. */
  eventDate?: string;
  terms: QueryTerms;
  /** The hits its own search returns at most. */
  size: number;
}

/** A union hit as `meetsQuery` reads it: the fields every keyed search fetches, and the named clauses it matched. */
export interface UnionHit {
  _id?: string | null;
  _source?: unknown;
  matched_queries?: string[] | Record<string, number>;
}

const STRICT_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The day number of a strict date, or undefined for anything else (a date Elasticsearch would not take). */
export function dayOf(date: string | undefined): number | undefined {
  const m = date === undefined ? null : STRICT_DATE.exec(date);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const back = new Date(ms);
  if (back.getUTCFullYear() !== Number(m[1]) || back.getUTCMonth() !== Number(m[2]) - 1 || back.getUTCDate() !== Number(m[3])) return undefined;
  return ms / 86_400_000;
}

/** Whether a record's query can be answered from a union: its window, if any, a real date. */
export const unionable = (query: Pick<UnionQuery, 'eventDate'>): boolean => query.eventDate === undefined || dayOf(query.eventDate) !== undefined;

/**
 * Whether the hit meets the record's query as Elasticsearch matched it alone: not the record,
 * the same event, the event date within three days (`<date>||-3d` to `<date>||+3d`, both
 * included), and the names' keys, or no family keys at all.
 */
export function meetsQuery(query: UnionQuery, hit: UnionHit, storedKeys: (hit: UnionHit) => StoredKeySets = keysOfHit): boolean {
  const source = sourceOf(hit);
  if (!hit._id || hit._id === query.recordId || source.event !== query.event) return false;
  if (query.eventDate !== undefined) {
    const day = dayOf(typeof source.eventDate === 'string' ? source.eventDate : undefined);
    if (day === undefined || Math.abs(day - dayOf(query.eventDate)!) > 3) return false;
  }
  const named = Array.isArray(hit.matched_queries) ? hit.matched_queries : Object.keys(hit.matched_queries ?? {});
  if (named.includes(KEYLESS)) return true;
  return keysMeet(query.terms, storedKeys(hit));
}

type HitSource = { event?: unknown; eventDate?: unknown; subject?: ComparedNames['subject']; related?: ComparedNames['related'] };
const sourceOf = (hit: UnionHit): HitSource => (hit._source ?? {});

/** The keys the hit's document was written with: those of its names (`withKeys`). */
function keysOfHit(hit: UnionHit): StoredKeySets {
  const source = sourceOf(hit);
  return keySetsOf(duplicateKeysOf({ subject: source.subject ?? {}, related: source.related ?? {} }));
}

export interface UnionTotal {
  value: number;
  relation: 'eq' | 'gte';
}

/**
 * Each record's hits, as its own search would have returned them (at most its size, in the
 * union's order) with its own search's total; undefined when the union did not return every
 * hit it matched, or when its total is not exact.
 */
export function splitUnion<H extends UnionHit>(
  hits: readonly H[],
  total: UnionTotal | number | undefined,
  queries: readonly UnionQuery[],
): Array<{ hits: H[]; total: number }> | undefined {
  const matched = typeof total === 'number' ? { value: total, relation: 'eq' as const } : total;
  if (!matched || matched.relation !== 'eq' || matched.value > hits.length) return undefined;
  // A hit's keys are made once, for whichever records it may meet.
  const made = new Map<UnionHit, StoredKeySets>();
  const storedKeys = (hit: UnionHit): StoredKeySets => {
    let keys = made.get(hit);
    if (!keys) made.set(hit, (keys = keysOfHit(hit)));
    return keys;
  };
  return queries.map((query) => {
    const mine = hits.filter((hit) => meetsQuery(query, hit, storedKeys));
    return { hits: mine.slice(0, query.size), total: mine.length };
  });
}
