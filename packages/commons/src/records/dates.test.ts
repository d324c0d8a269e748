import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCalendarDate, latestCurrentDate } from './dates.js';

test('calendar dates exist and are written YYYY-MM-DD', () => {
  for (const date of ['2024-02-29', '2000-02-29', '1999-12-31', '1800-01-01']) assert.ok(isCalendarDate(date), date);
  const notDates = ['2023-02-29', '1900-02-29', '2024-04-31', '2024-13-01', '2024-00-10', '2024-1-1', '20240101', ''];
  for (const date of notDates) assert.equal(isCalendarDate(date), false, date);
});

test('the current date is the latest one begun anywhere on Earth (UTC+14)', () => {
  assert.equal(latestCurrentDate(new Date('2025-06-15T09:59:59Z')), '2025-06-15');
  assert.equal(latestCurrentDate(new Date('2025-06-15T10:00:00Z')), '2025-06-16');
  assert.equal(latestCurrentDate(new Date('2025-12-31T23:00:00Z')), '2026-01-01');
});
