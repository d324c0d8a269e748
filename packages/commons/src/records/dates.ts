/**
 * Calendar dates as the inputs carry them: `YYYY-MM-DD` strings, no time and no zone. A
 * registration date is a day in the office's own calendar, so it is compared as a string, never
 * turned into an instant.
 */

export const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/**
 * No record date is earlier than this. Anything older is a typing error (0202 for 2020) rather than
 * a real event; late registrations of historical deaths still fit.
 */
export const EARLIEST_DATE = '1800-01-01';

/**
 * The furthest time zone is UTC+14: a date is "in the future" only when it has not yet begun
 * anywhere on Earth, so an office east of UTC can register an event of its own today.
 */
const FURTHEST_ZONE_OFFSET_MS = 14 * 60 * 60 * 1000;

/** True for a `YYYY-MM-DD` string naming a day that exists (no 2023-02-29, no 2024-04-31). */
export function isCalendarDate(text: string): boolean {
  if (!DATE_PATTERN.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  // Date rolls 02-30 over to 03-02 instead of failing; the round trip catches it.
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/** The latest calendar date that has begun somewhere on Earth at `now`. */
export function latestCurrentDate(now: Date): string {
  return new Date(now.getTime() + FURTHEST_ZONE_OFFSET_MS).toISOString().slice(0, 10);
}
