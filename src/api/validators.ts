import { Ajv, type Options } from 'ajv';
import formatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats is CommonJS with a `default`: what an ES module gets depends on the loader.
const addFormats = ((formatsModule as unknown as { default?: unknown }).default ??
  formatsModule) as unknown as (ajv: Ajv) => Ajv;

const shared: Options = { removeAdditional: false, useDefaults: true, allErrors: false };

/**
 * Route schemas compile here: a query string or a header is text, so its numbers and booleans
 * are read from it (`?resultTtlSec=60`); a JSON body already has types, and one that says
 * `"maxAttempts": "5"` or `true` is refused rather than guessed at, as job data is.
 */
export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const coercing = addFormats(new Ajv({ ...shared, coerceTypes: true }));
  const strict = addFormats(new Ajv({ ...shared, coerceTypes: false }));
  return ({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema as object) as ReturnType<
      FastifySchemaCompiler<unknown>
    >;
}
