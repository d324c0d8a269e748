/**
 * What a file's first bytes say it is ("magic bytes"). A declared content type is a claim by
 * the client; the stored file is shown to registrars and printed, so an SVG (script inside) or
 * an HTML page declared `image/png` must not get through. An attachment's bytes must start the
 * way its declared type starts; a content type this module cannot recognise cannot be allowed.
 */

interface Signature {
  /** How a person would call it, in messages. */
  name: string;
  matches: (head: Uint8Array) => boolean;
}

const startsWith =
  (...prefixes: ReadonlyArray<ReadonlyArray<number>>) =>
  (head: Uint8Array): boolean =>
    prefixes.some((prefix) => prefix.length <= head.length && prefix.every((byte, i) => head[i] === byte));

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

/** The signatures of the content types an attachment may have, by lower-case MIME type. */
const SIGNATURES: ReadonlyMap<string, Signature> = new Map([
  ['image/png', { name: 'a PNG image', matches: startsWith([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) }],
  ['image/jpeg', { name: 'a JPEG image', matches: startsWith([0xff, 0xd8, 0xff]) }],
  ['application/pdf', { name: 'a PDF document', matches: startsWith(ascii('%PDF-')) }],
  ['image/gif', { name: 'a GIF image', matches: startsWith(ascii('GIF87a'), ascii('GIF89a')) }],
  ['image/tiff', { name: 'a TIFF image', matches: startsWith([0x49, 0x49, 0x2a, 0x00], [0x4d, 0x4d, 0x00, 0x2a]) }],
  [
    'image/webp',
    {
      name: 'a WebP image',
      matches: (head) => startsWith(ascii('RIFF'))(head) && startsWith(ascii('WEBP'))(head.subarray(8)),
    },
  ],
]);

/** How many leading bytes decide every signature above. */
export const SIGNATURE_BYTES = 12;

/** The content types whose bytes can be checked: the only ones a deployment may allow. */
export const RECOGNISED_CONTENT_TYPES: readonly string[] = [...SIGNATURES.keys()];

export const isRecognisedContentType = (type: string): boolean => SIGNATURES.has(type);

/** Whether `head` (a file's first bytes) starts the way a `contentType` file does. */
export function startsLike(head: Uint8Array, contentType: string): boolean {
  return SIGNATURES.get(contentType)?.matches(head) ?? false;
}

/**
 * What `head` looks like, for the message that refuses it: a recognised type, markup (SVG,
 * HTML, XML: what most often hides behind a false image type), or nothing known.
 */
export function describeHead(head: Uint8Array): string {
  for (const [type, signature] of SIGNATURES) if (signature.matches(head)) return `${signature.name} (${type})`;
  const text = Buffer.from(head).toString('latin1').replace(/^\uFEFF|^\u00EF\u00BB\u00BF/, '').trimStart();
  if (text.startsWith('<')) return 'markup text such as SVG, HTML or XML';
  return 'no allowed file type';
}

/** Why `head` is not a `contentType` file, or undefined when it is. Never quotes the bytes. */
export function signatureProblem(head: Uint8Array, contentType: string): string | undefined {
  const expected = SIGNATURES.get(contentType);
  if (!expected) return `content type ${contentType} cannot be checked`;
  if (expected.matches(head)) return undefined;
  return `is not ${expected.name} as its content type ${contentType} says: its first bytes are those of ${describeHead(head)}`;
}

/** The first bytes of strict base64 `data`, decoding only what the signatures need. */
export function base64Head(data: string): Uint8Array {
  return Buffer.from(data.slice(0, (SIGNATURE_BYTES / 3) * 4), 'base64');
}
