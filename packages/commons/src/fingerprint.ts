/**
 * The fingerprint of a submission: SHA-256 of its canonical JSON (object keys sorted at every
 * level, arrays in order). Two submissions under one draftId are "the same" exactly when their
 * validated payloads have the same fingerprint, whatever order the client wrote the keys in.
 */
import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const json = JSON.stringify(value);
    // undefined and functions have no JSON form; they are dropped from objects below.
    return json ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export const fingerprint = (value: unknown): string =>
  createHash('sha256').update(canonicalJson(value)).digest('hex');
