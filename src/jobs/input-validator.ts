import { Ajv, type Options } from 'ajv';
import formatsModule from 'ajv-formats';

// ajv-formats is CommonJS with a `default`: what an ES module gets depends on the loader.
const addFormats = ((formatsModule as unknown as { default?: unknown }).default ??
  formatsModule) as unknown as (ajv: Ajv) => Ajv;

/**
 * An Ajv that checks the JSON Schema formats (`email`, `uri`, `date-time`, `uuid`, ...): plain
 * Ajv ignores them, so a job type's `format: 'email'` would let any string through.
 */
export function ajvWithFormats(options: Options): Ajv {
  return addFormats(new Ajv(options));
}
