import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  allowedEdits,
  deletionVariants,
  duplicateKeysOf,
  editDistance,
  KEYED_TOKEN_MAX,
  keyable,
  nameEdits,
  nameTokens,
  queryKeys,
  type ComparedNames,
} from './duplicate-keys.js';
import { Population } from '@steadfast/commons';

/** Optimal string alignment by the textbook table, with no early exit: the reference. */
function reference(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  const d = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[x.length]![y.length]!;
}

/** A deterministic stream of small numbers. */
function numbers(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A token and one up to three random edits away from it, over a small alphabet so that edits collide. */
function pairs(count: number): Array<[string, string]> {
  const next = numbers(7);
  const letters = 'abcé';
  const letter = () => letters[Math.floor(next() * letters.length)]!;
  const out: Array<[string, string]> = [];
  for (let n = 0; n < count; n++) {
    const length = 1 + Math.floor(next() * 10);
    const a = Array.from({ length }, letter);
    const b = [...a];
    const edits = Math.floor(next() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(next() * (b.length + 1));
      const kind = Math.floor(next() * 4);
      if (kind === 0) b.splice(at, 0, letter());
      else if (kind === 1 && b.length > 1) b.splice(Math.min(at, b.length - 1), 1);
      else if (kind === 2 && b.length > 0) b[Math.min(at, b.length - 1)] = letter();
      else if (b.length > 1) {
        const i = Math.min(at, b.length - 2);
        [b[i], b[i + 1]] = [b[i + 1]!, b[i]!];
      }
    }
    out.push([a.join(''), b.join('')]);
  }
  return out;
}

test('the edit distance is optimal string alignment (a swap of neighbours is one edit), in code points, capped at max + 1', () => {
  assert.equal(editDistance('lovelace', 'lovelace', 2), 0);
  assert.equal(editDistance('lovelace', 'lovelase', 2), 1);
  assert.equal(editDistance('lovelace', 'olvelace', 2), 1, 'a swap');
  assert.equal(editDistance('ada', 'adda', 1), 1);
  assert.equal(editDistance('josé', 'jose', 1), 1, 'é is one code point');
  assert.equal(editDistance('𝔞bc', 'abc', 1), 1, 'an astral character is one code point');
  assert.equal(editDistance('abcdef', 'uvwxyz', 2), 3, 'stops at max + 1');
  assert.equal(editDistance('ab', 'abcdef', 2), 3, 'lengths too far apart');
  for (const [a, b] of pairs(3000)) {
    const want = reference(a, b);
    for (const max of [0, 1, 2]) assert.equal(editDistance(a, b, max), Math.min(want, max + 1), `${a} ${b} max ${max}`);
  }
});

test('tokens: lower case, split at anything but letters, marks, digits and apostrophes inside a word', () => {
  assert.deepEqual(nameTokens('Mary-Jane  O’Brien'), ['mary', 'jane', 'o', 'brien']);
  assert.deepEqual(nameTokens("D'Arcy 'Ann'"), ["d'arcy", 'ann']);
  assert.deepEqual(nameTokens('ÉLODIE'), ['élodie']);
  assert.deepEqual(nameTokens(undefined), []);
  assert.deepEqual(nameTokens(' -- '), []);
});

test('the edits a query token is allowed are those of fuzziness AUTO', () => {
  assert.deepEqual(['ab', 'abc', 'abcde', 'abcdef', 'abcdefghijklmn'].map(allowedEdits), [0, 1, 1, 2, 2]);
});

test('deletion variants: every string left by up to k deletions, never the empty one', () => {
  assert.deepEqual(deletionVariants('abc', 1).sort(), ['ab', 'abc', 'ac', 'bc']);
  assert.deepEqual(deletionVariants('ab', 2).sort(), ['a', 'ab', 'b']);
  assert.equal(deletionVariants('lovelace', 2).length, new Set(deletionVariants('lovelace', 2)).size);
});

test('two tokens within the allowed edits always share a key: the keys never miss a match', () => {
  let matched = 0;
  for (const [q, s] of pairs(5000)) {
    if (reference(q, s) > allowedEdits(q)) continue;
    matched++;
    const stored = new Set(duplicateKeysOf({ subject: { familyName: s }, related: {} }).family);
    assert.ok(queryKeys(q).some((key) => stored.has(key)), `${q} and ${s} share no key`);
  }
  assert.ok(matched > 1000, `only ${matched} pairs within the edits`);
});

test('a document keys every token up to KEYED_TOKEN_MAX + 2 code points, and no longer one; a longer query token is not keyable', () => {
  const long = 'a'.repeat(KEYED_TOKEN_MAX + 3);
  const edge = 'b'.repeat(KEYED_TOKEN_MAX + 2);
  const keys = duplicateKeysOf({ subject: { familyName: `${long} ${edge}`, firstNames: 'Ada' }, related: { familyName: 'Byron' } });
  assert.ok(keys.family.includes(edge) && !keys.family.includes(long));
  assert.ok(keys.first.includes('ada') && keys.first.includes('ad') && keys.related.includes('byon'));
  const names = (familyName: string): ComparedNames => ({ subject: { familyName, firstNames: 'Ada' }, related: {} });
  assert.equal(keyable(names('b'.repeat(KEYED_TOKEN_MAX))), true);
  assert.equal(keyable(names('b'.repeat(KEYED_TOKEN_MAX + 1))), false);
});

test('names are alike by the family name, every first name, and the related family name when there is one; fewer edits is better', () => {
  const ada: ComparedNames = { subject: { firstNames: 'Ada Augusta', familyName: 'Lovelace' }, related: { familyName: 'Byron' } };
  assert.equal(nameEdits(ada, ada), 0);
  assert.equal(nameEdits(ada, { subject: { firstNames: 'Augusta Ada', familyName: 'LOVELASE' }, related: { familyName: 'Byron' } }), 1);
  assert.equal(nameEdits(ada, { subject: { firstNames: 'Ada Agusta', familyName: 'Lovelase' }, related: { familyName: 'Biron' } }), 3);
  assert.equal(nameEdits(ada, { subject: { firstNames: 'Ada', familyName: 'Lovelace' }, related: { familyName: 'Byron' } }), undefined, 'a first name missing');
  assert.equal(nameEdits(ada, { subject: { firstNames: 'Ada Augusta', familyName: 'Lovelace' }, related: {} }), undefined, 'no related family name');
  assert.equal(nameEdits(ada, { subject: { firstNames: 'Ada Augusta', familyName: 'Lovelace' }, related: { familyName: 'Byrom' } }), 1);
  assert.equal(nameEdits(ada, { subject: { firstNames: 'Ada Augusta', familyName: 'Lovelace' }, related: { familyName: 'Byrne' } }), undefined, 'two edits for a 5-letter name allowed one');
  assert.equal(nameEdits({ ...ada, related: {} }, { subject: { firstNames: 'Ada Augusta', familyName: 'King Lovelace' }, related: { familyName: 'Milbanke' } }), 0, 'any family token; no related name asked');
  assert.equal(nameEdits({ subject: { firstNames: 'Al', familyName: 'Wu' }, related: {} }, { subject: { firstNames: 'Al', familyName: 'Wo' }, related: {} }), undefined, 'a two-letter token must be exact');
});

test("the bench's distinct people (drawn family names of a real name's length) rarely meet one another under the rule", () => {
  // The rate search's population: were drawn names often alike, its records would be checked
  // against candidates the bench does not mean them to have.
  const people = new Population({ mode: 'unique', seed: 22 });
  const seen = Array.from({ length: 3_000 }, () => people.next());
  const names = (p: (typeof seen)[number]): ComparedNames => ({ subject: { firstNames: p.firstNames, familyName: p.familyName }, related: { familyName: p.relatedFamilyName } });
  const day = (date: string) => Date.parse(date) / 86_400_000;
  let met = 0;
  for (let i = 1_000; i < seen.length; i++) {
    const p = seen[i]!;
    if (seen.slice(0, i).some((e) => Math.abs(day(e.eventDate) - day(p.eventDate)) <= 3 && nameEdits(names(p), names(e)) !== undefined)) met++;
  }
  assert.ok(met / 2_000 < 0.005, `share meeting an earlier one ${met / 2_000}`);
  const lengths = seen.map((p) => p.familyName.length);
  assert.ok(Math.min(...lengths) >= 6 && Math.max(...lengths) <= 12, `lengths ${Math.min(...lengths)}-${Math.max(...lengths)}`);
  const keys = seen.slice(0, 500).map((p) => Object.values(duplicateKeysOf(names(p))).flat().length);
  const mean = keys.reduce((a, b) => a + b, 0) / keys.length;
  assert.ok(mean < 120, `keys a document ${mean}`);
});
