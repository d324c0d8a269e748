import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Population, seededRandom, zipf } from './population.js';
import { recordInputSchemas } from './records/index.js';

/** Records with at least one other of the same names and related family within three days. */
function similarity(people: Array<{ key: string; day: number }>): { withCandidate: number; largest: number } {
  const byKey = new Map<string, number[]>();
  for (const p of people) byKey.set(p.key, [...(byKey.get(p.key) ?? []), p.day]);
  let withCandidate = 0;
  let largest = 0;
  for (const days of byKey.values()) {
    for (const d of days) {
      const near = days.filter((e) => Math.abs(e - d) <= 3).length - 1;
      if (near > 0) withCandidate++;
      largest = Math.max(largest, near + 1);
    }
  }
  return { withCandidate, largest };
}

const day = (date: string) => Date.parse(date) / 86_400_000;

test('the same seed gives the same people; another seed, others', () => {
  const a = new Population({ seed: 7 });
  const b = new Population({ seed: 7 });
  const c = new Population({ seed: 8 });
  const take = (p: Population) => Array.from({ length: 50 }, () => p.next());
  const first = take(a);
  assert.deepEqual(first, take(b));
  assert.notDeepEqual(first, take(c));
});

test('zipf draws the first rank most, about 1/H(n) of the time', () => {
  const draw = zipf(50, 1);
  const random = seededRandom(3);
  const counts = new Array<number>(50).fill(0);
  for (let i = 0; i < 20_000; i++) counts[draw(random)]!++;
  const share = counts[0]! / 20_000;
  assert.ok(share > 0.19 && share < 0.25, `top rank share ${share}`);
  assert.ok(counts[0]! > counts[9]! * 5);
});

test('skewed people are valid registrations, and similar records occur at a country\'s rates', () => {
  const schemas = recordInputSchemas({ maxAttachmentBytes: 5 * 1024 * 1024, maxAttachments: 10 });
  const skewed = new Population({ seed: 1 });
  const people: Array<{ key: string; day: number }> = [];
  for (let i = 0; i < 5_000; i++) {
    const details = skewed.birth(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    if (i < 200) assert.equal(schemas.BirthRegistrationInput.safeParse(details).success, true, JSON.stringify(details));
    people.push({ key: `${details.child.firstNames}|${details.child.familyName}|${details.mother?.familyName}`, day: day(details.eventDate) });
  }
  const { withCandidate, largest } = similarity(people);
  console.log(`skewed: ${withCandidate} of 5000 records have a candidate; largest cluster ${largest}`);
  // Several percent of records have a candidate, and the commonest names form clusters.
  assert.ok(withCandidate / 5_000 > 0.03 && withCandidate / 5_000 < 0.5, `share with a candidate ${withCandidate / 5_000}`);
  assert.ok(largest >= 10, `largest cluster ${largest}`);

  const uniquePeople = new Population({ mode: 'unique', seed: 1 });
  const unique = Array.from({ length: 5_000 }, (_, i) => {
    const details = uniquePeople.birth(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    if (i < 200) assert.equal(schemas.BirthRegistrationInput.safeParse(details).success, true);
    return { key: `${details.child.firstNames}|${details.child.familyName}|${details.mother?.familyName}`, day: day(details.eventDate) };
  });
  assert.ok(similarity(unique).withCandidate / 5_000 < 0.01);
});

test('skewed deaths and marriages are valid registrations too', () => {
  const schemas = recordInputSchemas({ maxAttachmentBytes: 5 * 1024 * 1024, maxAttachments: 10 });
  const people = new Population({ seed: 5 });
  for (let i = 0; i < 200; i++) {
    const draftId = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const death = schemas.DeathRegistrationInput.safeParse(people.death(draftId));
    assert.equal(death.success, true, JSON.stringify(death.error?.issues[0]));
    const marriage = schemas.MarriageRegistrationInput.safeParse(people.marriage(draftId));
    assert.equal(marriage.success, true, JSON.stringify(marriage.error?.issues[0]));
  }
});

test('steady people: the share of new records meeting an earlier one does not grow with the run', () => {
  const schemas = recordInputSchemas({ maxAttachmentBytes: 5 * 1024 * 1024, maxAttachments: 10 });
  const people = new Population({ mode: 'steady', seed: 22 });
  const seen: Array<{ key: string; day: number }> = [];
  /** Of records from..to-1, the share with an earlier record of the same names within three days. */
  const shareMeetingEarlier = (from: number, to: number) => {
    let met = 0;
    for (let i = from; i < to; i++) {
      const p = seen[i]!;
      if (seen.slice(0, i).some((e) => e.key === p.key && Math.abs(e.day - p.day) <= 3)) met++;
    }
    return met / (to - from);
  };
  for (let i = 0; i < 10_000; i++) {
    const details = people.birth(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    if (i < 200) assert.equal(schemas.BirthRegistrationInput.safeParse(details).success, true, JSON.stringify(details));
    seen.push({ key: `${details.child.firstNames}|${details.child.familyName}|${details.mother?.familyName}`, day: day(details.eventDate) });
  }
  const early = shareMeetingEarlier(500, 1_000);
  const late = shareMeetingEarlier(9_500, 10_000);
  console.log(`steady: ${(early * 100).toFixed(1)}% of records 500-999 meet an earlier one, ${(late * 100).toFixed(1)}% of records 9,500-9,999`);
  for (const share of [early, late]) assert.ok(share > 0.025 && share < 0.08, `share ${share}`);
  assert.ok(Math.abs(late - early) < 0.03, `early ${early}, late ${late}`);
});
