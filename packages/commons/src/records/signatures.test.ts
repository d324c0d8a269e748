import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SAMPLE_PDF_BASE64, SAMPLE_PNG_BASE64 } from './fixtures.js';
import { base64Head, describeHead, RECOGNISED_CONTENT_TYPES, SIGNATURE_BYTES, signatureProblem, startsLike } from './signatures.js';

const bytes = (...values: number[]) => Uint8Array.from(values);
const ascii = (text: string) => Uint8Array.from(Buffer.from(text, 'latin1'));

test('each recognised type is told by its first bytes', () => {
  assert.ok(startsLike(base64Head(SAMPLE_PNG_BASE64), 'image/png'));
  assert.ok(startsLike(base64Head(SAMPLE_PDF_BASE64), 'application/pdf'));
  assert.ok(startsLike(bytes(0xff, 0xd8, 0xff, 0xdb), 'image/jpeg'));
  assert.ok(startsLike(ascii('GIF89a'), 'image/gif'));
  assert.ok(startsLike(ascii('GIF87a'), 'image/gif'));
  assert.ok(startsLike(bytes(0x49, 0x49, 0x2a, 0x00), 'image/tiff'));
  assert.ok(startsLike(ascii('RIFF\u0000\u0000\u0000\u0000WEBPVP8 '), 'image/webp'));
  assert.equal(startsLike(ascii('RIFF\u0000\u0000\u0000\u0000WAVE'), 'image/webp'), false);
  assert.equal(startsLike(bytes(0x89, 0x50, 0x4e), 'image/png'), false, 'too short to be a PNG');
  assert.equal(startsLike(ascii('%PDF-'), 'image/svg+xml'), false, 'an unknown type never matches');
  assert.ok(RECOGNISED_CONTENT_TYPES.includes('image/png'));
});

test('what a head looks like, for the message: a known type, markup, or nothing known', () => {
  assert.equal(describeHead(ascii('%PDF-1.7')), 'a PDF document (application/pdf)');
  assert.equal(describeHead(ascii('  <svg xmlns')), 'markup text such as SVG, HTML or XML');
  assert.equal(describeHead(ascii('\u00ef\u00bb\u00bf<?xml')), 'markup text such as SVG, HTML or XML');
  assert.equal(describeHead(ascii('MZ')), 'no allowed file type');
  assert.equal(signatureProblem(base64Head(SAMPLE_PNG_BASE64), 'image/png'), undefined);
  assert.match(signatureProblem(ascii('<svg'), 'image/png') ?? '', /^is not a PNG image as its content type image\/png says/);
});

test('only the first bytes of base64 are decoded', () => {
  assert.equal(base64Head(SAMPLE_PDF_BASE64).length, SIGNATURE_BYTES);
  assert.equal(base64Head('QUJD').length, 3);
});
