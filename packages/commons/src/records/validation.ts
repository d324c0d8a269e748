/**
 * Validating an API input and reporting each problem as `{ field, rule, message }`:
 * `field` is where (`details.attachments[0].contentType`), `rule` a short stable name a client can
 * match on (`max length 100`, `not in the future`), `message` a sentence for people.
 */
import type { z } from 'zod';
import { boundMessage, echo, ECHO_MAX_CHARS, truncate } from '../echo.js';
import { ruleOfCustomIssue } from './rules.js';

export interface ValidationIssue {
  field: string;
  rule: string;
  message: string;
}

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

/**
 * Parses `value` with `schema`. GraphQL passes `null` for a nullable field the client set to
 * null; it means the same as leaving the field out, so object properties holding null are dropped
 * first (array elements are kept, so `[null]` is still an error).
 */
export function validateInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  rootPath = 'details',
): ValidationResult<z.output<S>> {
  // reportInput: the rule of a missing field ("required") depends on the input being undefined.
  const result = schema.safeParse(withoutNullProperties(value), { error: readableMessage, reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  const issues = result.error.issues.flatMap((issue) => toValidationIssues(issue, rootPath));
  if (issues.length <= MAX_ISSUES) return { ok: false, issues };
  // A hostile input can break a rule per array item: the answer stays small whatever it sent.
  const more = issues.length - MAX_ISSUES;
  const rest = { field: rootPath, rule: 'more issues', message: `and ${more} more issues, not listed` };
  return { ok: false, issues: [...issues.slice(0, MAX_ISSUES), rest] };
}

/** Issues reported for one input; past this they are counted, not listed. */
const MAX_ISSUES = 50;

/** Issues described in one line; more are counted, so a reason stays a line. */
const MAX_ISSUES_DESCRIBED = 10;

/** One line for the issues, for logs and for a rejection reason. */
export function describeIssues(issues: readonly ValidationIssue[]): string {
  const shown = issues.slice(0, MAX_ISSUES_DESCRIBED).map((issue) => `${issue.field}: ${issue.message} (${issue.rule})`);
  const more = issues.length - shown.length;
  return more > 0 ? `${shown.join('; ')}; and ${more} more` : shown.join('; ');
}

/** `details` + `['attachments', 0, 'data']` → `details.attachments[0].data`. */
function fieldPath(rootPath: string, path: readonly PropertyKey[]): string {
  let field = rootPath;
  for (const segment of path) {
    // A key is the client's text (an unknown field may be megabytes long): shown briefly.
    const name = truncate(String(segment), ECHO_MAX_CHARS);
    if (typeof segment === 'number') field += `[${segment}]`;
    else field += field === '' ? name : `.${name}`;
  }
  return field;
}

function toValidationIssues(issue: z.core.$ZodIssue, rootPath: string): ValidationIssue[] {
  if (issue.code === 'unrecognized_keys') {
    // Zod reports all unknown keys of an object at once; each is a field of its own to the client.
    return issue.keys.map((key) => ({
      field: fieldPath(rootPath, [...issue.path, key]),
      rule: 'unknown field',
      message: `unknown field ${echo(key)}; check its spelling or leave it out`,
    }));
  }
  // Every message is bounded here too, whoever wrote it: the last guard against an echo.
  return [{ field: fieldPath(rootPath, issue.path), rule: truncate(ruleOf(issue), 100), message: boundMessage(issue.message, ECHO_MAX_CHARS, 500) }];
}

/** The stable rule name of a zod issue; custom checks name their own (see rules.ts). */
function ruleOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'required' : `type ${issue.expected}`;
    case 'too_small':
      return sizeRule('min', issue.origin, Number(issue.minimum), issue.inclusive !== false);
    case 'too_big':
      return sizeRule('max', issue.origin, Number(issue.maximum), issue.inclusive !== false);
    case 'invalid_value':
      return issue.values.length === 1 ? `equals ${String(issue.values[0])}` : `one of ${issue.values.join(', ')}`;
    case 'invalid_format':
      return issue.format === 'regex' ? `pattern ${issue.pattern ?? ''}` : issue.format;
    case 'not_multiple_of':
      return `multiple of ${issue.divisor}`;
    case 'custom':
      return ruleOfCustomIssue(issue.params) ?? 'valid';
    case 'unrecognized_keys':
      return 'unknown field';
    default:
      return issue.code;
  }
}

function sizeRule(bound: 'min' | 'max', origin: string, limit: number, inclusive: boolean): string {
  if (origin === 'string' || origin === 'array') {
    if (bound === 'min' && limit === 1) return 'not empty';
    return `${bound} ${origin === 'string' ? 'length' : 'items'} ${limit}`;
  }
  if (inclusive) return `${bound} ${limit}`;
  return `${bound === 'min' ? 'greater than' : 'less than'} ${limit}`;
}

/**
 * Messages for zod's built-in issues. A schema's own message wins over these (zod's precedence),
 * so this only fills in what the schemas leave to zod.
 */
function readableMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${article(issue.expected)}, got ${kindOf(issue.input)}`;
    case 'too_small':
      return sizeMessage('at least', issue.origin, Number(issue.minimum), issue.inclusive !== false);
    case 'too_big':
      return sizeMessage('at most', issue.origin, Number(issue.maximum), issue.inclusive !== false);
    case 'invalid_value':
      return `must be one of ${issue.values.join(', ')}; got ${preview(issue.input)}`;
    default:
      return undefined;
  }
}

function sizeMessage(bound: 'at least' | 'at most', origin: string, limit: number, inclusive: boolean): string {
  if (origin === 'string') {
    return bound === 'at least' && limit === 1 ? 'must not be empty' : `must be ${bound} ${limit} characters`;
  }
  if (origin === 'array') {
    return bound === 'at least' && limit === 1 ? 'must not be empty' : `must have ${bound} ${limit} items`;
  }
  if (inclusive) return `must be ${bound} ${limit}`;
  return `must be ${bound === 'at least' ? 'greater' : 'less'} than ${limit}`;
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return article(typeof value);
}

/** Echoes a rejected value briefly: never a whole attachment back into an error message. */
function preview(value: unknown): string {
  return typeof value === 'string' ? echo(value) : kindOf(value);
}

/** A copy without null-valued properties, at any depth. Only plain objects and arrays are copied. */
function withoutNullProperties(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNullProperties);
  if (!isPlainObject(value)) return value;
  // A null prototype keeps a "__proto__" key an ordinary property, reported as an unknown field.
  const copy = Object.create(null) as Record<string, unknown>;
  for (const [key, property] of Object.entries(value)) {
    if (property !== null) copy[key] = withoutNullProperties(property);
  }
  return copy;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  // graphql-js builds input objects with a null prototype.
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
