/**
 * Input as an attacker sends it: files that lie about their type, names that hide characters,
 * values of megabytes. Each is refused by a named rule on the field, and no error is larger than
 * a short piece of what it refuses.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SAMPLE_PDF_BASE64, SAMPLE_PNG_BASE64, sampleBirth, sampleCorrection } from './fixtures.js';
import { recordInputSchemas } from './inputs.js';
import { describeIssues, validateInput, type ValidationIssue, type ValidationResult } from './validation.js';

const DRAFT = '3f2b8c1e-6d4a-4f7b-9a0c-2e5d8b1f4c7a';
const schemas = recordInputSchemas({ now: () => new Date('2025-06-15T12:00:00Z') });
const validBirth = (value: unknown) => validateInput(schemas.BirthRegistrationInput, value);

/** An SVG with a script: what hides behind a false image/png. */
export const SVG_BASE64 = Buffer.from(
  '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>',
).toString('base64');
/** The first bytes of a JPEG (SOI, APP0 JFIF). */
const JPEG_BASE64 = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]).toString('base64');

function issuesOf(result: ValidationResult<unknown>): ValidationIssue[] {
  assert.equal(result.ok, false, 'expected the input to be rejected');
  return result.ok ? [] : result.issues;
}

function expectIssue(result: ValidationResult<unknown>, field: string, rule: string): ValidationIssue {
  const issues = issuesOf(result);
  const found = issues.find((issue) => issue.field === field && issue.rule === rule);
  assert.ok(found, `no issue ${field} / ${rule} in ${JSON.stringify(issues, null, 2).slice(0, 2_000)}`);
  return found;
}

const withAttachment = (contentType: string, data: string) =>
  sampleBirth(DRAFT, { attachments: [{ type: 'BIRTH_NOTIFICATION', subject: 'CHILD', contentType, data }] });

const withChild = (child: Record<string, unknown>) => ({ ...sampleBirth(DRAFT), child: { ...sampleBirth(DRAFT).child, ...child } });

test('an SVG declared image/png is refused on the data field, named as markup', () => {
  const issue = expectIssue(validBirth(withAttachment('image/png', SVG_BASE64)), 'details.attachments[0].data', 'bytes match contentType');
  assert.equal(
    issue.message,
    'attachment data is not a PNG image as its content type image/png says: its first bytes are those of markup text such as SVG, HTML or XML',
  );
  assert.doesNotMatch(issue.message, /script|svg xmlns/);
});

test('a PDF declared as a PNG, and a PNG declared as a PDF, are refused; each real type passes', () => {
  const pdfAsPng = expectIssue(validBirth(withAttachment('image/png', SAMPLE_PDF_BASE64)), 'details.attachments[0].data', 'bytes match contentType');
  assert.match(pdfAsPng.message, /first bytes are those of a PDF document \(application\/pdf\)$/);
  expectIssue(validBirth(withAttachment('application/pdf', SAMPLE_PNG_BASE64)), 'details.attachments[0].data', 'bytes match contentType');
  const random = Buffer.from('MZ\x90\x00 an executable').toString('base64');
  const unknown = expectIssue(validBirth(withAttachment('image/jpeg', random)), 'details.attachments[0].data', 'bytes match contentType');
  assert.match(unknown.message, /those of no allowed file type$/);
  assert.ok(validBirth(withAttachment('image/png', SAMPLE_PNG_BASE64)).ok);
  assert.ok(validBirth(withAttachment('IMAGE/JPEG', JPEG_BASE64)).ok);
  assert.ok(validBirth(withAttachment('application/pdf', SAMPLE_PDF_BASE64)).ok);
});

test('a content type is allow-listed only among types whose bytes can be checked', () => {
  assert.throws(() => recordInputSchemas({ allowedContentTypes: ['image/svg+xml'] }), /bytes of image\/svg\+xml cannot be checked/);
  assert.throws(() => recordInputSchemas({ allowedContentTypes: ['text/html'] }), RangeError);
});

test('a 2 MB content type gets one short issue, and a long refused one is quoted briefly', () => {
  const huge = validBirth(withAttachment('x'.repeat(2 * 1024 * 1024), SAMPLE_PNG_BASE64));
  const issue = expectIssue(huge, 'details.attachments[0].contentType', 'max length 100');
  assert.equal(issue.message, 'must be at most 100 characters');
  assert.ok(JSON.stringify(issuesOf(huge)).length < 500);
  const long = expectIssue(
    validBirth(withAttachment(`text/html; charset=${'a'.repeat(70)}`, SAMPLE_PNG_BASE64)),
    'details.attachments[0].contentType',
    'allowed content type',
  );
  assert.equal(long.message, `content type "text/html; charset=${'a'.repeat(21)}…" is not allowed; allowed: image/jpeg, image/png, application/pdf`);
});

test('names refuse NUL and other control characters, named by code point and position', () => {
  const nul = expectIssue(validBirth(withChild({ firstNames: 'Ami\u0000na' })), 'details.child.firstNames', 'no control characters');
  assert.equal(nul.message, 'contains the control character U+0000 at position 4; remove it');
  for (const control of ['\u0007', '\u001b[31m', '\u007f', '\u0085', '\n', '\t', '\u2028']) {
    expectIssue(validBirth(withChild({ familyName: `Otie${control}no` })), 'details.child.familyName', 'no control characters');
  }
});

test('names refuse bidi overrides, embeddings, isolates and marks', () => {
  const override = expectIssue(validBirth(withChild({ familyName: 'Otieno\u202eonreT' })), 'details.child.familyName', 'no bidi controls');
  assert.equal(override.message, 'contains the invisible bidirectional control U+202E (RIGHT-TO-LEFT OVERRIDE) at position 7; remove it');
  for (const bidi of ['\u202a', '\u202b', '\u202c', '\u202d', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c']) {
    expectIssue(validBirth(withChild({ firstNames: `A${bidi}mina` })), 'details.child.firstNames', 'no bidi controls');
  }
  const informant = { ...sampleBirth(DRAFT).informant, familyName: '\u2067Hassan\u2069' };
  expectIssue(validBirth({ ...sampleBirth(DRAFT), informant }), 'details.informant.familyName', 'no bidi controls');
});

test('lone surrogates are refused; characters outside the BMP and every script are names', () => {
  const lone = expectIssue(validBirth(withChild({ firstNames: 'Amina\ud800' })), 'details.child.firstNames', 'well-formed Unicode');
  assert.match(lone.message, /lone surrogate U\+D800 at position 6/);
  expectIssue(validBirth(withChild({ firstNames: '\udc00Amina' })), 'details.child.firstNames', 'well-formed Unicode');
  for (const name of ['Ngũgĩ wa Thiong\u2019o', 'محمد', 'אברהם', '王秀英', 'Þórður', '𠀋𠀋', 'Nnamdi-Ọkọ', 'क्षत्रिय']) {
    const result = validBirth(withChild({ firstNames: name }));
    assert.ok(result.ok, `${name}: ${JSON.stringify(result.ok ? '' : result.issues)}`);
  }
});

test('names and text are stored NFC: a decomposed accent becomes one character', () => {
  const result = validBirth(withChild({ firstNames: 'Ame\u0301lie', familyName: '  Nguye\u0302\u0303n ' }));
  assert.ok(result.ok);
  assert.equal(result.value.child.firstNames, 'Amélie');
  assert.equal(result.value.child.familyName, 'Nguyễn');
  const limit = validBirth(withChild({ firstNames: 'e\u0301'.repeat(100) }));
  assert.ok(limit.ok, '100 characters once composed are within the limit of 100');
});

test('free text may span lines and hold tabs, but no other control or bidi character', () => {
  const registration = { ...sampleBirth(DRAFT).registration, comment: 'Twins.\r\nSecond birth\tat 04:10.' };
  const result = validBirth({ ...sampleBirth(DRAFT), registration });
  assert.ok(result.ok);
  assert.equal(result.value.registration.comment, 'Twins.\nSecond birth\tat 04:10.');
  const nul = { ...registration, comment: 'fine\u0000' };
  const issue = expectIssue(validBirth({ ...sampleBirth(DRAFT), registration: nul }), 'details.registration.comment', 'no control characters');
  assert.match(issue.message, /line feeds and tabs are allowed/);
  const note = validateInput(schemas.CorrectionInput, { ...sampleCorrection(DRAFT), note: 'see \u202eevidence' });
  expectIssue(note, 'details.note', 'no bidi controls');
  const place = { ...sampleBirth(DRAFT).eventLocation, facility: 'Ward\u00007' };
  expectIssue(validBirth({ ...sampleBirth(DRAFT), eventLocation: place }), 'details.eventLocation.facility', 'no control characters');
  const change = validateInput(schemas.CorrectionInput, { ...sampleCorrection(DRAFT), changes: [{ field: 'child.firstNames', value: 'A\u2066B' }] });
  expectIssue(change, 'details.changes[0].value', 'no bidi controls');
});

test('an oversized value anywhere gets a short issue, never the value back', () => {
  const mega = 'x'.repeat(1024 * 1024);
  const inputs: Array<[string, unknown]> = [
    ['details.child.firstNames', withChild({ firstNames: mega })],
    ['details.child.gender', withChild({ gender: mega })],
    ['details.child.nationalId', withChild({ nationalId: mega })],
    ['details.eventDate', { ...sampleBirth(DRAFT), eventDate: mega }],
    ['details.registration.draftId', { ...sampleBirth(DRAFT), registration: { ...sampleBirth(DRAFT).registration, draftId: mega } }],
    ['details.registration.contact.phone', { ...sampleBirth(DRAFT), registration: { draftId: DRAFT, contact: { phone: mega } } }],
    ['details.registration.contact.email', { ...sampleBirth(DRAFT), registration: { draftId: DRAFT, contact: { email: mega } } }],
    ['details.eventLocation.country', { ...sampleBirth(DRAFT), eventLocation: { country: mega } }],
    [`details.${'x'.repeat(40)}…`, { ...sampleBirth(DRAFT), [mega]: 1 }],
    ['details.attachments[0].type', sampleBirth(DRAFT, { attachments: [{ ...sampleBirth(DRAFT).attachments[0]!, type: mega as 'OTHER' }] })],
  ];
  for (const [field, input] of inputs) {
    const issues = issuesOf(validBirth(input));
    assert.ok(issues.some((issue) => issue.field === field), `${field}: ${JSON.stringify(issues).slice(0, 500)}`);
    const size = JSON.stringify(issues).length;
    assert.ok(size < 600, `${field}: ${size} characters of issues`);
  }
  const changes = Array.from({ length: 2 }, () => ({ field: mega, value: 'x' }));
  const twice = issuesOf(validateInput(schemas.CorrectionInput, { ...sampleCorrection(DRAFT), changes }));
  assert.ok(JSON.stringify(twice).length < 1_000, 'a repeated huge field path is not quoted whole');
});

test('an input breaking a rule many times gets at most 50 issues, the rest counted', () => {
  const unknown = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`extra${i}`, i]));
  const issues = issuesOf(validateInput(schemas.CorrectionInput, { ...sampleCorrection(DRAFT), ...unknown }));
  assert.equal(issues.length, 51);
  assert.match(issues[50]?.message ?? '', /^and \d+ more issues, not listed$/);
  const reason = describeIssues(issues);
  assert.match(reason, /; and 41 more$/);
  assert.ok(reason.length < 2_000);
});
