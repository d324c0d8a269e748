/**
 * How much of a refused value an error message may show (house style 15: an error echoes only a
 * short piece of what it refuses). A 2 MB field must give a small error, never the field back:
 * it would double the cost of every hostile request, and a name or a document is personal data
 * that should not travel into logs. Every message that quotes input goes through one of these.
 */

/** The most characters of a refused value an error shows. */
export const ECHO_MAX_CHARS = 40;

/** The longest error message a service sends back, whatever it is made of. */
export const MESSAGE_MAX_CHARS = 2_000;

/**
 * Invisible characters that reorder or hide text (bidi controls, line separators). Shown escaped
 * in an echo, so a quoted value cannot turn the rest of the message around for its reader.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const HIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` cut to at most `max` characters (UTF-16 units), with "…" when something was cut. A
 * surrogate pair is never split, so the result is well-formed even when the cut falls inside one.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1; // a high surrogate whose pair was cut off
  return `${text.slice(0, end)}…`;
}

/**
 * A short quoted piece of a refused value for an error message: a string as JSON (controls and
 * bidi characters escaped), at most `max` characters of it; anything else by its kind.
 */
export function echo(value: unknown, max = ECHO_MAX_CHARS): string {
  if (typeof value === 'string') {
    const shown = truncate(value, max);
    const escaped = JSON.stringify(shown).replace(HIDDEN, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    return escaped;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return truncate(String(value), max);
  }
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** No word of a message this code writes is this long; a longer run is a value quoted bare. */
const LONGEST_WORD = 100;

/**
 * An error message made safe to send: every double-quoted piece longer than `maxQuoted` is cut
 * (graphql-js and zod quote the values they refuse, whole), so is every unbroken run of over
 * 100 characters (graphql-js prints an object's keys bare), and the whole message is capped at
 * `maxTotal`. For messages whose text this code does not write itself.
 */
export function boundMessage(message: string, maxQuoted = ECHO_MAX_CHARS, maxTotal = MESSAGE_MAX_CHARS): string {
  // A quoted piece as JSON writes it: escapes skipped, so an escaped quote does not end it.
  const quoted = message.replace(/"((?:[^"\\]|\\.)*)"/g, (whole, inner: string) =>
    inner.length > maxQuoted ? `"${truncate(inner, maxQuoted).replace(/\\…$/, '…')}"` : whole,
  );
  const bare = quoted.replace(new RegExp(`[^\\s"]{${LONGEST_WORD + 1},}`, 'g'), (run) => truncate(run, maxQuoted));
  return truncate(bare, maxTotal);
}
