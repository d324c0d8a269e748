/**
 * The duplicate rule's names, without Elasticsearch's fuzzy query.
 *
 * Two names are alike when a token of one is within the allowed edits of a token of the other:
 * the edits of Elasticsearch's `fuzziness: AUTO` (none for a token under 3 characters, one under
 * 6, two from 6 on), counted as insertions, deletions, substitutions and swaps of two neighbours
 * (optimal string alignment, as Lucene counts them), on lower-case tokens (split at anything but
 * letters, marks, digits and apostrophes), in code points.
 *
 * Elasticsearch's fuzzy query builds a Levenshtein automaton for each name of each query (~2 ms
 * of its CPU per two-edit name, whatever the index holds). Here each search document carries its
 * names' deletion keys instead (every string left by deleting up to two characters of a token):
 * two tokens within k edits always share a key made by at most k deletions from each (a
 * substitution or a swap is one deletion on each side, an insertion one on one side), so a query
 * asks only for exact keys (cheap term lookups) and gets every match, plus a few near misses,
 * which `nameEdits` sorts out by counting the edits.
 */

/** Tokens longer than this are not keyed: a record with one is checked by the fuzzy query. */
export const KEYED_TOKEN_MAX = 20;

export interface DuplicateKeys {
  family: string[];
  first: string[];
  related: string[];
}

/** The names the rule compares: the subject's first and family names, the related person's family name. */
export interface ComparedNames {
  subject: { firstNames?: string; familyName?: string };
  related: { familyName?: string };
}

const codePoints = (s: string): string[] => Array.from(s);

/** A name's tokens: lower case, split at anything but letters, marks, digits and apostrophes. */
export function nameTokens(name: string | undefined): string[] {
  if (!name) return [];
  return name
    .toLowerCase()
    .split(/[^\p{L}\p{M}\p{N}']+/u)
    .map((t) => t.replace(/^'+|'+$/g, ''))
    .filter((t) => t.length > 0);
}

/** The edits `fuzziness: AUTO` allows a query token of this many code points. */
export function allowedEdits(token: string): number {
  const n = codePoints(token).length;
  return n < 3 ? 0 : n < 6 ? 1 : 2;
}

/** Every string left by deleting up to `k` code points of `token` (the token itself included). */
export function deletionVariants(token: string, k: number): string[] {
  const seen = new Set<string>([token]);
  // Without surrogate pairs a code point is a UTF-16 unit: slice the string itself.
  const astral = /[\uD800-\uDFFF]/.test(token);
  let frontier = [token];
  for (let round = 0; round < k; round++) {
    const next: string[] = [];
    for (const word of frontier) {
      const chars = astral ? codePoints(word) : undefined;
      const length = chars ? chars.length : word.length;
      for (let i = 0; i < length; i++) {
        const key = chars ? chars.slice(0, i).join('') + chars.slice(i + 1).join('') : word.slice(0, i) + word.slice(i + 1);
        if (key.length === 0 || seen.has(key)) continue;
        seen.add(key);
        next.push(key);
      }
    }
    frontier = next;
  }
  return [...seen];
}

/**
 * A stored token's keys. A token of 3 code points or fewer is only ever matched by a query token
 * allowed one edit (two edits need a query token of 6, too long to be within two of it), so one
 * deletion is enough; a token beyond `KEYED_TOKEN_MAX + 2` can only be matched by a query token
 * beyond `KEYED_TOKEN_MAX`, which is asked with the fuzzy query: it gets no keys (bounding a
 * document's keys, whatever a name holds).
 */
function storedKeys(tokens: string[]): string[] {
  const keys = new Set<string>();
  for (const token of tokens) {
    const n = codePoints(token).length;
    if (n > KEYED_TOKEN_MAX + 2) continue;
    for (const key of deletionVariants(token, n <= 3 ? 1 : 2)) keys.add(key);
  }
  return [...keys];
}

/** The keys a search document carries for its names. */
export function duplicateKeysOf(names: ComparedNames): DuplicateKeys {
  return {
    family: storedKeys(nameTokens(names.subject.familyName)),
    first: storedKeys(nameTokens(names.subject.firstNames)),
    related: storedKeys(nameTokens(names.related.familyName)),
  };
}

/** A query token's keys: its deletion variants within the edits it is allowed. */
export const queryKeys = (token: string): string[] => deletionVariants(token, allowedEdits(token));

/** Whether the keys can answer for these names (no token beyond `KEYED_TOKEN_MAX`). */
export function keyable(names: ComparedNames): boolean {
  return [names.subject.familyName, names.subject.firstNames, names.related.familyName]
    .flatMap(nameTokens)
    .every((t) => codePoints(t).length <= KEYED_TOKEN_MAX);
}

/**
 * The optimal-string-alignment distance of two tokens, in code points, or `max + 1` as soon as
 * it is known to exceed `max`.
 */
export function editDistance(a: string, b: string, max: number): number {
  const x = codePoints(a);
  const y = codePoints(b);
  if (Math.abs(x.length - y.length) > max) return max + 1;
  let before = new Array<number>(y.length + 1).fill(0);
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  let row = new Array<number>(y.length + 1).fill(0);
  for (let i = 1; i <= x.length; i++) {
    row[0] = i;
    let best = i;
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) v = Math.min(v, before[j - 2]! + 1);
      row[j] = v;
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
    [before, prev, row] = [prev, row, before];
  }
  return Math.min(prev[y.length]!, max + 1);
}

/**
 * The fewest edits by which the query's tokens match the stored ones: with `every`, each query
 * token must match (the sum of their edits), otherwise one is enough (the least). Undefined when
 * they do not match.
 */
function clauseEdits(query: string[], stored: string[], every: boolean): number | undefined {
  let total: number | undefined;
  for (const q of query) {
    const allowed = allowedEdits(q);
    let best = allowed + 1;
    for (const s of stored) best = Math.min(best, editDistance(q, s, allowed));
    if (best > allowed) {
      if (every) return undefined;
      continue;
    }
    total = total === undefined ? best : every ? total + best : Math.min(total, best);
  }
  return total;
}

/**
 * How many edits make `candidate`'s names those of `query` under the rule (the family name, every
 * first name, and the related family name when the query has one), or undefined when they are
 * not alike. Fewer edits is a better match.
 */
export function nameEdits(query: ComparedNames, candidate: ComparedNames): number | undefined {
  const family = clauseEdits(nameTokens(query.subject.familyName), nameTokens(candidate.subject.familyName), false);
  if (family === undefined) return undefined;
  const first = clauseEdits(nameTokens(query.subject.firstNames), nameTokens(candidate.subject.firstNames), true);
  if (first === undefined) return undefined;
  const relatedTokens = nameTokens(query.related.familyName);
  if (relatedTokens.length === 0) return family + first;
  const related = clauseEdits(relatedTokens, nameTokens(candidate.related.familyName), false);
  return related === undefined ? undefined : family + first + related;
}
