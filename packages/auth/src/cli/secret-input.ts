/**
 * Reads one line from standard input without keeping more: a password piped in
 * (`printf '%s\n' "$PW" | npm run users -- add …`) or typed at a prompt that does not echo it.
 */
import type { Readable, Writable } from 'node:stream';

/** The longest line read; anything longer is cut here and refused by the password rule. */
const MAX_LINE = 1_024;

export async function readSecretLine(input: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown }, prompt: Writable, question: string): Promise<string> {
  const terminal = input.isTTY === true && typeof input.setRawMode === 'function';
  if (terminal) {
    prompt.write(question);
    input.setRawMode?.(true);
  }
  let line = '';
  try {
    for await (const chunk of input) {
      for (const char of (chunk as Buffer).toString('utf8')) {
        if (char === '\n' || char === '\r') return line;
        if (terminal && char === '\u0003') throw new Error('interrupted');
        if (terminal && (char === '\u007f' || char === '\b')) {
          line = line.slice(0, -1);
          continue;
        }
        if (line.length <= MAX_LINE) line += char;
      }
    }
    return line;
  } finally {
    if (terminal) {
      input.setRawMode?.(false);
      prompt.write('\n');
    }
    input.pause();
  }
}
