import type { Options } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';
import { ajvWithFormats } from '../jobs/index.js';

const shared: Options = { removeAdditional: false, useDefaults: true, allErrors: false };

/**
 * Route schemas compile here: a query string or a header is text, so its numbers and booleans
 * are read from it (`?resultTtlSec=60`); a JSON body already has types, and one that says
 * `"maxAttempts": "5"` or `true` is refused rather than guessed at, as job data is.
 */
export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const coercing = ajvWithFormats({ ...shared, coerceTypes: true });
  const strict = ajvWithFormats({ ...shared, coerceTypes: false });
  return ({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema as object) as ReturnType<
      FastifySchemaCompiler<unknown>
    >;
}
