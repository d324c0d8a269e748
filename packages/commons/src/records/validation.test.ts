import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SAMPLE_PNG_BASE64, sampleBirth, sampleCorrection, sampleDeath, sampleMarriage } from './fixtures.js';
import { recordInputSchemas } from './inputs.js';
import { describeIssues, validateInput, type ValidationIssue, type ValidationResult } from './validation.js';

const DRAFT = '3f2b8c1e-6d4a-4f7b-9a0c-2e5d8b1f4c7a';
/** Noon UTC on 2025-06-15: the latest date begun anywhere on Earth is 2025-06-16. */
const schemas = recordInputSchemas({ now: () => new Date('2025-06-15T12:00:00Z') });

function issuesOf(result: ValidationResult<unknown>): ValidationIssue[] {
  assert.equal(result.ok, false, 'expected the input to be rejected');
  return result.ok ? [] : result.issues;
}

/** Asserts one issue has this field and rule, and returns it. */
function expectIssue(result: ValidationResult<unknown>, field: string, rule: string): ValidationIssue {
  const issues = issuesOf(result);
  const found = issues.find((issue) => issue.field === field && issue.rule === rule);
  assert.ok(found, `no issue ${field} / ${rule} in ${JSON.stringify(issues, null, 2)}`);
  return found;
}

/** A copy of `value` without `key`. */
function without<T extends object, K extends keyof T>(value: T, key: K): Omit<T, K> {
  const copy = { ...value };
  delete copy[key];
  return copy;
}

/** A 1x1 GIF. */
const GIF_BASE64 = 'R0lGODlhAQABAAAAACw=';

/** `size` bytes that start as a PNG does (the signature, then zeros). */
function pngOfSize(size: number): string {
  const bytes = Buffer.alloc(size);
  Buffer.from(SAMPLE_PNG_BASE64, 'base64').copy(bytes, 0, 0, 8);
  return bytes.toString('base64');
}

const birth = (overrides: Record<string, unknown>): unknown => ({ ...sampleBirth(DRAFT), ...overrides });
const validBirth = (value: unknown) => validateInput(schemas.BirthRegistrationInput, value);

test('a missing required field is reported as required', () => {
  const issue = expectIssue(validBirth(without(sampleBirth(DRAFT), 'informant')), 'details.informant', 'required');
  assert.equal(issue.message, 'is required');
});

test('a string over its limit is reported with the limit', () => {
  const child = { ...sampleBirth(DRAFT).child, firstNames: 'A'.repeat(101) };
  const issue = expectIssue(validBirth(birth({ child })), 'details.child.firstNames', 'max length 100');
  assert.equal(issue.message, 'must be at most 100 characters');
});

test('strings are trimmed before they are checked and stored', () => {
  const child = { ...sampleBirth(DRAFT).child, firstNames: '  Amina  ' };
  const result = validBirth(birth({ child }));
  assert.ok(result.ok);
  assert.equal(result.value.child.firstNames, 'Amina');
  const blank = { ...child, familyName: '   ' };
  expectIssue(validBirth(birth({ child: blank })), 'details.child.familyName', 'not empty');
});

test('draftId must be a UUID, of any version and either case', () => {
  const registration = { ...sampleBirth(DRAFT).registration, draftId: 'draft-1' };
  expectIssue(validBirth(birth({ registration })), 'details.registration.draftId', 'uuid');
  const versions = [DRAFT.toUpperCase(), '00000000-0000-0000-0000-000000000000', 'c232ab00-9414-11ec-b3c8-9f6bdeced846'];
  for (const draftId of versions) assert.ok(validBirth(sampleBirth(draftId)).ok, draftId);
});

test('a date must be YYYY-MM-DD and a real calendar day', () => {
  for (const eventDate of ['2023-02-29', '2024-04-31', '15/06/2024', '2024-6-1', '2024-06-01T00:00:00Z']) {
    const result = validBirth(birth({ eventDate, child: { firstNames: 'A', familyName: 'B' } }));
    expectIssue(result, 'details.eventDate', 'date YYYY-MM-DD');
  }
  assert.ok(validBirth(birth({ eventDate: '2024-02-29', child: { firstNames: 'A', familyName: 'B' } })).ok);
});

test('a date in the future is refused; today anywhere on Earth is not the future', () => {
  const child = { firstNames: 'A', familyName: 'B' };
  expectIssue(validBirth(birth({ eventDate: '2025-06-17', child })), 'details.eventDate', 'not in the future');
  assert.ok(validBirth(birth({ eventDate: '2025-06-16', child })).ok);
  const mother = { firstNames: 'M', familyName: 'B', birthDate: '2999-01-01' };
  const issue = expectIssue(validBirth(birth({ mother })), 'details.mother.birthDate', 'not in the future');
  assert.equal(issue.message, '2999-01-01 is in the future');
});

test('a date before 1800 is taken for a typing error', () => {
  const mother = { firstNames: 'M', familyName: 'B', birthDate: '0199-01-01' };
  expectIssue(validBirth(birth({ mother })), 'details.mother.birthDate', 'not before 1800-01-01');
});

test('a value outside an enum lists the allowed values', () => {
  const child = { ...sampleBirth(DRAFT).child, gender: 'M' };
  const issue = expectIssue(validBirth(birth({ child })), 'details.child.gender', 'one of male, female, unknown');
  assert.equal(issue.message, 'must be one of male, female, unknown; got "M"');
});

test('an unknown field is an error of its own, named by its path', () => {
  const child = { ...sampleBirth(DRAFT).child, middleName: 'X', nickname: 'Y' };
  const issues = issuesOf(validBirth(birth({ child, extra: true })));
  assert.deepEqual(issues.map((issue) => `${issue.field} ${issue.rule}`).sort(), [
    'details.child.middleName unknown field',
    'details.child.nickname unknown field',
    'details.extra unknown field',
  ]);
  assert.equal(issues[0]?.message, 'unknown field "middleName"; check its spelling or leave it out');
});

test('contact needs a phone or an email, reported on contact', () => {
  const registration = { draftId: DRAFT, contact: {} };
  const result = validBirth(birth({ registration }));
  const issue = expectIssue(result, 'details.registration.contact', 'at least one of phone, email');
  assert.match(issue.message, /phone number or an email/);
  assert.ok(validBirth(birth({ registration: { draftId: DRAFT, contact: { email: 'a@example.org' } } })).ok);
  assert.ok(validBirth(birth({ registration: { draftId: DRAFT, contact: { phone: '+254712345678' } } })).ok);
});

test('phone, email, country and national id follow their formats', () => {
  const contact = { phone: '0712 345 678', email: 'not-an-email' };
  const result = validBirth(birth({ registration: { draftId: DRAFT, contact } }));
  expectIssue(result, 'details.registration.contact.phone', 'phone E.164');
  expectIssue(result, 'details.registration.contact.email', 'email');
  const place = { country: 'ke' };
  expectIssue(validBirth(birth({ eventLocation: place })), 'details.eventLocation.country', 'ISO 3166-1 alpha-3');
  const child = { firstNames: 'A', familyName: 'B', nationalId: 'AB_12' };
  expectIssue(validBirth(birth({ child })), 'details.child.nationalId', 'letters, digits, dashes');
  const short = validBirth(birth({ child: { ...child, nationalId: 'AB' } }));
  expectIssue(short, 'details.child.nationalId', 'min length 4');
});

test('a number outside its range names the bound', () => {
  expectIssue(validBirth(birth({ weightAtBirthKg: 12 })), 'details.weightAtBirthKg', 'max 10');
  expectIssue(validBirth(birth({ weightAtBirthKg: 0.1 })), 'details.weightAtBirthKg', 'min 0.2');
  const issue = expectIssue(validBirth(birth({ weightAtBirthKg: '3' })), 'details.weightAtBirthKg', 'type number');
  assert.equal(issue.message, 'must be a number, got a string');
});

test('an attachment over the size limit says its size and the limit', () => {
  const data = Buffer.alloc(6_500_000).toString('base64');
  const attachments = [{ type: 'OTHER', subject: 'CHILD', contentType: 'application/pdf', data }];
  const issue = expectIssue(validBirth(birth({ attachments })), 'details.attachments[0].data', 'max size 5 MB');
  assert.equal(issue.message, 'attachment is 6.2 MB, the limit is 5 MB');
});

test('the size limit is a parameter, and a near miss is told in bytes', () => {
  const small = recordInputSchemas({ maxAttachmentBytes: 1000 });
  const data = pngOfSize(1001);
  const attachments = [{ type: 'OTHER', subject: 'CHILD', contentType: 'image/png', data }];
  const result = validateInput(small.BirthRegistrationInput, birth({ attachments }));
  const issue = expectIssue(result, 'details.attachments[0].data', 'max size 1000 bytes');
  assert.equal(issue.message, 'attachment is 1001 bytes, the limit is 1000 bytes');
  const atLimit = [{ ...attachments[0], data: pngOfSize(1000) }];
  assert.ok(validateInput(small.BirthRegistrationInput, birth({ attachments: atLimit })).ok);
});

test('a content type outside the list names the allowed ones', () => {
  const attachments = [{ ...sampleBirth(DRAFT).attachments[0]!, contentType: 'image/gif' }];
  const result = validBirth(birth({ attachments }));
  const issue = expectIssue(result, 'details.attachments[0].contentType', 'allowed content type');
  assert.equal(
    issue.message,
    'content type "image/gif" is not allowed; allowed: image/jpeg, image/png, application/pdf',
  );
  const upper = [{ ...attachments[0]!, contentType: 'IMAGE/PNG' }];
  const normalised = validBirth(birth({ attachments: upper }));
  assert.ok(normalised.ok);
  assert.equal(normalised.value.attachments[0]?.contentType, 'image/png');
  const gifs = recordInputSchemas({ allowedContentTypes: ['image/gif'] });
  const gif = [{ ...attachments[0]!, data: GIF_BASE64 }];
  assert.ok(validateInput(gifs.BirthRegistrationInput, birth({ attachments: gif })).ok);
});

test('attachment data must be strict base64 and not empty', () => {
  const attachment = sampleBirth(DRAFT).attachments[0]!;
  const cases = [
    'abc$',
    'aGVsbG8', // padding missing
    'aGVs\nbG8=',
    ' aGVsbG8= ',
    'aGVsbG8-',
    'aGVsbG9=', // stray bits in the last character
    `data:image/png;base64,${attachment.data}`,
  ];
  for (const data of cases) {
    const result = validBirth(birth({ attachments: [{ ...attachment, data }] }));
    expectIssue(result, 'details.attachments[0].data', 'base64');
  }
  const empty = validBirth(birth({ attachments: [{ ...attachment, data: '' }] }));
  expectIssue(empty, 'details.attachments[0].data', 'not empty');
});

test('too many attachments is one issue on the list', () => {
  const attachment = sampleBirth(DRAFT).attachments[0]!;
  const issue = expectIssue(
    validBirth(birth({ attachments: Array.from({ length: 11 }, () => attachment) })),
    'details.attachments',
    'max items 10',
  );
  assert.equal(issue.message, 'at most 10 attachments are allowed');
  const two = recordInputSchemas({ maxAttachments: 2 });
  const three = validateInput(two.BirthRegistrationInput, birth({ attachments: [attachment, attachment, attachment] }));
  expectIssue(three, 'details.attachments', 'max items 2');
});

test('a marriage has two to four witnesses', () => {
  const marriage = sampleMarriage(DRAFT);
  const witness = marriage.witnesses[0]!;
  const validMarriage = (witnesses: unknown[]) =>
    validateInput(schemas.MarriageRegistrationInput, { ...marriage, witnesses });
  expectIssue(validMarriage([witness]), 'details.witnesses', 'min items 2');
  expectIssue(validMarriage([witness, witness, witness, witness, witness]), 'details.witnesses', 'max items 4');
  assert.ok(validMarriage([witness, witness, witness, witness]).ok);
  expectIssue(validMarriage([witness, null]), 'details.witnesses[1]', 'type object');
});

test('a death cannot come before the birth of the deceased', () => {
  const death = sampleDeath(DRAFT);
  const deceased = { ...death.deceased, birthDate: '2024-06-01' };
  const issue = expectIssue(
    validateInput(schemas.DeathRegistrationInput, { ...death, deceased, eventDate: '2024-05-31' }),
    'details.eventDate',
    'not before deceased.birthDate',
  );
  assert.equal(issue.message, 'the date of death 2024-05-31 is before the date of birth 2024-06-01');
  assert.ok(validateInput(schemas.DeathRegistrationInput, { ...death, deceased, eventDate: '2024-06-01' }).ok);
});

test('cross-field rules are reported together with field rules', () => {
  const death = sampleDeath(DRAFT);
  const deceased = { ...death.deceased, birthDate: '2024-06-01' };
  const input = without({ ...death, deceased, eventDate: '2024-05-31' }, 'informant');
  const result = validateInput(schemas.DeathRegistrationInput, input);
  expectIssue(result, 'details.informant', 'required');
  expectIssue(result, 'details.eventDate', 'not before deceased.birthDate');
});

test("the child's birth date, when given, is the event date; parents are born before", () => {
  const sample = sampleBirth(DRAFT);
  const child = { ...sample.child, birthDate: '2020-01-01' };
  expectIssue(validBirth({ ...sample, child }), 'details.child.birthDate', 'equals eventDate');
  const mother = { ...sample.mother!, birthDate: '2024-07-01' };
  const lateMother = validBirth({ ...sample, eventDate: '2024-06-30', child: sample.child, mother });
  expectIssue(lateMother, 'details.mother.birthDate', 'not after eventDate');
  assert.ok(validBirth({ ...sample, child: without(sample.child, 'birthDate') }).ok);
});

test('a witness born after the marriage is reported at its index', () => {
  const marriage = sampleMarriage(DRAFT);
  const late = { ...marriage.witnesses[1]!, birthDate: '2024-12-01' };
  const witnesses = [marriage.witnesses[0], late];
  const result = validateInput(schemas.MarriageRegistrationInput, { ...marriage, eventDate: '2024-01-01', witnesses });
  expectIssue(result, 'details.witnesses[1].birthDate', 'not after eventDate');
});

test('a correction lists 1 to 50 distinct, well-formed field paths', () => {
  const correction = sampleCorrection(DRAFT);
  const validCorrection = (changes: unknown[]) => validateInput(schemas.CorrectionInput, { ...correction, changes });
  expectIssue(validCorrection([]), 'details.changes', 'not empty');
  const many = Array.from({ length: 51 }, (_, i) => ({ field: `witnesses[${i}].firstNames`, value: 'x' }));
  expectIssue(validCorrection(many), 'details.changes', 'max items 50');
  const badPath = validCorrection([{ field: 'child..firstNames', value: 'x' }]);
  expectIssue(badPath, 'details.changes[0].field', 'dotted field path');
  const longPath = validCorrection([{ field: `a${'.b'.repeat(50)}`, value: 'x' }]);
  expectIssue(longPath, 'details.changes[0].field', 'max length 100');
  expectIssue(validCorrection([{ field: 'child.firstNames' }]), 'details.changes[0].value', 'required');
  const twice = [
    { field: 'child.firstNames', value: 'A' },
    { field: 'child.firstNames', value: 'B' },
  ];
  expectIssue(validCorrection(twice), 'details.changes[1].field', 'unique field');
  const indexed = [
    { field: 'witnesses[1].familyName', value: 'Otieno' },
    { field: 'eventDate', value: '' },
  ];
  assert.ok(validCorrection(indexed).ok);
  const typo = validateInput(schemas.CorrectionInput, { ...correction, reason: 'TYPO' });
  expectIssue(typo, 'details.reason', 'one of CLERICAL_ERROR, MATERIAL_ERROR, COURT_ORDER, OTHER');
  expectIssue(validateInput(schemas.CorrectionInput, { ...correction, draftId: 'x' }), 'details.draftId', 'uuid');
});

test('null means absent, as GraphQL sends it for nullable fields', () => {
  const sample = sampleBirth(DRAFT);
  const input = { ...sample, mother: null, weightAtBirthKg: null, child: { ...sample.child, gender: null } };
  const result = validBirth(input);
  assert.ok(result.ok);
  assert.equal('mother' in result.value, false);
  assert.equal('gender' in result.value.child, false);
  expectIssue(validBirth({ ...sample, informant: null }), 'details.informant', 'required');
  // graphql-js hands resolvers objects without a prototype.
  assert.ok(validBirth(Object.assign(Object.create(null) as object, sample)).ok);
});

test('attachments default to none', () => {
  const result = validateInput(schemas.DeathRegistrationInput, without(sampleDeath(DRAFT), 'attachments'));
  assert.ok(result.ok);
  assert.deepEqual(result.value.attachments, []);
});

test('a __proto__ key is an unknown field, not a prototype', () => {
  const input: unknown = JSON.parse(`{"__proto__": {"polluted": true}, "firstNames": "A", "familyName": "B"}`);
  expectIssue(validateInput(schemas.PersonInput, input), 'details.__proto__', 'unknown field');
});

test('the root path is a parameter, and an empty root leaves no leading dot', () => {
  const nested = validateInput(schemas.PersonInput, { firstNames: 'A' }, 'input.person');
  expectIssue(nested, 'input.person.familyName', 'required');
  expectIssue(validateInput(schemas.PersonInput, { firstNames: 'A' }, ''), 'familyName', 'required');
  expectIssue(validateInput(schemas.PersonInput, 'x', 'person'), 'person', 'type object');
});

test('describeIssues joins the issues on one line', () => {
  const issues = issuesOf(validateInput(schemas.PersonInput, { firstNames: '' }));
  assert.equal(
    describeIssues(issues),
    'details.firstNames: must not be empty (not empty); details.familyName: is required (required)',
  );
});
