/**
 * Identifiers. A record's id is derived from the draft that created it, so every retry of the
 * creating job computes the same id without asking anyone; the tracking id is random (it is
 * read out over the phone, so it is short) and is assigned once by the metadata step.
 */
import { randomInt } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';

/** Fixed namespace of Steadfast record ids (a random UUID chosen once; never change it). */
const RECORD_NAMESPACE = '5f0c3f5e-2b7a-4d1e-9a49-7e0a6a2f3c11';

export const recordIdFor = (draftId: string): string => uuidv5(draftId.toLowerCase(), RECORD_NAMESPACE);

/** Crockford base32 without I, L, O, U: no letters that read as digits or words. */
const TRACKING_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

const EVENT_PREFIX = { birth: 'B', death: 'D', marriage: 'M' } as const;

/** e.g. `B7K2Q9XM4D`: the event's letter and 9 random characters (45 bits). */
export function newTrackingId(event: keyof typeof EVENT_PREFIX): string {
  let id: string = EVENT_PREFIX[event];
  for (let i = 0; i < 9; i++) id += TRACKING_ALPHABET[randomInt(TRACKING_ALPHABET.length)];
  return id;
}
