/**
 * The reference country's decision on a registration: reject when a field the country requires
 * is missing, otherwise confirm with a registration number. The number is derived from the
 * record id, so deciding twice (a retried job) gives the same number.
 */
import { createHash } from 'node:crypto';
import { ConfigError, EVENTS, type EventType } from '@steadfast/commons';

export type Decision = { outcome: 'confirm'; registrationNumber: string } | { outcome: 'reject'; reason: string };

export type RequiredFields = Map<EventType, string[]>;

export function parseRequiredFields(text: string): RequiredFields {
  const rules: RequiredFields = new Map();
  for (const pair of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [event, field] = pair.split(':');
    if (!field || !EVENTS.includes(event as EventType)) {
      throw new ConfigError([`COUNTRY_CONFIG_REQUIRED_FIELDS: "${pair}" is not <birth|death|marriage>:<field.path>`]);
    }
    rules.set(event as EventType, [...(rules.get(event as EventType) ?? []), field]);
  }
  return rules;
}

function valueAt(data: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((value, key) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined), data);
}

const LETTERS = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** e.g. `2026-B-4K7Q2M9XT0`: year, event letter, 10 characters from the record id's hash. */
export function registrationNumber(recordId: string, event: EventType, at = new Date()): string {
  const hash = createHash('sha256').update(recordId).digest();
  const code = Array.from(hash.subarray(0, 10), (byte) => LETTERS[byte % 32]).join('');
  return `${at.getUTCFullYear()}-${event[0]!.toUpperCase()}-${code}`;
}

export function decide(rules: RequiredFields, recordId: string, event: EventType, data: unknown): Decision {
  const missing = (rules.get(event) ?? []).filter((field) => {
    const value = valueAt(data, field);
    return value === undefined || value === null || value === '';
  });
  if (missing.length > 0) return { outcome: 'reject', reason: `required by the country: ${missing.join(', ')}` };
  return { outcome: 'confirm', registrationNumber: registrationNumber(recordId, event) };
}
