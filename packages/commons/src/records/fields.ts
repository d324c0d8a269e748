/**
 * Field schemas shared by the record inputs. Every string is trimmed before it is checked, so
 * "  Amina " is stored as "Amina" and "   " counts as empty.
 */
import { z } from 'zod';
import { DATE_PATTERN, EARLIEST_DATE, isCalendarDate, latestCurrentDate } from './dates.js';
import { addRuleIssue, rule } from './rules.js';

/** Trimmed text of `min`..`max` characters. */
export function text(max: number, min = 1) {
  return z.string().trim().min(min).max(max);
}

/** A string matching `pattern`, reported as `ruleName` when it does not. */
export function patterned(pattern: RegExp, ruleName: string, message: string) {
  return z
    .string()
    .trim()
    .refine((value) => pattern.test(value), rule(ruleName, message));
}

/**
 * A UUID of any version, either case, lower-cased: the idempotency key of every write, so
 * `ABC…` and `abc…` are one key (one job, one record), never two.
 */
export const uuid = z
  .string()
  .trim()
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
);

/** E.164: a plus sign and 8 to 15 digits, the first not zero. */
export const phone = patterned(
  /^\+[1-9]\d{7,14}$/,
  'phone E.164',
  'must be an E.164 phone number: + then 8 to 15 digits, no spaces, e.g. +254712345678',
);

export const email = z
  .string()
  .trim()
  .max(254)
  .refine((value) => z.regexes.email.test(value), rule('email', 'must be an email address, e.g. name@example.org'));

/** National identity number: letters, digits and dashes; the length is its own rule. */
export const nationalId = text(30, 4).refine(
  (value) => /^[A-Za-z0-9-]*$/.test(value),
  rule('letters, digits, dashes', 'may contain only letters, digits and dashes'),
);

/**
 * A past or present calendar date, `YYYY-MM-DD`. One issue at most: a malformed date is not also
 * reported as being in the future.
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
