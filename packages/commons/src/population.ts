/**
 * Realistic people for the benchmark and the drills' load: first and family names drawn from a
 * Zipf-like distribution (a few names are very common, as in a real country) and event dates
 * clustered on busy days, from a seed, so a run can be repeated exactly. `unique` mode gives
 * everyone a family name drawn from syllables, which almost never meets another's (`drawnName`).
 *
 * Similar records then occur at the rates a country sees: in `skewed` mode several percent of
 * records have a candidate and some names form clusters of dozens (see population.test.ts for
 * the figures), which is what the duplicate check must stay cheap under.
 *
 * `steady` mode is `unique` people with a fixed share of near-twins: each person is, with
 * probability `twinShare`, one of the last few people again (same names, the day moved by at
 * most two), as when an office registers the same child twice under two drafts. The share of
 * records with a candidate then stays the same however many records the stores already hold,
 * so a cost per record measured after a long run compares with one measured after a short run
 * (the fixtures' people repeat more the more there are: after 9,000 of them, a quarter of new
 * ones meet an earlier one).
 */
import type { BirthRegistrationInput, DeathRegistrationInput, MarriageRegistrationInput } from './records/inputs.js';
import { sampleBirth, sampleDeath, sampleMarriage } from './records/fixtures.js';

export type NameMode = 'unique' | 'skewed' | 'steady';

const FEMALE = [
  'Amina', 'Grace', 'Faith', 'Mercy', 'Mary', 'Esther', 'Sarah', 'Ann', 'Jane', 'Joy', 'Hope', 'Fatuma', 'Mariam', 'Zawadi',
  'Wanjiru', 'Akinyi', 'Chebet', 'Njeri', 'Auma', 'Halima', 'Lucy', 'Ruth', 'Naomi', 'Rose', 'Alice', 'Irene', 'Janet',
  'Eunice', 'Agnes', 'Beatrice', 'Caroline', 'Diana', 'Elizabeth', 'Florence', 'Gladys', 'Hellen', 'Judith', 'Lilian',
  'Monica', 'Nancy', 'Pauline', 'Rebecca', 'Susan', 'Teresa', 'Violet', 'Winnie', 'Zainab', 'Khadija', 'Salma', 'Aisha',
];
const MALE = [
  'John', 'Joseph', 'Peter', 'David', 'James', 'Daniel', 'Samuel', 'Paul', 'Brian', 'Kevin', 'Dennis', 'Mohamed', 'Ali',
  'Omar', 'Hassan', 'Juma', 'Baraka', 'Kamau', 'Otieno', 'Kiprono', 'Stephen', 'Michael', 'George', 'Charles', 'Francis',
  'Patrick', 'Robert', 'Thomas', 'Vincent', 'Wilson', 'Anthony', 'Benson', 'Collins', 'Edwin', 'Felix', 'Geoffrey',
  'Henry', 'Isaac', 'Kennedy', 'Lawrence', 'Martin', 'Nicholas', 'Oscar', 'Philip', 'Richard', 'Simon', 'Timothy',
  'Victor', 'Walter', 'Yusuf',
];
const FAMILY = [
  'Otieno', 'Mwangi', 'Kamau', 'Odhiambo', 'Njoroge', 'Ochieng', 'Kariuki', 'Wanjiku', 'Mohamed', 'Onyango', 'Kimani',
  'Omondi', 'Wambui', 'Mutua', 'Kipkemboi', 'Hassan', 'Achieng', 'Njeri', 'Macharia', 'Wafula', 'Barasa', 'Chebet',
  'Kiptoo', 'Wekesa', 'Nyambura', 'Ali', 'Jeptoo', 'Maina', 'Ndungu', 'Gitau', 'Karanja', 'Kibet', 'Korir', 'Langat',
  'Rotich', 'Cheruiyot', 'Koech', 'Owino', 'Okoth', 'Ouma', 'Juma', 'Abdi', 'Musyoka', 'Mutiso', 'Kilonzo', 'Nyaga',
  'Muriuki', 'Gachanja', 'Mbugua', 'Kinyua', 'Waweru', 'Githinji', 'Chege', 'Njuguna', 'Omollo', 'Oduya', 'Simiyu',
  'Wanyama', 'Nyongesa', 'Makokha',
];

const ONSETS = ['b', 'ch', 'd', 'f', 'g', 'h', 'j', 'k', 'l', 'm', 'mb', 'n', 'nd', 'ng', 'ny', 'p', 'r', 's', 'sh', 't', 'w', 'y'];
const VOWELS = ['a', 'e', 'i', 'o', 'u'];

/**
 * A family name drawn from syllables, as long as real ones (three or four syllables: 6-12
 * letters, most 6-9), e.g. `Wakimbo`, `Ndarusheyo`. Two drawn names are within two edits about
 * twice in 10,000 pairs, and the duplicate rule asks the first names and the date to match too:
 * a record meets an earlier drawn person about once in 2,000 (duplicate-keys.test.ts asserts
 * under 0.5%). Earlier releases appended seven drawn letters to a common name (11-16 letters:
 * 175-261 duplicate keys a document, against ~90 now).
 */
export function drawnName(r: () => number): string {
  const syllables = r() < 0.6 ? 3 : 4;
  let name = '';
  for (let i = 0; i < syllables; i++) name += ONSETS[Math.floor(r() * ONSETS.length)]! + VOWELS[Math.floor(r() * VOWELS.length)]!;
  return name[0]!.toUpperCase() + name.slice(1);
}

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same population. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Draws ranks 0..n-1 with probability proportional to 1/(rank+1)^s. */
export function zipf(n: number, s: number): (random: () => number) => number {
  const cumulative: number[] = [];
  let sum = 0;
  for (let rank = 1; rank <= n; rank++) cumulative.push((sum += 1 / rank ** s));
  return (random) => {
    const x = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export interface PopulationOptions {
  seed?: number;
  mode?: NameMode;
  /** Zipf exponent of names (1.1: the top first name is about one in six). */
  nameSkew?: number;
  /** Days the event dates span, ending on `lastDay`. */
  days?: number;
  lastDay?: string;
  /** Busy days (market days, month ends, holidays) and the share of events that fall on them. */
  busyDays?: number;
  busyShare?: number;
  /** `steady` mode: the share of people who repeat one of the last `twinWindow` people. */
  twinShare?: number;
  twinWindow?: number;
}

/** The names and date of one generated event: who it is about, the second person, the day. */
export interface Person {
  firstNames: string;
  familyName: string;
  gender: 'female' | 'male';
  /** The mother's, informant's or groom's family name: the duplicate check compares it too. */
  relatedFamilyName: string;
  eventDate: string;
}

/**
 * A seeded stream of people; `next()` is deterministic per seed and call.
 */
export class Population {
  private readonly random: () => number;
  private readonly first: (r: () => number) => number;
  private readonly family: (r: () => number) => number;
  private readonly busy: number[];
  private readonly options: Required<PopulationOptions>;
  /** `steady` mode: the last `twinWindow` people, the ones a near-twin repeats. */
  private readonly recent: Person[] = [];

  constructor(options: PopulationOptions = {}) {
    this.options = {
      seed: 1,
      mode: 'skewed',
      nameSkew: 1.1,
      days: 120,
      lastDay: '2024-06-30',
      busyDays: 12,
      busyShare: 0.5,
      twinShare: 0.05,
      twinWindow: 50,
      ...options,
    };
    this.random = seededRandom(this.options.seed);
    this.first = zipf(Math.min(FEMALE.length, MALE.length), this.options.nameSkew);
    this.family = zipf(FAMILY.length, this.options.nameSkew);
    this.busy = Array.from({ length: this.options.busyDays }, () => Math.floor(this.random() * this.options.days));
  }

  get mode(): NameMode {
    return this.options.mode;
  }

  next(): Person {
    if (this.options.mode !== 'steady') return this.draw();
    const r = this.random;
    const earlier = this.recent.length > 0 && r() < this.options.twinShare ? this.recent[Math.floor(r() * this.recent.length)] : undefined;
    const person = earlier ? { ...earlier, eventDate: dayBefore(earlier.eventDate, Math.floor(r() * 3) - 1) } : this.draw('unique');
    this.recent.push(person);
    if (this.recent.length > this.options.twinWindow) this.recent.shift();
    return person;
  }

  private draw(mode: NameMode = this.options.mode): Person {
    const r = this.random;
    if (mode === 'unique') {
      // A drawn family name (alike another person's only by chance, see drawnName), on a date
      // spread over the whole span: almost never a real candidate.
      const familyName = drawnName(r);
      const gender = r() < 0.5 ? 'female' : 'male';
      const firstNames = (gender === 'female' ? FEMALE : MALE)[Math.floor(r() * FEMALE.length)]!;
      return { firstNames, familyName, gender, relatedFamilyName: familyName, eventDate: dayBefore(this.options.lastDay, Math.floor(r() * this.options.days)) };
    }
    const gender = r() < 0.5 ? 'female' : 'male';
    const firstNames = (gender === 'female' ? FEMALE : MALE)[this.first(r)]!;
    const familyName = FAMILY[this.family(r)]!;
    // Often the same family name as the subject (a child named after a parent's family).
    const relatedFamilyName = r() < 0.6 ? familyName : FAMILY[this.family(r)]!;
    const offset = r() < this.options.busyShare ? this.busy[Math.floor(r() * this.busy.length)]! : Math.floor(r() * this.options.days);
    return { firstNames, familyName, gender, relatedFamilyName, eventDate: dayBefore(this.options.lastDay, offset) };
  }

  birth(draftId: string): BirthRegistrationInput {
    const base = sampleBirth(draftId);
    const p = this.next();
    return {
      ...base,
      child: { ...base.child, firstNames: p.firstNames, familyName: p.familyName, gender: p.gender, birthDate: p.eventDate },
      ...(base.mother ? { mother: { ...base.mother, familyName: p.relatedFamilyName } } : {}),
      ...(base.informant ? { informant: { ...base.informant, familyName: p.relatedFamilyName } } : {}),
      eventDate: p.eventDate,
    };
  }

  death(draftId: string): DeathRegistrationInput {
    const base = sampleDeath(draftId);
    const p = this.next();
    return {
      ...base,
      deceased: { ...base.deceased, firstNames: p.firstNames, familyName: p.familyName, gender: p.gender },
      informant: { ...base.informant, familyName: p.relatedFamilyName },
      eventDate: p.eventDate,
    };
  }

  marriage(draftId: string): MarriageRegistrationInput {
    const base = sampleMarriage(draftId);
    const p = this.next();
    const bride = p.gender === 'female' ? p.firstNames : FEMALE[this.first(this.random)]!;
    return {
      ...base,
      bride: { ...base.bride, firstNames: bride, familyName: p.familyName },
      groom: { ...base.groom, familyName: p.relatedFamilyName },
      eventDate: p.eventDate,
    };
  }
}

function dayBefore(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - days);
  return date.toISOString().slice(0, 10);
}
