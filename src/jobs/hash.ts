import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { defineJob } from './define.js';

/** Digest of a text or of base64-encoded bytes: checksums for uploads, cache keys, dedup. */
const Algorithm = Type.Union([
  Type.Literal('sha256'),
  Type.Literal('sha1'),
  Type.Literal('sha512'),
  Type.Literal('md5'),
]);

export const hash = defineJob({
  name: 'hash',
  description:
    'Digest (sha256 by default, or sha1, sha512, md5) of `text`, or of the bytes in `base64`; answers {algorithm, hex, bytes}.',
  input: Type.Union([
    Type.Object(
      {
        text: Type.String({ maxLength: 1_000_000 }),
        algorithm: Type.Optional(Algorithm),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        base64: Type.String({ maxLength: 1_400_000, pattern: '^[A-Za-z0-9+/]*={0,2}$' }),
        algorithm: Type.Optional(Algorithm),
      },
      { additionalProperties: false },
    ),
  ]),
  example: { text: 'hello world' },
  handler(data) {
    const algorithm = data.algorithm ?? 'sha256';
    const bytes =
      'text' in data ? Buffer.from(data.text, 'utf8') : Buffer.from(data.base64, 'base64');
    return {
      algorithm,
      hex: createHash(algorithm).update(bytes).digest('hex'),
      bytes: bytes.length,
    };
  },
});
