/**
 * What a name or a piece of free text may hold. Text arrives from offices on every kind of
 * keyboard and copy-paste; what is refused here is what a person never means to type and what
 * makes one string look like another or break whatever displays it:
 * - control characters (C0, DEL, C1), NUL included: they cut strings in C libraries and print
 *   as nothing; free text may keep line feeds and tabs;
 * - bidirectional controls (embeddings, overrides, isolates, and the marks ALM, LRM, RLM):
 *   invisible, they reorder what a registrar reads ("Trojan Source"), so two different names
 *   could look the same on a certificate;
 * - the Unicode line and paragraph separators (U+2028, U+2029): line breaks in disguise;
 * - lone surrogates: not text at all (no UTF-8 form), a store would mangle or refuse them.
 * Everything else, every script and combining mark, is a name someone has. Text is stored in
 * NFC, so "é" typed as one character or as "e" + accent is one name, not two.
 */

export type TextRule = 'no control characters' | 'no bidi controls' | 'well-formed Unicode';

export interface TextProblem {
  rule: TextRule;
  message: string;
}

/** Bidirectional formatting characters, by name, for messages. */
const BIDI_NAMES: ReadonlyMap<number, string> = new Map([
  [0x061c, 'ARABIC LETTER MARK'],
  [0x200e, 'LEFT-TO-RIGHT MARK'],
  [0x200f, 'RIGHT-TO-LEFT MARK'],
  [0x202a, 'LEFT-TO-RIGHT EMBEDDING'],
  [0x202b, 'RIGHT-TO-LEFT EMBEDDING'],
  [0x202c, 'POP DIRECTIONAL FORMATTING'],
  [0x202d, 'LEFT-TO-RIGHT OVERRIDE'],
  [0x202e, 'RIGHT-TO-LEFT OVERRIDE'],
  [0x2066, 'LEFT-TO-RIGHT ISOLATE'],
  [0x2067, 'RIGHT-TO-LEFT ISOLATE'],
  [0x2068, 'FIRST STRONG ISOLATE'],
  [0x2069, 'POP DIRECTIONAL ISOLATE'],
]);

/** Line feed and tab: allowed in multi-line free text only. */
const MULTILINE_ALLOWED = new Set([0x0a, 0x09]);

const isControl = (c: number): boolean => c <= 0x1f || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029;
const isHighSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

export const codePointName = (c: number): string => `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * The first thing `text` may not hold, or undefined. Positions in messages count characters
 * from 1, as a person would; the offending character is named by its code point, never echoed.
 */
export function textProblem(text: string, options: { multiline?: boolean } = {}): TextProblem | undefined {
  let position = 0;
  for (let i = 0; i < text.length; i++) {
    position++;
    const unit = text.charCodeAt(i);
    if (isHighSurrogate(unit)) {
      if (i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
        i++; // a pair: one character outside the BMP, always allowed
        continue;
      }
      return loneSurrogate(unit, position);
    }
    if (isLowSurrogate(unit)) return loneSurrogate(unit, position);
    if (isControl(unit) && !(options.multiline && MULTILINE_ALLOWED.has(unit))) {
      const allowed = options.multiline ? ' (line feeds and tabs are allowed)' : '';
      return {
        rule: 'no control characters',
        message: `contains the control character ${codePointName(unit)} at position ${position}; remove it${allowed}`,
      };
    }
    const bidi = BIDI_NAMES.get(unit);
    if (bidi !== undefined) {
      return {
        rule: 'no bidi controls',
        message: `contains the invisible bidirectional control ${codePointName(unit)} (${bidi}) at position ${position}; remove it`,
      };
    }
  }
  return undefined;
}

function loneSurrogate(unit: number, position: number): TextProblem {
  return {
    rule: 'well-formed Unicode',
    message: `contains a lone surrogate ${codePointName(unit)} at position ${position}: not valid Unicode text`,
  };
}

/** Text in the form it is stored: NFC. Multi-line text has its line ends made line feeds. */
export function normalizeText(text: string, options: { multiline?: boolean } = {}): string {
  const lines = options.multiline ? text.replace(/\r\n?/g, '\n') : text;
  return lines.normalize('NFC');
}
