import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

/*
 * Bodies are validated strictly (a number is never silently turned into a string: "wrong
 * types" must be a 400), while URL parts keep Fastify's usual coercion, as they arrive as text.
 * allErrors lets a 400 name every bad field, not just the first.
 */
const common: Options = { allErrors: true, useDefaults: true, discriminator: true, strict: false };
const strict = addFormats.default(new Ajv({ ...common, coerceTypes: false }));
const lenient = addFormats.default(new Ajv({ ...common, coerceTypes: 'array' }));

export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? strict : lenient).compile(schema);
