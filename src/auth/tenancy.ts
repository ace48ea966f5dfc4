import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { JOB_ID_RE } from '../redis/index.js';

/*
 * With tokens in use a callback id is bound to its submitter's tenant: its 16 characters are
 * 11 random ones and a 5-character tag derived from (tenant, type, random part). A reader of
 * another tenant recomputes a different tag and gets 404, as for an id that never existed.
 * Nothing is stored for it, so the data model is the same with tokens and without.
 */
const RANDOM_CHARS = 11;

function tag(tenant: string, type: string, random: string): string {
  return createHash('sha256')
    .update(`${tenant}\0${type}\0${random}`)
    .digest('base64url')
    .slice(0, 16 - RANDOM_CHARS);
}

/** A fresh id for a job of `tenant`; with `key`, the same id for the same (tenant, type, key). */
export function tenantJobId(type: string, tenant: string, key?: string): string {
  const random =
    key === undefined
      ? randomBytes(9).toString('base64url').slice(0, RANDOM_CHARS)
      : createHash('sha256')
          .update(`${tenant}\0${type}\0${key}`)
          .digest('base64url')
          .slice(0, RANDOM_CHARS);
  return `${type}.${random}${tag(tenant, type, random)}`;
}

/** Whether a well-formed callback id was made for `tenant`. */
export function ownedBy(id: string, tenant: string): boolean {
  const match = JOB_ID_RE.exec(id);
  if (!match) return false;
  const [, type, rest] = match as unknown as [string, string, string];
  const random = rest.slice(0, RANDOM_CHARS);
  const expected = Buffer.from(tag(tenant, type, random));
  const given = Buffer.from(rest.slice(RANDOM_CHARS));
  return expected.length === given.length && timingSafeEqual(expected, given);
}
