/**
 * Field schemas shared by the record inputs. Every string is trimmed before it is checked, so
 * "  Amina " is stored as "Amina" and "   " counts as empty. Every string has a length limit,
 * checked before anything costlier, and no check quotes more than a short piece of its value.
 */
import { z } from 'zod';
import { DATE_PATTERN, EARLIEST_DATE, isCalendarDate, latestCurrentDate } from './dates.js';
import { addRuleIssue, rule } from './rules.js';
import { normalizeText, textProblem } from './text.js';

/**
 * Trimmed text of `min`..`max` characters, stored in NFC, without control characters, bidi
 * controls or lone surrogates (see text.ts). `multiline` free text may hold line feeds and tabs.
 * Over the limit, nothing else is looked at: a huge value gets one short issue.
 */
export function text(max: number, min = 1, options: { multiline?: boolean } = {}) {
  return z
    .string()
    .trim()
    .overwrite((value) => normalizeText(value, options))
    .min(min)
    .max(max, { abort: true })
    .superRefine((value, ctx) => {
      const problem = textProblem(value, options);
      if (problem) addRuleIssue(ctx, problem.rule, problem.message);
    });
}

/** Free text that may run over several lines (a comment, a note): line feeds and tabs allowed. */
export const multilineText = (max: number, min = 0) => text(max, min, { multiline: true });

/**
 * A string of at most `max` characters matching `pattern`, reported as `ruleName` when it does
 * not. The pattern itself excludes control and bidi characters.
 */
export function patterned(pattern: RegExp, ruleName: string, message: string, max: number) {
  return z
    .string()
    .trim()
    .max(max, { abort: true })
    .refine((value) => pattern.test(value), rule(ruleName, message));
}

/**
 * A UUID of any version, either case, lower-cased: the idempotency key of every write, so
 * `ABC…` and `abc…` are one key (one job, one record), never two.
 */
export const uuid = z
  .string()
  .trim()
  .max(36, { abort: true })
  .toLowerCase()
  .refine(
    (value) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value),
    rule('uuid', 'must be a UUID such as 3f2b8c1e-6d4a-4f7b-9a0c-2e5d8b1f4c7a'),
  );

/** ISO 3166-1 alpha-3, upper case, e.g. KEN. */
export const countryCode = patterned(
  /^[A-Z]{3}$/,
  'ISO 3166-1 alpha-3',
  'must be an ISO 3166-1 alpha-3 country code in capitals, e.g. KEN',
  3,
);

/** E.164: a plus sign and 8 to 15 digits, the first not zero. */
export const phone = patterned(
  /^\+[1-9]\d{7,14}$/,
  'phone E.164',
  'must be an E.164 phone number: + then 8 to 15 digits, no spaces, e.g. +254712345678',
  16,
);

export const email = z
  .string()
  .trim()
  .max(254, { abort: true })
  .refine((value) => z.regexes.email.test(value), rule('email', 'must be an email address, e.g. name@example.org'));

/** National identity number: letters, digits and dashes; the length is its own rule. */
export const nationalId = text(30, 4).refine(
  (value) => /^[A-Za-z0-9-]*$/.test(value),
  rule('letters, digits, dashes', 'may contain only letters, digits and dashes'),
);

/**
 * A past or present calendar date, `YYYY-MM-DD` (so never more than 10 characters: the pattern
 * is the length limit). One issue at most: a malformed date is not also reported as being in
 * the future. Only a value that matched the pattern is quoted.
 */
export function pastDate(now: () => Date) {
  return z
    .string()
    .trim()
    .superRefine((value, ctx) => {
      if (!DATE_PATTERN.test(value)) {
        addRuleIssue(ctx, 'date YYYY-MM-DD', 'must be a date written YYYY-MM-DD, e.g. 2024-02-29');
      } else if (!isCalendarDate(value)) {
        addRuleIssue(ctx, 'date YYYY-MM-DD', `${value} is not a day of the calendar`);
      } else if (value < EARLIEST_DATE) {
        addRuleIssue(ctx, `not before ${EARLIEST_DATE}`, `${value} is before ${EARLIEST_DATE}; check the year`);
      } else if (value > latestCurrentDate(now())) {
        addRuleIssue(ctx, 'not in the future', `${value} is in the future`);
      }
    });
}
