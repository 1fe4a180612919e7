import { SchematicsException } from '@angular-devkit/schematics';
import { AGGREGATE_BASE_MEMBERS, RESERVED_WORDS } from './names.js';

/**
 * What each `--fields` type becomes: its TypeScript type, its validation in the request
 * DTO, its OpenAPI schema, and a sample value (as source text) for the generated tests.
 * A string is bounded and must be storable in a text column, as the templates' `name` is.
 */
const TYPES = {
  int: {
    type: 'number',
    api: "type: 'integer', example: 2",
    validators: ['IsInt()'],
    sample: '2',
    initial: '0',
  },
  number: {
    type: 'number',
    api: "type: 'number', example: 2.5",
    validators: ['IsNumber({ allowNaN: false, allowInfinity: false })'],
    sample: '2.5',
    initial: '0',
  },
  string: {
    type: 'string',
    api: "maxLength: 1000, example: 'text'",
    validators: ['IsString()', 'MaxLength(1000)', 'IsStorableText()'],
    sample: "'text'",
    initial: "''",
  },
  boolean: {
    type: 'boolean',
    api: "type: 'boolean', example: true",
    validators: ['IsBoolean()'],
    sample: 'true',
    initial: 'false',
  },
};

/** A field name: a camelCase identifier (it names a DTO property, a parameter and an aggregate property). */
const FIELD_NAME = /^[a-z][a-zA-Z0-9]*$/;

/** @typedef {{ name: string, kind: keyof typeof TYPES, optional: boolean, type: string, api: string, validators: string[], sample: string, initial: string }} Field */

/**
 * Parses `amount:int,note:string?` into fields, in the order given. Throws one line naming
 * what is wrong with the first bad entry.
 * @param {string | undefined} spec
 * @param {string[]} taken names the generated code already uses for other things
 * @param {string} option the command-line option the spec came from, for the errors
 * @returns {Field[]}
 */
export function parseFields(spec, taken = [], option = '--fields') {
  if (spec === undefined) return [];
  const usage = `use name:type pairs joined by commas, such as amount:int,note:string? (types: ${Object.keys(TYPES).join(', ')}; a trailing ? makes a field optional)`;
  /** @type {Field[]} */
  const fields = [];
  for (const entry of spec.split(',')) {
    const match = /^([^:]*):([a-z]+)(\??)$/.exec(entry.trim());
    if (!match) throw new SchematicsException(`${option}: ${JSON.stringify(entry)} is not name:type: ${usage}`);
    const [, name, kind, optional] = match;
    if (!FIELD_NAME.test(name)) {
      throw new SchematicsException(
        `${option}: ${JSON.stringify(name)} is not a field name: use a camelCase identifier, such as amount or dueDate`,
      );
    }
    if (!Object.hasOwn(TYPES, kind)) {
      throw new SchematicsException(
        `${option}: ${name} has the type ${JSON.stringify(kind)}, which is none of ${Object.keys(TYPES).join(', ')}`,
      );
    }
    if (RESERVED_WORDS.has(name) || AGGREGATE_BASE_MEMBERS.has(name) || taken.includes(name)) {
      throw new SchematicsException(`${option}: the generated code uses ${name} already: pick another field name`);
    }
    if (fields.some((field) => field.name === name)) throw new SchematicsException(`${option}: ${name} is given twice`);
    const known = TYPES[/** @type {keyof typeof TYPES} */ (kind)];
    fields.push({
      name,
      kind: /** @type {keyof typeof TYPES} */ (kind),
      optional: optional === '?',
      ...known,
      type: optional === '?' ? `${known.type} | undefined` : known.type,
    });
  }
  return fields;
}

/**
 * The request DTO's property of a field, with its validation and OpenAPI schema.
 * @param {Field} field
 */
export function dtoProperty(field) {
  const decorators = field.optional
    ? [`@ApiPropertyOptional({ ${field.api} })`, '@IsOptional()']
    : [`@ApiProperty({ ${field.api} })`];
  return [
    ...decorators,
    ...field.validators.map((v) => `@${v}`),
    `${field.name}${field.optional ? '?' : '!'}: ${TYPES[field.kind].type};`,
  ].join('\n');
}

/**
 * What a DTO of these fields imports from class-validator, @nestjs/swagger and the http entry point.
 * @param {Field[]} fields
 */
export function dtoImports(fields) {
  const validators = new Set(
    fields.flatMap((f) => [...(f.optional ? ['IsOptional'] : []), ...f.validators.map((v) => v.replace(/\(.*$/, ''))]),
  );
  const storable = validators.delete('IsStorableText');
  const swagger = new Set(fields.map((f) => (f.optional ? 'ApiPropertyOptional' : 'ApiProperty')));
  return { validators: [...validators].sort(), swagger: [...swagger].sort(), storable };
}

/**
 * `name: type, ...` for a constructor or method, each optional field `| undefined` so that the order stays as given.
 * @param {Field[]} fields
 * @param {string} prefix `readonly ` for a constructor's properties
 */
export const parameters = (fields, prefix = '') => fields.map((f) => `${prefix}${f.name}: ${f.type}`).join(', ');

/**
 * The fields' sample values, as arguments.
 * @param {Field[]} fields
 */
export const samples = (fields) => fields.map((f) => f.sample).join(', ');
