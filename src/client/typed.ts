/**
 * The client's view of the job types it talks to: `WorkmeshClient<typeof jobs>` (the
 * definitions) or `WorkmeshClient<JobTypesOf<typeof jobs>>` (their map) knows each type's
 * data and value; `WorkmeshClient` alone knows any type name, with unknown data and value.
 * Types only: the client never loads the job definitions.
 */
import type { DataOf, TypeName, TypesOf, ValueOf } from '../jobs/index.js';
import type { Accepted, BatchJob, JobState, SubmitOptions } from './types.js';

/** The type names a client of T accepts: any string when untyped. */
export type NameOf<T> = TypeName<TypesOf<T>>;
/** The data of type K. */
export type DataFor<T, K extends NameOf<T>> = DataOf<TypesOf<T>, K>;
/** The value of type K. */
export type ValueFor<T, K extends NameOf<T>> = ValueOf<TypesOf<T>, K>;

declare const jobType: unique symbol;

/**
 * A callback id that remembers its job's type (what submit() answers), so that status(),
 * wait() and events() know the shape of its value. Any string is still accepted where an id
 * is asked for; its value is then `unknown`.
 */
export type JobId<K extends string = string> = string & { readonly [jobType]: K };

/** The answer to a submit of type K. */
export type Submitted<K extends string = string> = Omit<Accepted, 'callback' | 'type'> & {
  readonly callback: JobId<K>;
  readonly type: K;
};

/** A job's state whose value, when done, is of type V. */
export type StateOf<K extends string = string, V = unknown> = Omit<JobState, 'type' | 'value'> & {
  readonly type: K;
  readonly value?: V;
};

/** One job of a batch: untyped, the type is optional (default permute); typed, it picks the data. */
export type BatchItem<T> =
  string extends NameOf<T>
    ? BatchJob
    : {
        [K in NameOf<T>]: SubmitOptions & { readonly type: K; readonly data: DataFor<T, K> };
      }[NameOf<T>];
