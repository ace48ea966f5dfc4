/** The benchmark's job type for workmesh processes (loaded with WORKMESH_JOBS): a no-op. */
import { Type } from '@sinclair/typebox';
import { defineJob } from '../../src/index.js';

export default defineJob({
  name: 'noop',
  description: 'Does nothing and returns a small string (benchmarks).',
  input: Type.Object({ t: Type.Number() }),
  handler: () => 'ok',
});
