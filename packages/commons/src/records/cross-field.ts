/**
 * Helpers for the checks that compare fields of one registration (dates of birth against the event
 * date). They run on partly invalid input too (see `evenWithFieldIssues`), so they read values as
 * `unknown` and only compare real calendar dates.
 */
import type { z } from 'zod';
import { isCalendarDate } from './dates.js';
import { addRuleIssue } from './rules.js';

/**
 * Nobody present at an event can be born after it. Informants are left out on purpose: a death
 * may be registered decades later by a grandchild born since.
 */
export function bornByEventDate(ctx: z.core.$RefinementCtx, eventDate: unknown, people: AtPath<unknown>[]): void {
  if (typeof eventDate !== 'string') return;
  for (const [path, person] of people) {
    const birthDate = birthDateOf(person);
    if (bothDates(birthDate, eventDate) && birthDate > eventDate) {
      addRuleIssue(ctx, 'not after eventDate', `born ${birthDate}, after the event date ${eventDate}`, [
        ...path,
        'birthDate',
      ]);
    }
  }
}

/** A value and where it sits in the input, for issues raised by a parent's refinement. */
export type AtPath<T> = [path: (string | number)[], value: T];

/** The birth date of a person that may be only partly valid (see `evenWithFieldIssues`). */
export function birthDateOf(person: unknown): unknown {
  return isRecord(person) ? person['birthDate'] : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * Cross-field checks run even when a field has its own issue; compare only real dates so a
 * malformed one is reported once, by its own rule.
 */
export function bothDates(first: unknown, second: unknown): first is string {
  return typeof first === 'string' && typeof second === 'string' && isCalendarDate(first) && isCalendarDate(second);
}
