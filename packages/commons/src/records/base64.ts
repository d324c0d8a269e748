/**
 * Strict base64 (RFC 4648, standard alphabet, padded) and byte sizes for messages. Attachments
 * arrive base64-encoded inside GraphQL; their size is computed from the text so an oversized file
 * is refused without being decoded.
 */

const BASE64_ALPHABET = /^[A-Za-z0-9+/]*={0,2}$/;
const MIB = 1024 * 1024;
const KIB = 1024;

/** The number of bytes `text` decodes to, assuming it is valid base64. */
export function decodedBase64Size(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return Math.floor((text.length * 3) / 4) - padding;
}

/** Why `text` is not strict base64, or undefined when it is. */
export function base64Problem(text: string): string | undefined {
  if (text.startsWith('data:')) {
    return 'is a data: URL; send only the base64 text after the comma';
  }
  if (!BASE64_ALPHABET.test(text)) {
    return (
      'is not valid base64: only A-Z, a-z, 0-9, + and / are allowed, with = padding at the end ' +
      '(no whitespace, no URL-safe - or _)'
    );
  }
  if (text.length % 4 !== 0) {
    return 'is not valid base64: the length must be a multiple of 4 (is the = padding missing?)';
  }
  // Canonical form: the unused low bits of the last character must be zero, or two different
  // texts would decode to the same bytes and the stored attachment would not match what was sent.
  // Only the last quantum can carry such bits, so only it is decoded.
  const lastQuantum = text.slice(-4);
  if (Buffer.from(lastQuantum, 'base64').toString('base64') !== lastQuantum) {
    return 'is not valid base64: the last character carries stray bits (not canonical encoding)';
  }
  return undefined;
}

/** A size for people: "512 bytes", "12.5 KB", "6.2 MB" (binary units, one decimal at most). */
export function formatBytes(bytes: number): string {
  if (bytes < KIB) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  if (bytes < MIB) return `${oneDecimal(bytes / KIB)} KB`;
  return `${oneDecimal(bytes / MIB)} MB`;
}

function oneDecimal(value: number): string {
  return String(Math.round(value * 10) / 10);
}
