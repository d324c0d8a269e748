/**
 * Valid sample inputs for tests in every package. Each sample names different people for a
 * different seed (by default the draftId), so tests that submit several records, and the
 * benchmark's thousands, rarely make them look like duplicates of each other (about one pair in
 * 30,000 matches on names and a date within three days). Dates are fixed and in the past so the samples stay valid.
 */
import type {
  AttachmentInput,
  BirthRegistrationInput,
  CorrectionInput,
  DeathRegistrationInput,
  MarriageRegistrationInput,
  PersonInput,
  PlaceInput,
  RegistrationMetaInput,
} from './inputs.js';

/** A 1x1 PNG (69 bytes). */
export const SAMPLE_PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGPQqzUCAAG6AN7Eir+IAAAAAElFTkSuQmCC';

/** A one-page PDF saying "Steadfast test attachment" (599 bytes). */
export const SAMPLE_PDF_BASE64 =
  'JVBERi0xLjQKMSAwIG9iago8PCAvVHlwZSAvQ2F0YWxvZyAvUGFnZXMgMiAwIFIgPj4KZW5kb2JqCjIgMCBvYmoKPDwgL1R5cGUgL1BhZ2VzIC9LaWRzIFszIDAgUl0gL0NvdW50IDEgPj4KZW5kb2JqCjMgMCBvYmoKPDwgL1R5cGUgL1BhZ2UgL1BhcmVudCAyIDAgUiAvTWVkaWFCb3ggWzAgMCAyMDAgMTAwXSAvQ29udGVudHMgNCAwIFIgL1Jlc291cmNlcyA8PCAvRm9udCA8PCAvRjEgNSAwIFIgPj4gPj4gPj4KZW5kb2JqCjQgMCBvYmoKPDwgL0xlbmd0aCA1NSA+PgpzdHJlYW0KQlQgL0YxIDEyIFRmIDIwIDUwIFRkIChTdGVhZGZhc3QgdGVzdCBhdHRhY2htZW50KSBUaiBFVAplbmRzdHJlYW0KZW5kb2JqCjUgMCBvYmoKPDwgL1R5cGUgL0ZvbnQgL1N1YnR5cGUgL1R5cGUxIC9CYXNlRm9udCAvSGVsdmV0aWNhID4+CmVuZG9iagp4cmVmCjAgNgowMDAwMDAwMDAwIDY1NTM1IGYgCjAwMDAwMDAwMDkgMDAwMDAgbiAKMDAwMDAwMDA1OCAwMDAwMCBuIAowMDAwMDAwMTE1IDAwMDAwIG4gCjAwMDAwMDAyNDEgMDAwMDAgbiAKMDAwMDAwMDM0NiAwMDAwMCBuIAp0cmFpbGVyCjw8IC9TaXplIDYgL1Jvb3QgMSAwIFIgPj4Kc3RhcnR4cmVmCjQxNgolJUVPRgo=';

/** Any string or number; equal seeds give equal people. */
export type FixtureSeed = string | number;

const FIRST_NAMES_F = [
  'Amina', 'Grace', 'Fatuma', 'Wanjiru', 'Chloe', 'Lucia', 'Nadia', 'Esther', 'Mariam', 'Zawadi',
];
const FIRST_NAMES_M = [
  'Baraka', 'Joseph', 'Omar', 'Kamau', 'Daniel', 'Tomas', 'Yusuf', 'Peter', 'Juma', 'Samuel',
];
const FAMILY_NAMES = [
  'Otieno', 'Mwangi', 'Hassan', 'Njoroge', 'Achieng', 'Kiptoo', 'Mutua', 'Wekesa', 'Odhiambo', 'Chebet',
  'Kariuki', 'Omondi', 'Barasa', 'Nyambura', 'Kimani', 'Ali', 'Wafula', 'Jeptoo', 'Macharia', 'Onyango',
];

export function sampleBirth(
  draftId: string,
  overrides: Partial<BirthRegistrationInput> = {},
  seed: FixtureSeed = draftId,
): BirthRegistrationInput {
  const n = seedNumber(seed);
  const family = pick(FAMILY_NAMES, Math.floor(n / 10), 1);
  const eventDate = pastDay('2024-06-30', n);
  const motherBorn = pastDay('1994-03-15', n);
  const mother = person(pick(FIRST_NAMES_F, n, 7), pick(FAMILY_NAMES, n, 3), motherBorn, 'female', n, 'M');
  return {
    registration: registration(draftId, n),
    child: { firstNames: pick(FIRST_NAMES_F, n), familyName: family, birthDate: eventDate, gender: 'female' },
    mother,
    father: person(pick(FIRST_NAMES_M, n), family, pastDay('1991-11-02', n), 'male', n, 'F'),
    informant: { ...mother, relationship: 'MOTHER' },
    eventDate,
    eventLocation: place(n, 'Kenyatta National Hospital'),
    weightAtBirthKg: 2.5 + (n % 20) / 10,
    attachments: [png('BIRTH_NOTIFICATION', 'CHILD')],
    ...overrides,
  };
}

export function sampleDeath(
  draftId: string,
  overrides: Partial<DeathRegistrationInput> = {},
  seed: FixtureSeed = draftId,
): DeathRegistrationInput {
  const n = seedNumber(seed);
  return {
    registration: registration(draftId, n),
    deceased: person(pick(FIRST_NAMES_M, n, 3), pick(FAMILY_NAMES, n, 5), pastDay('1948-07-21', n), 'male', n, 'D'),
    eventDate: pastDay('2024-05-10', n),
    eventLocation: place(n, 'Moi Teaching and Referral Hospital'),
    causeOfDeath: 'Heart failure',
    informant: {
      ...person(pick(FIRST_NAMES_F, n, 5), pick(FAMILY_NAMES, n, 5), undefined, 'female', n, 'I'),
      relationship: 'DAUGHTER',
    },
    attachments: [pdf('DEATH_CERTIFICATE', 'DECEASED')],
    ...overrides,
  };
}

export function sampleMarriage(
  draftId: string,
  overrides: Partial<MarriageRegistrationInput> = {},
  seed: FixtureSeed = draftId,
): MarriageRegistrationInput {
  const n = seedNumber(seed);
  return {
    registration: registration(draftId, n),
    bride: person(pick(FIRST_NAMES_F, n, 2), pick(FAMILY_NAMES, n, 7), pastDay('1996-02-14', n), 'female', n, 'B'),
    groom: person(pick(FIRST_NAMES_M, n, 4), pick(FAMILY_NAMES, n, 9), pastDay('1993-09-30', n), 'male', n, 'G'),
    witnesses: [
      person(pick(FIRST_NAMES_F, n, 6), pick(FAMILY_NAMES, n, 11), undefined, 'female', n, 'W1'),
      person(pick(FIRST_NAMES_M, n, 8), pick(FAMILY_NAMES, n, 13), undefined, 'male', n, 'W2'),
    ],
    eventDate: pastDay('2024-04-20', n),
    eventLocation: place(n, 'Registrar General Office'),
    attachments: [pdf('MARRIAGE_NOTICE', 'BRIDE')],
    ...overrides,
  };
}

export function sampleCorrection(
  draftId: string,
  overrides: Partial<CorrectionInput> = {},
  seed: FixtureSeed = draftId,
): CorrectionInput {
  const n = seedNumber(seed);
  return {
    draftId,
    reason: 'CLERICAL_ERROR',
    note: 'The first name was misspelled at declaration.',
    changes: [{ field: 'child.firstNames', value: pick(FIRST_NAMES_F, n, 4) }],
    attachments: [pdf('CORRECTION_EVIDENCE', 'CHILD')],
    ...overrides,
  };
}

function registration(draftId: string, n: number): RegistrationMetaInput {
  return {
    draftId,
    contact: { phone: `+2547${String(n % 100_000_000).padStart(8, '0')}`, email: `informant.${n}@example.org` },
  };
}

function person(
  firstNames: string,
  familyName: string,
  birthDate: string | undefined,
  gender: PersonInput['gender'],
  n: number,
  role: string,
): PersonInput {
  return {
    firstNames,
    familyName,
    ...(birthDate === undefined ? {} : { birthDate }),
    gender,
    nationalId: `${role}-${n.toString(36).toUpperCase().padStart(7, '0')}`,
  };
}

function place(n: number, facility: string): PlaceInput {
  const district = pick(['Nairobi', 'Kisumu', 'Mombasa', 'Nakuru', 'Eldoret'], n);
  return { country: 'KEN', district, locality: 'Central', facility };
}

function png(type: AttachmentInput['type'], subject: AttachmentInput['subject']): AttachmentInput {
  return { type, subject, contentType: 'image/png', data: SAMPLE_PNG_BASE64 };
}

function pdf(type: AttachmentInput['type'], subject: AttachmentInput['subject']): AttachmentInput {
  return { type, subject, contentType: 'application/pdf', data: SAMPLE_PDF_BASE64 };
}

/**
 * Spreads seeds over names and dates: a number is used as is (0, 1, 2 give different people), a
 * string is hashed (FNV-1a) so random draftIds rarely collide.
 */
/** FNV-1a of the seed's text: numbers too, so seeds 1, 2, 3… do not name neighbouring people. */
function seedNumber(seed: FixtureSeed): number {
  const text = String(seed);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  }
  return hash;
}

/** Element `n` of `list`, striding by `stride` so different roles of one seed get different names. */
function pick<T>(list: readonly T[], n: number, stride = 0): T {
  const item = list[(n + stride) % list.length];
  if (item === undefined) throw new Error('fixture lists are never empty');
  return item;
}

/**
 * `date` moved back by a seed-dependent number of days, up to about three years. The day comes
 * from other digits of the seed than the names (which use n mod 200), so names and dates combine
 * into 200,000 people rather than repeating every 1,000 seeds.
 */
function pastDay(date: string, n: number): string {
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() - (Math.floor(n / 200) % 1000));
  return day.toISOString().slice(0, 10);
}
