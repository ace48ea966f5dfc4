import type { Static, TSchema } from '@sinclair/typebox';
import type { JobDefinition } from './define.js';

/** What a job of one type takes and gives. */
export interface JobShape {
  readonly data: unknown;
  readonly value: unknown;
}

/** Job types by name, each with its data and value: what an untyped client or producer knows. */
export type JobTypeMap = Record<string, JobShape>;

// A module's definitions come as an array (`export default [a, b]`) or an object of them.
type DefinitionsIn<T> = T extends readonly (infer D)[]
  ? D
  : T extends Record<string, infer D>
    ? D
    : never;

/**
 * The job types of a set of definitions, keyed by name: `JobTypesOf<typeof jobs>` gives
 * `{ resize: { data: { url: string }; value: { width: number } }, ... }`. Used by the typed
 * client and producer so that a typo in a type name or a wrong data shape is a compile error.
 */
export type JobTypesOf<T> = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [D in Extract<DefinitionsIn<T>, JobDefinition<any, any, string>> as D['name']]: {
    readonly data: D['input'] extends TSchema ? Static<D['input']> : unknown;
    readonly value: Awaited<ReturnType<D['handler']>>;
  };
};

/**
 * The job types of T: a JobTypeMap as it is; anything else (an array or object of definitions,
 * as `typeof jobs`) mapped by JobTypesOf. What `WorkmeshClient<T>` and `Queue<T>` know.
 */
export type TypesOf<T> = T extends JobTypeMap ? T : JobTypesOf<T>;

/** The names of a map's types; any string for the untyped map. */
export type TypeName<M extends JobTypeMap> = Extract<keyof M, string>;
/** The data of type K. */
export type DataOf<M extends JobTypeMap, K extends TypeName<M>> = M[K]['data'];
/** The value of type K. */
export type ValueOf<M extends JobTypeMap, K extends TypeName<M>> = M[K]['value'];
