import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { recordInputs } from './inputs.js';
import { recordInputsSdl, recordInputsSdlFor } from './schema-sdl.js';

/** Each SDL input type and the zod schema it documents. The one name that differs is the meta. */
const SCHEMA_OF_SDL_TYPE: Record<string, z.ZodObject> = {
  PersonInput: recordInputs.PersonInput,
  InformantInput: recordInputs.InformantInput,
  PlaceInput: recordInputs.PlaceInput,
  ContactInput: recordInputs.ContactInput,
  AttachmentInput: recordInputs.AttachmentInput,
  RegistrationInput: recordInputs.RegistrationMetaInput,
  BirthRegistrationInput: recordInputs.BirthRegistrationInput,
  DeathRegistrationInput: recordInputs.DeathRegistrationInput,
  MarriageRegistrationInput: recordInputs.MarriageRegistrationInput,
  CorrectionChangeInput: recordInputs.CorrectionChangeInput,
  CorrectionInput: recordInputs.CorrectionInput,
};

interface SdlField {
  /** Type reference as written, e.g. `[PersonInput!]!`. */
  type: string;
  defaultValue: string | undefined;
  described: boolean;
}

interface ParsedSdl {
  inputs: Map<string, Map<string, SdlField>>;
  enums: Map<string, string[]>;
  describedTypes: Set<string>;
}

/** Enough of an SDL parser for the shapes schema-sdl.ts writes: descriptions, inputs, enums. */
function parseSdl(sdl: string): ParsedSdl {
  const parsed: ParsedSdl = { inputs: new Map(), enums: new Map(), describedTypes: new Set() };
  const blocks = /(?:"""([\s\S]*?)"""\s*)?(input|enum)\s+(\w+)\s*\{([\s\S]*?)\}/g;
  for (const [, typeDoc, kind, name, body] of sdl.matchAll(blocks)) {
    assert.ok(name !== undefined && body !== undefined);
    if ((typeDoc ?? '').trim() !== '') parsed.describedTypes.add(name);
    if (kind === 'enum') {
      parsed.enums.set(name, body.replace(/"""[\s\S]*?"""/g, '').split(/\s+/).filter(Boolean));
      continue;
    }
    const fields = new Map<string, SdlField>();
    const fieldPattern = /(?:"""([\s\S]*?)"""\s*)?(\w+)\s*:\s*([\w[\]!]+)(?:\s*=\s*(\S+))?/g;
    for (const [, doc, fieldName, type, defaultValue] of body.matchAll(fieldPattern)) {
      assert.ok(fieldName !== undefined && type !== undefined);
      fields.set(fieldName, { type, defaultValue, described: (doc ?? '').trim() !== '' });
    }
    parsed.inputs.set(name, fields);
  }
  return parsed;
}

const sdl = parseSdl(recordInputsSdl);

/** The zod schema of an SDL field; a field missing from zod fails the key test above. */
function zodFieldOf(schema: z.ZodObject, fieldName: string): z.ZodType {
  const field: unknown = schema.shape[fieldName];
  assert.ok(field instanceof z.ZodType, `${fieldName} is not in the zod schema`);
  return field;
}

/** The schema under `.optional()` and `.default()`. */
function unwrapped(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault) {
    return unwrapped(schema.unwrap() as z.ZodType);
  }
  return schema;
}

function baseTypeName(type: string): string {
  return type.replace(/[[\]!]/g, '');
}

test('the SDL has exactly the input types of the zod schemas, each described', () => {
  assert.deepEqual([...sdl.inputs.keys()].sort(), Object.keys(SCHEMA_OF_SDL_TYPE).sort());
  for (const name of [...sdl.inputs.keys(), ...sdl.enums.keys()]) {
    assert.ok(sdl.describedTypes.has(name), `${name} has no description`);
  }
});

test('every zod field is in the SDL type and every SDL field in the zod schema', () => {
  for (const [typeName, schema] of Object.entries(SCHEMA_OF_SDL_TYPE)) {
    const sdlFields = sdl.inputs.get(typeName);
    assert.ok(sdlFields, `${typeName} missing from the SDL`);
    assert.deepEqual([...sdlFields.keys()].sort(), Object.keys(schema.shape).sort(), typeName);
    for (const [fieldName, field] of sdlFields) {
      assert.ok(field.described, `${typeName}.${fieldName} has no description`);
    }
  }
});

test('required in zod is non-null in the SDL; a default is written in both', () => {
  for (const [typeName, schema] of Object.entries(SCHEMA_OF_SDL_TYPE)) {
    for (const [fieldName, field] of sdl.inputs.get(typeName) ?? []) {
      const zodField = zodFieldOf(schema, fieldName);
      const where = `${typeName}.${fieldName}: ${field.type}`;
      const absent = zodField.safeParse(undefined);
      if (field.defaultValue !== undefined) {
        assert.ok(absent.success, `${where} has a default in the SDL but is required in zod`);
        assert.deepEqual(absent.data, JSON.parse(field.defaultValue), where);
      } else if (field.type.endsWith('!')) {
        assert.equal(absent.success, false, `${where} is non-null in the SDL but optional in zod`);
      } else {
        assert.ok(absent.success, `${where} is nullable in the SDL but required in zod`);
      }
    }
  }
});

test('every SDL field has the zod type it names', () => {
  for (const [typeName, schema] of Object.entries(SCHEMA_OF_SDL_TYPE)) {
    for (const [fieldName, field] of sdl.inputs.get(typeName) ?? []) {
      const where = `${typeName}.${fieldName}: ${field.type}`;
      let zodField = unwrapped(zodFieldOf(schema, fieldName));
      if (field.type.startsWith('[')) {
        assert.ok(zodField instanceof z.ZodArray, `${where} is a list in the SDL only`);
        zodField = zodField.element as z.ZodType;
      } else {
        assert.equal(zodField instanceof z.ZodArray, false, `${where} is a list in zod only`);
      }
      const base = baseTypeName(field.type);
      const enumValues = sdl.enums.get(base);
      if (base === 'String' || base === 'ID') {
        assert.ok(zodField instanceof z.ZodString, `${where} is not a zod string`);
      } else if (base === 'Float') {
        assert.ok(zodField instanceof z.ZodNumber, `${where} is not a zod number`);
      } else if (enumValues !== undefined) {
        assert.ok(zodField instanceof z.ZodEnum, `${where} is not a zod enum`);
        assert.deepEqual(zodField.options, enumValues, where);
      } else {
        assert.equal(zodField, SCHEMA_OF_SDL_TYPE[base], `${where} is not the ${base} schema`);
      }
    }
  }
});

test('the SDL states the limits it was built with', () => {
  const custom = recordInputsSdlFor({
    maxAttachmentBytes: 2 * 1024 * 1024,
    maxAttachments: 3,
    allowedContentTypes: ['image/png'],
  });
  assert.match(custom, /1 byte to 2 MB decoded/);
  assert.match(custom, /at most 3\. Default: none/);
  assert.match(custom, /one of: image\/png \(case-insensitive, at most 100 characters\)/);
  assert.match(recordInputsSdl, /1 byte to 5 MB decoded/);
  assert.doesNotMatch(recordInputsSdl, /type (Query|Mutation)/);
});

test('every string has a length limit, and the SDL states the one zod enforces', () => {
  for (const [typeName, schema] of Object.entries(SCHEMA_OF_SDL_TYPE)) {
    for (const [fieldName, field] of sdl.inputs.get(typeName) ?? []) {
      const base = baseTypeName(field.type);
      if (base !== 'String' && base !== 'ID') continue;
      const where = `${typeName}.${fieldName}`;
      const zodField = unwrapped(zodFieldOf(schema, fieldName));
      assert.ok(zodField instanceof z.ZodString, where);
      const doc = docOf(typeName, fieldName);
      const max = zodField.maxLength;
      if (max === null) {
        // Bounded otherwise: a date by its pattern (10 characters), the data by its decoded size.
        assert.ok(/YYYY-MM-DD/.test(doc) || (where === 'AttachmentInput.data' && /decoded/.test(doc)), `${where} has no length limit`);
        const huge = 'x'.repeat(where === 'AttachmentInput.data' ? 8 * 1024 * 1024 : 100_000);
        assert.equal(zodField.safeParse(huge).success, false, where);
        continue;
      }
      assert.match(doc, new RegExp(`\\b${max} characters`), `${where}: the SDL does not say ${max} characters`);
      assert.equal(zodField.safeParse('a'.repeat(max + 1)).success, false, `${where} accepts ${max + 1} characters`);
    }
  }
});

/** The description of one SDL field, read from the SDL text. */
function docOf(typeName: string, fieldName: string): string {
  const block = new RegExp(`input ${typeName} \\{([\\s\\S]*?)\\}`).exec(recordInputsSdl)?.[1] ?? '';
  const doc = new RegExp(`"""([^"]*)"""\\s*${fieldName}\\s*:`).exec(block)?.[1];
  assert.ok(doc, `${typeName}.${fieldName} has no description`);
  return doc;
}
