import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeText, textProblem } from './text.js';

test('ordinary text of any script has no problem', () => {
  for (const text of ['', 'Amina', "O'Brien-Smith", 'محمد بن سلمان', '王秀英', '𠀋', 'e\u0301', 'Zoë\u200dX']) {
    assert.equal(textProblem(text), undefined, text);
  }
});

test('the first control, bidi control or lone surrogate is named with its position in characters', () => {
  assert.deepEqual(textProblem('ab\u0000'), { rule: 'no control characters', message: 'contains the control character U+0000 at position 3; remove it' });
  // A character outside the BMP counts once in the position.
  assert.equal(textProblem('𠀋\u202e')?.message, 'contains the invisible bidirectional control U+202E (RIGHT-TO-LEFT OVERRIDE) at position 2; remove it');
  assert.equal(textProblem('a\ud800b')?.rule, 'well-formed Unicode');
  assert.equal(textProblem('a\udfffb')?.rule, 'well-formed Unicode');
  assert.equal(textProblem('\u0080')?.rule, 'no control characters');
  assert.equal(textProblem('\u009f')?.rule, 'no control characters');
  assert.equal(textProblem('\u2029')?.rule, 'no control characters');
});

test('multi-line text keeps line feeds and tabs only', () => {
  assert.equal(textProblem('a\nb\tc', { multiline: true }), undefined);
  assert.equal(textProblem('a\nb', {})?.rule, 'no control characters');
  assert.equal(textProblem('a\rb', { multiline: true })?.rule, 'no control characters');
  assert.equal(textProblem('a\u000bb', { multiline: true })?.rule, 'no control characters');
});

test('normalising composes to NFC and makes multi-line ends line feeds', () => {
  assert.equal(normalizeText('Ame\u0301lie'), 'Amélie');
  assert.equal(normalizeText('a\r\nb\rc', { multiline: true }), 'a\nb\nc');
  assert.equal(normalizeText('a\r\nb'), 'a\r\nb');
});
