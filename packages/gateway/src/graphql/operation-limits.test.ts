import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSchema, parse, validate } from 'graphql';
import { keepLimitCode, maxRootFieldsRule } from './operation-limits.js';

const schema = buildSchema('type Query { a: Int b: Int }');

test('root fields are counted through fragments and aliases', () => {
  const rule = maxRootFieldsRule(3);
  assert.equal(validate(schema, parse('{ a b x: a }'), [rule]).length, 0);
  const errors = validate(schema, parse('{ a ...F y: b } fragment F on Query { b x: a }'), [rule]);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.extensions['limit'], 'rootFields');
});

test('a limit keeps its own code; a token overflow is named', () => {
  assert.equal(keepLimitCode({ message: 'm', extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'aliases' } }).extensions['code'], 'QUERY_TOO_COMPLEX');
  const tokens = keepLimitCode({ message: 'Syntax Error: Document contains more that 2000 tokens. Parsing aborted.', extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
  assert.deepEqual(tokens.extensions, { code: 'QUERY_TOO_COMPLEX', limit: 'tokens' });
  assert.equal(keepLimitCode({ message: 'Syntax Error: Unexpected', extensions: { code: 'GRAPHQL_PARSE_FAILED' } }).extensions['code'], 'GRAPHQL_PARSE_FAILED');
});
